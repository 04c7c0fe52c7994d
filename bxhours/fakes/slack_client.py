"""Plays Slack's part towards the app: posts *signed* requests to ``/slack/events`` over real HTTP.

Commands go form-encoded, interactivity as ``payload=<json>``, events as JSON — exactly the bytes
Slack would send, signed with the app's signing secret (../shared/slack-payloads.md §0–§7). Used by
`make demo`, the scenario tests and the benchmarks, so all three exercise the same real endpoint.

Each request comes from the workspace of the person acting (``FakeSlack.workspace_of``), or from
``team_id`` when given: ``team_id``/``team.id``, and for a workspace of an Enterprise Grid org
``enterprise_id``/``enterprise`` and ``is_enterprise_install`` (true when the app is installed
org-wide), as slack-payloads.md §1–§5 shows them. ``send_event`` posts any envelope, e.g. the
``tokens_revoked``/``app_uninstalled`` pair ``FakeSlack.uninstall`` returns.

What bxhours answers in the acknowledgement itself (a command's JSON reply, a ``response_action``
with a view or errors, the options an external select loads) reaches Slack without any Web API
call, so the fake never sees it: the simulator checks it with the same rules
(``bxhours.fakes.block_kit``) and hands a refusal to the fake, which fails the test when it stops.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bxhours.fakes import block_kit
from bxhours.fakes.slack_api import FakeSlack
from bxhours.fakes.slack_workspaces import FakeWorkspace


@dataclass
class SlackResponse:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def message_text(self) -> str:
        """What the user sees of an inline reply: plain text, or the text + block text of a JSON reply."""
        if not self.text.startswith("{"):
            return self.text
        body = self.json
        parts = [body.get("text", "")]
        parts += [_block_text(block) for block in body.get("blocks", [])]
        return "\n".join(part for part in parts if part)


def _block_text(block: dict[str, Any]) -> str:
    texts: list[str] = []
    if isinstance(block.get("text"), dict):
        texts.append(block["text"].get("text", ""))
    for item in block.get("fields", []) or []:
        texts.append(item.get("text", ""))
    for element in block.get("elements", []) or []:
        if isinstance(element, dict):
            if isinstance(element.get("text"), dict):
                texts.append(element["text"].get("text", ""))
            elif isinstance(element.get("text"), str):
                texts.append(element["text"])
    return "\n".join(texts)


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest}"}


class SlackSimulator:
    """One Slack workspace's users interacting with the app at ``app_url``."""

    def __init__(self, app_url: str, signing_secret: str, fake: FakeSlack, *, timeout: float = 10.0) -> None:
        self.events_url = app_url.rstrip("/") + "/slack/events"
        self.signing_secret = signing_secret
        self.fake = fake
        self._http = httpx.AsyncClient(timeout=timeout)
        self._triggers = itertools.count(1)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> SlackSimulator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def trigger_id(self) -> str:
        return f"{next(self._triggers)}.{int(time.time())}.{secrets.token_hex(8)}"

    async def post(
        self, body: str, content_type: str, *, timestamp: int | None = None, signature: str | None = None
    ) -> SlackResponse:
        headers = {"content-type": content_type, **sign(self.signing_secret, body, timestamp)}
        if signature is not None:
            headers["x-slack-signature"] = signature
        response = await self._http.post(self.events_url, content=body.encode(), headers=headers)
        return SlackResponse(response.status_code, response.text, dict(response.headers))

    def _check_ack(
        self, kind: str, response: SlackResponse, problems_of: Callable[[Any], list[str]]
    ) -> SlackResponse:
        """Hand the fake what Slack would refuse in a 200 acknowledgement's JSON body."""
        if response.status != 200 or not response.text.startswith("{"):
            return response
        body = response.json
        problems = problems_of(body)
        if problems:
            error = "invalid_arguments" if isinstance(body, dict) and "view" in body else "invalid_blocks"
            self.fake.refuse(f"ack:{kind}", error, problems, body)
        return response

    def _workspace(self, user_id: str, team_id: str | None) -> FakeWorkspace:
        if team_id is not None:
            return self.fake.workspace(team_id)
        return self.fake.workspace_of(user_id) or self.fake.workspace()

    def _org_wide(self, workspace: FakeWorkspace) -> bool:
        installation = self.fake.installation_for(workspace.team_id)
        return installation is not None and installation.is_enterprise_install

    async def command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str = "C0GENERAL",
        team_id: str | None = None,
        **overrides: Any,
    ) -> SlackResponse:
        workspace = self._workspace(user_id, team_id)
        user = workspace.users.get(user_id)
        fields = {
            "token": self.fake.verification_token,
            "team_id": workspace.team_id,
            "team_domain": workspace.domain,
        }
        if workspace.enterprise_id:
            fields.update(
                enterprise_id=workspace.enterprise_id, enterprise_name=workspace.enterprise_name or ""
            )
        fields.update(
            {
                "channel_id": channel_id,
                "channel_name": "general",
                "user_id": user_id,
                "user_name": user.name if user else "someone",
                "command": command,
                "text": text,
                "api_app_id": self.fake.app_id,
                "is_enterprise_install": "true" if self._org_wide(workspace) else "false",
                "response_url": self.fake.response_url("commands", workspace.team_id),
                "trigger_id": self.trigger_id(),
            }
        )
        timestamp = overrides.pop("timestamp", None)
        signature = overrides.pop("signature", None)
        fields.update(overrides)
        response = await self.post(
            urlencode(fields), "application/x-www-form-urlencoded", timestamp=timestamp, signature=signature
        )
        return self._check_ack("command", response, block_kit.command_ack_problems)

    def _envelope(self, user_id: str, kind: str, team_id: str | None = None) -> dict[str, Any]:
        workspace = self._workspace(user_id, team_id)
        user = workspace.users.get(user_id)
        team: dict[str, Any] = {"id": workspace.team_id, "domain": workspace.domain}
        enterprise = None
        if workspace.enterprise_id:
            team.update(enterprise_id=workspace.enterprise_id, enterprise_name=workspace.enterprise_name)
            enterprise = {"id": workspace.enterprise_id, "name": workspace.enterprise_name}
        return {
            "type": kind,
            "team": team,
            "user": {
                "id": user_id,
                "username": user.name if user else "someone",
                "name": user.name if user else "someone",
                "team_id": workspace.team_id,
            },
            "api_app_id": self.fake.app_id,
            "token": self.fake.verification_token,
            "trigger_id": self.trigger_id(),
            "enterprise": enterprise,
            "is_enterprise_install": self._org_wide(workspace),
        }

    async def _interactive(self, payload: dict[str, Any]) -> SlackResponse:
        return await self.post("payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded")

    async def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str = "b",
        view: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
        selected_option: dict[str, Any] | None = None,
        selected_options: list[dict[str, Any]] | None = None,
        selected_date: str | None = None,
        message: dict[str, Any] | None = None,
        channel_id: str | None = None,
        team_id: str | None = None,
    ) -> SlackResponse:
        """A click on a button/select in a modal or the App Home (``view``) or in a message."""
        payload = self._envelope(user_id, "block_actions", team_id)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
        }
        if selected_option is not None:
            action.update(type="static_select", selected_option=selected_option)
        elif selected_options is not None:
            action.update(type="checkboxes", selected_options=selected_options)
        elif selected_date is not None:
            action.update(type="datepicker", selected_date=selected_date)
        else:
            action.update(type="button", value=value, text={"type": "plain_text", "text": action_id})
        payload["actions"] = [action]
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = {**view, "state": {"values": state or {}}}
        else:
            channel = channel_id or "C0GENERAL"
            ts = (message or {}).get("ts", "1700000000.000100")
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": True,
            }
            payload["channel"] = {"id": channel, "name": "general"}
            payload["message"] = message or {"ts": ts, "text": ""}
            payload["response_url"] = self.fake.response_url("actions", payload["team"]["id"])
            if state is not None:
                payload["state"] = {"values": state}
        return await self._interactive(payload)

    async def submit_view(
        self, user_id: str, view: dict[str, Any], state: dict[str, Any], *, team_id: str | None = None
    ) -> SlackResponse:
        payload = self._envelope(user_id, "view_submission", team_id)
        payload["view"] = {**view, "state": {"values": state}}
        payload["response_urls"] = []
        response = await self._interactive(payload)
        return self._check_ack(
            "view_submission", response, lambda body: block_kit.submission_ack_problems(body, view)
        )

    async def options(
        self,
        user_id: str,
        action_id: str,
        value: str,
        *,
        view: dict[str, Any] | None = None,
        block_id: str = "b",
        team_id: str | None = None,
    ) -> SlackResponse:
        payload = self._envelope(user_id, "block_suggestion", team_id)
        payload.update(action_id=action_id, block_id=block_id, value=value)
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        response = await self._interactive(payload)
        return self._check_ack("block_suggestion", response, block_kit.options_problems)

    async def event(self, event: dict[str, Any], *, team_id: str | None = None) -> SlackResponse:
        """An Events API event in ``team_id``'s workspace (default: that of ``event["user"]``)."""
        user = event.get("user")
        workspace = self._workspace(user if isinstance(user, str) else "", team_id)
        return await self.send_event(self.fake.event_envelope(event, team_id=workspace.team_id))

    async def send_event(self, envelope: dict[str, Any]) -> SlackResponse:
        """Post an Events API envelope as it is, signed, e.g. one ``FakeSlack.uninstall`` returned."""
        return await self.post(json.dumps(envelope), "application/json")

    async def open_home(self, user_id: str, *, team_id: str | None = None) -> SlackResponse:
        return await self.event(
            {
                "type": "app_home_opened",
                "user": user_id,
                "channel": "D" + user_id,
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            },
            team_id=team_id,
        )


# Helpers to write view state values the way Slack reports them (slack-payloads.md §2.2).


def text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def select_value(value: str | None, text: str | None = None, kind: str = "static_select") -> dict[str, Any]:
    return {"type": kind, "selected_option": option(value, text) if value is not None else None}


def checkboxes_value(values: list[str]) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [option(v) for v in values]}


def date_value(day: str | None) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": day}
