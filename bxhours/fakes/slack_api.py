"""A fake Slack Web API: what `make demo` and the test suite talk to instead of slack.com.

It answers the way Slack does for the methods bxhours uses (shapes from ../shared/slack-payloads.md
§6: HTTP 200 with ``ok``, errors as ``{"ok": false, "error": …}``, 429 with ``Retry-After``), accepts
every method by GET and POST with arguments in the query string, a form or a JSON body (the async
SDK mixes all three), and records each call with its parameters so tests can assert what the bot
said. It also stands in for ``response_url`` hooks. Point the app at it with ``SLACK_API_URL``.

It is as strict as Slack about Block Kit (``bxhours.fakes.block_kit``): a view Slack would refuse
gets ``invalid_arguments``, a message ``invalid_blocks``, both with Slack's ``[ERROR] …`` lines in
``response_metadata.messages``; a ``response_url`` post with invalid blocks gets HTTP 400
``invalid_blocks`` (what Slack's incoming webhooks answer; for ``response_url`` itself the answer is
UNCONFIRMED). bxhours logs such a refusal and carries on, so a test would pass although the person
saw nothing: the fake therefore remembers every refusal, and every blocks message without fallback
``text`` (Slack accepts it, we do not), and fails when it stops (``assert_clean``) unless the test
declared the refusal with ``expect_refusal``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bxhours.fakes import block_kit

JSON_TYPE = "application/json"


@dataclass
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Refusal:
    """Something bxhours sent that Slack would refuse (or that our tests do not accept)."""

    method: str  # a Web API method, "response_url", or "ack:<kind>" for an HTTP acknowledgement
    error: str  # invalid_arguments, invalid_blocks, or "violation" (e.g. no fallback text)
    messages: list[str]
    payload: Any = None

    def __str__(self) -> str:
        return f"{self.method} → {self.error}: " + "; ".join(self.messages)


@dataclass
class ScriptedError:
    error: str
    status: int = 200
    retry_after: int | None = None


@dataclass
class WorkspaceUser:
    id: str
    email: str
    name: str
    real_name: str
    is_admin: bool = False
    deleted: bool = False
    is_bot: bool = False
    tz: str = "Europe/Zurich"

    def as_slack(self, team_id: str) -> dict[str, Any]:
        first, _, last = self.real_name.partition(" ")
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_offset": 3600,
            "is_admin": self.is_admin,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_restricted": False,
            "updated": 1700000000,
            "profile": {
                "email": self.email,
                "real_name": self.real_name,
                "display_name": self.name,
                "first_name": first,
                "last_name": last,
            },
        }


class FakeSlack:
    """State and behaviour of one fake workspace; ``app`` is the aiohttp application serving it."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",
        team_id: str = "T0001BX",
        team_name: str = "Acme Digital",
        bot_user_id: str = "U0BOT",
    ) -> None:
        self.bot_token = bot_token
        self.team_id = team_id
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.calls: list[SlackCall] = []
        self.hooks: list[tuple[str, dict[str, Any]]] = []
        self.users: dict[str, WorkspaceUser] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home: dict[str, dict[str, Any]] = {}
        self.used_triggers: set[str] = set()
        self.refusals: list[Refusal] = []
        self._expected_refusals: list[tuple[str, str]] = []
        self._script: dict[str, list[ScriptedError]] = {}
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.base_url = ""

    # -- set-up helpers ---------------------------------------------------------------------

    def add_user(self, user_id: str, email: str, real_name: str, *, is_admin: bool = False) -> WorkspaceUser:
        user = WorkspaceUser(user_id, email, real_name.split()[0].lower(), real_name, is_admin=is_admin)
        self.users[user_id] = user
        return user

    def fail_next(
        self, method: str, error: str, *, status: int = 200, retry_after: int | None = None
    ) -> None:
        """The next call of ``method`` answers with this error (e.g. ``ratelimited`` with 429)."""
        self._script.setdefault(method, []).append(ScriptedError(error, status, retry_after))

    def expect_refusal(self, method: str, containing: str = "") -> None:
        """The test provokes one refusal of ``method`` on purpose (one of its messages contains
        ``containing``); ``assert_clean`` then accepts it, and fails if it never came."""
        self._expected_refusals.append((method, containing))

    # -- refusals -------------------------------------------------------------------------------

    def refuse(self, method: str, error: str, messages: list[str], payload: Any = None) -> Refusal:
        """Remember a refusal (the fake's own, or one a test helper found in an acknowledgement)."""
        refusal = Refusal(method, error, messages, payload)
        self.refusals.append(refusal)
        self._changed.set()
        return refusal

    def unexpected_refusals(self) -> list[str]:
        """Refusals no test asked for, and asked-for refusals that never came."""
        pending = list(self._expected_refusals)
        unexpected = []
        for refusal in self.refusals:
            match = next(
                (
                    wanted
                    for wanted in pending
                    if wanted[0] == refusal.method and any(wanted[1] in m for m in refusal.messages)
                ),
                None,
            )
            if match is None:
                unexpected.append(str(refusal))
            else:
                pending.remove(match)
        return unexpected + [f"expected a refusal of {m} containing {c!r}, none came" for m, c in pending]

    def assert_clean(self) -> None:
        """Fail when bxhours sent something Slack would refuse: bxhours only logs Slack's refusal,
        so without this a test passes although the person saw nothing."""
        problems = self.unexpected_refusals()
        if problems:
            raise AssertionError(
                "fake Slack refused what bxhours sent (Slack would too):\n  " + "\n  ".join(problems)
            )

    def _refused(self, method: str, error: str, messages: list[str], payload: Any) -> dict[str, Any]:
        self.refuse(method, error, messages, payload)
        return {"ok": False, "error": error, "response_metadata": {"messages": messages}}

    def _message_refusal(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """chat.*: ``invalid_blocks`` as Slack answers; no fallback ``text`` only fails our tests."""
        problems = block_kit.message_problems(params)
        if problems:
            return self._refused(method, "invalid_blocks", problems, params)
        if block_kit.missing_fallback_text(params):
            self.refuse(method, "violation", ["blocks without fallback text"], params)
        return None

    # -- inspection ---------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[SlackCall], bool] = lambda _call: True,
        *,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[SlackCall]:
        """Wait until ``count`` calls of ``method`` match; listeners keep running after their ack."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [call for call in self.calls_to(method) if predicate(call)]
            if len(matching) >= count:
                return matching
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [c.method for c in self.calls]
                refused = [str(r) for r in self.refusals]
                raise AssertionError(
                    f"expected {count} × {method}, saw {len(matching)}; calls: {seen}; refused: {refused}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.5))

    async def wait_for_hook(
        self, predicate: Callable[[dict[str, Any]], bool], *, timeout: float = 10.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for _path, body in self.hooks:
                if predicate(body):
                    return body
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no response_url post matched; got {[b.get('text') for _p, b in self.hooks]}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=0.5)

    def modal(self, view_id: str | None = None) -> dict[str, Any]:
        """The current state of a modal as Slack holds it (id, hash, blocks): what the user sees now."""
        if view_id is not None:
            return self.views[view_id]
        modals = [view for view in self.views.values() if view.get("type") == "modal"]
        if not modals:
            raise AssertionError("no modal is open")
        return modals[-1]

    def dm_messages(self, user_id: str) -> list[dict[str, Any]]:
        channel = self._dm_channel(user_id)
        return [message for (chan, _ts), message in self.messages.items() if chan == channel]

    # -- the HTTP side --------------------------------------------------------------------------

    @property
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_method)
        app.router.add_post("/hooks/{tail:.*}", self._handle_hook)
        return app

    def response_url(self, kind: str = "commands") -> str:
        return f"{self.base_url}/hooks/{kind}/{self.team_id}/{next(self._ts)}/{secrets.token_hex(8)}"

    async def _handle_hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        problems = block_kit.message_problems(body) if isinstance(body, dict) else ["not a JSON object"]
        if problems:
            self.refuse("response_url", "invalid_blocks", problems, body)
            return web.Response(status=400, text="invalid_blocks")
        self.hooks.append((request.path, body))
        self._changed.set()
        return web.Response(text="ok")

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _merged_params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or params.pop("token", None)
        self.calls.append(SlackCall(method, params, token))
        self._changed.set()
        scripted = self._script.get(method)
        if scripted:
            failure = scripted.pop(0)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return _answer({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        if token != self.bot_token:
            return _answer({"ok": False, "error": "invalid_auth" if token else "not_authed"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return _answer({"ok": False, "error": "unknown_method"})
        result = handler(params)
        if isinstance(result, web.Response):
            return result
        return _answer(result)

    # -- methods -----------------------------------------------------------------------------

    def _m_auth_test(self, _params: dict[str, Any]) -> web.Response:
        body = {
            "ok": True,
            "url": "https://acme-digital.slack.com/",
            "team": self.team_name,
            "user": "bxhours",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "B0BOT",
            "is_enterprise_install": False,
        }
        return _answer(
            body, headers={"x-oauth-scopes": "commands,chat:write,users:read,users:read.email,im:write"}
        )

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user.as_slack(self.team_id)}

    def _m_users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email", "")).lower()
        for user in self.users.values():
            if user.email.lower() == email and not user.deleted:
                return {"ok": True, "user": user.as_slack(self.team_id)}
        return {"ok": False, "error": "users_not_found"}

    def _m_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = int(params.get("limit") or 200)
        start = int(params.get("cursor") or 0)
        members = list(self.users.values())
        page = members[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(members) else ""
        return {
            "ok": True,
            "members": [user.as_slack(self.team_id) for user in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _dm_channel(self, user_id: str) -> str:
        return "D" + user_id.lstrip("UW")

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", ""))
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        first = users.split(",")[0]
        if first not in self.users and first != self.bot_user_id:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self._dm_channel(first)}}

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        refused = self._message_refusal("chat.postMessage", params)
        if refused:
            return refused
        ts = self._next_ts()
        message = {
            "type": "message",
            "text": params.get("text", ""),
            "blocks": params.get("blocks", []),
            "ts": ts,
        }
        message.update({"user": self.bot_user_id, "bot_id": "B0BOT"})
        self.messages[(str(channel), ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (str(params.get("channel")), str(params.get("ts")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        refused = self._message_refusal("chat.update", params)
        if refused:
            return refused
        self.messages[key].update({"text": params.get("text", ""), "blocks": params.get("blocks", [])})
        return {
            "ok": True,
            "channel": key[0],
            "ts": key[1],
            "text": params.get("text", ""),
            "message": self.messages[key],
        }

    def _m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "channel_not_found"}
        refused = self._message_refusal("chat.postEphemeral", params)
        if refused:
            return refused
        return {"ok": True, "message_ts": self._next_ts()}

    def _store_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._view_ids):08d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "app_id": "A0BXHOURS",
            "bot_id": "B0BOT",
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
        }
        self.views[view_id] = stored
        return stored

    def _view_refusal(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """``invalid_arguments`` with Slack's messages when the view breaks a Block Kit rule."""
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        problems = block_kit.view_problems(view)
        if isinstance(view, dict) and view.get("type") not in ("modal", "home"):
            problems.append(block_kit.problem("/view/type", "must be modal or home"))
        if problems:
            return self._refused(method, "invalid_arguments", problems, view)
        return None

    def _m_views_open(self, params: dict[str, Any], method: str = "views.open") -> dict[str, Any]:
        trigger = str(params.get("trigger_id", ""))
        if not trigger:
            return {"ok": False, "error": "invalid_trigger_id"}
        if trigger in self.used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        refused = self._view_refusal(method, params)
        if refused:
            return refused
        self.used_triggers.add(trigger)
        return {"ok": True, "view": self._store_view(_as_dict(params["view"]))}

    def _m_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._m_views_open(params, "views.push")

    def _m_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next(
                (vid for vid, v in self.views.items() if v.get("external_id") == params["external_id"]), None
            )
        current = self.views.get(str(view_id))
        if current is None:
            return {"ok": False, "error": "not_found"}
        if params.get("hash") and params["hash"] != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        refused = self._view_refusal("views.update", params)
        if refused:
            return refused
        return {"ok": True, "view": self._store_view(_as_dict(params["view"]), str(view_id))}

    def _m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id", ""))
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        refused = self._view_refusal("views.publish", params)
        if refused:
            return refused
        view = self._store_view(_as_dict(params["view"]))
        self.home[user_id] = view
        return {"ok": True, "view": view}

    # -- running ------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0, *, strict: bool = True) -> web.AppRunner:
        """Serve on ``host:port`` (0: a free port). With ``strict`` (tests), stopping the runner
        raises ``assert_clean``'s AssertionError when bxhours sent something Slack would refuse:
        every fixture that stops its fake thereby fails the test, without a check of its own."""
        app = self.app
        if strict:

            async def check(_app: web.Application) -> None:
                self.assert_clean()

            app.on_cleanup.append(check)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        bound = sockets[0].getsockname()[1]
        self.base_url = f"http://{host}:{bound}"
        return runner

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"


def _as_dict(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


async def _merged_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    body = await request.read()
    if not body:
        return params
    if request.content_type == JSON_TYPE or body.lstrip().startswith(b"{"):
        params.update(json.loads(body))
    else:
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    for key in ("blocks", "view", "attachments"):
        if isinstance(params.get(key), str) and params[key].strip().startswith(("[", "{")):
            params[key] = json.loads(params[key])
    return params


def _answer(
    body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    if status == 429 and headers is None:
        headers = {"Retry-After": "1"}
    return web.json_response(body, status=status, headers=headers, content_type=JSON_TYPE)


def serve_standalone(port: int, *, bot_token: str, team_id: str) -> None:
    """Serve a fake Slack in this process until it is killed: benchmarks run it as a child process,
    so its CPU is not counted as the server's."""

    async def run() -> None:
        await FakeSlack(bot_token=bot_token, team_id=team_id).start(port=port)
        await asyncio.Event().wait()

    asyncio.run(run())
