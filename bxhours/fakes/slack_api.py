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

It is Slack's identity provider too (``bxhours.fakes.slack_oauth``): several workspaces, some in an
Enterprise Grid organisation, each with its own people and tokens; an authorize page a browser can
click through; ``oauth.v2.access`` with code and refresh grants; ``auth.revoke``, ``team.info`` and
uninstalling. Every Web API call acts within the workspace (or org) its token belongs to, and is
recorded with that workspace's ``team_id``. ``FakeSlack()`` alone still is one installed workspace
with ``bot_token``, as before.

File uploads work as Slack's three steps (``files_upload_v2`` in slack_sdk): ``files.getUploadURLExternal``
(``filename``, ``length`` > 0; scope ``files:write``) answers an upload URL on this server and a
file id; the bytes are POSTed there (raw or multipart; exactly ``length`` of them, once);
``files.completeUploadExternal`` shares uploaded files into ``channel_id`` or ``channels`` (a DM
opened with ``conversations.open``, or a channel) with ``initial_comment``. A file that was never
uploaded, another token's file, a second completion, a size that differs from ``length`` — each is
refused. Slack's exact error names for these cases are UNCONFIRMED (``file_not_found``,
``invalid_arguments``); ``missing_argument`` for a zero ``length`` and ``missing_scope`` are
Slack's documented ones. ``uploaded_files`` lists what was shared, with its bytes.
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
from bxhours.fakes.slack_oauth import AUTHORIZE_PATH, SlackIdentityProvider
from bxhours.fakes.slack_workspaces import (
    DEFAULT_BOT_SCOPES,
    Enterprise,
    FakeWorkspace,
    Grant,
    Installation,
    WorkspaceUser,
    random_digits,
)

__all__ = ["FakeSlack", "FakeWorkspace", "Refusal", "SlackCall", "WorkspaceUser", "serve_standalone"]

JSON_TYPE = "application/json"


@dataclass
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)
    team_id: str | None = None  # the workspace the token acts in (None: unknown token, or an org-wide one)
    enterprise_id: str | None = None


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
class FileUpload:
    """One file of the three-step upload: announced, then its bytes, then shared."""

    id: str
    filename: str
    length: int
    token: str
    team_id: str | None
    content: bytes | None = None
    title: str | None = None
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None
    completed: bool = False

    def as_slack(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": self.length,
            "mimetype": _mimetype(self.filename),
            "channels": list(self.channels),
        }


MAX_UPLOAD_BYTES = 1024**3
"""Slack's limit per file (1 GB)."""
FILES_WRITE = "files:write"


def _mimetype(filename: str) -> str:
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


@dataclass
class ScriptedError:
    error: str
    status: int = 200
    retry_after: int | None = None
    team_id: str | None = None  # only calls made in this workspace; None: any


@dataclass
class Caller:
    """Whom a Web API call acts for: the token's installation, in one workspace or org-wide."""

    grant: Grant
    workspace: FakeWorkspace | None  # None for an org-wide token
    enterprise: Enterprise | None

    @property
    def installation(self) -> Installation:
        return self.grant.installation

    @property
    def team_id(self) -> str | None:
        return self.workspace.team_id if self.workspace else None

    @property
    def bot_user_id(self) -> str:
        return self.installation.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.installation.bot_id


class FakeSlack(SlackIdentityProvider):
    """State and behaviour of the fake Slack; ``app`` is the aiohttp application serving it.

    It starts with one workspace (``team_id``) in which the app is installed with ``bot_token``;
    ``add_workspace`` adds more, which get tokens through the authorize page and
    ``oauth.v2.access`` (``client_id``/``client_secret``, ``allow_redirect``)."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",
        team_id: str = "T0001BX",
        team_name: str = "Acme Digital",
        bot_user_id: str = "U0BOT",
        domain: str = "acme-digital",
        client_id: str | None = None,
        client_secret: str | None = None,
        app_id: str = "A0BXHOURS",
        app_name: str = "bxhours",
        redirect_urls: list[str] | tuple[str, ...] = (),
        token_rotation: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot_token = bot_token
        self.team_id = team_id
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.client_id = client_id or f"{random_digits(10)}.{random_digits(13)}"
        self.client_secret = client_secret or secrets.token_hex(16)
        self.app_id = app_id
        self.app_name = app_name
        self.redirect_urls = list(redirect_urls)
        self.token_rotation = token_rotation
        self.org_deploy_enabled = True
        self.verification_token = "deprecated"
        self._clock = clock
        self._clock_offset = 0.0
        self.workspaces: dict[str, FakeWorkspace] = {}
        self.enterprises: dict[str, Enterprise] = {}
        self.installations: dict[tuple[str | None, str | None], Installation] = {}
        self.grants: dict[str, Grant] = {}
        self.sent_events: list[dict[str, Any]] = []
        self._refresh_tokens: dict[str, Grant] = {}
        self._codes: dict[str, Any] = {}
        self._nonces: dict[str, tuple[float, dict[str, str]]] = {}
        self._dm_owners: dict[str, str] = {}
        self.calls: list[SlackCall] = []
        self.hooks: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home: dict[str, dict[str, Any]] = {}
        self.used_triggers: set[str] = set()
        self.refusals: list[Refusal] = []
        self._expected_refusals: list[tuple[str, str]] = []
        self._script: dict[str, list[ScriptedError]] = {}
        self.uploads: dict[str, FileUpload] = {}
        self._file_ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.base_url = ""
        # The workspace every existing test uses: the app is installed there with ``bot_token``.
        workspace = FakeWorkspace(
            team_id,
            team_name,
            domain,
            bot_user_id=bot_user_id,
            bot_id="B0BOT",
            email_domain=f"{domain}.example",
        )
        self.workspaces[team_id] = workspace
        installation = Installation(
            team_id=team_id,
            enterprise_id=None,
            is_enterprise_install=False,
            bot_user_id=bot_user_id,
            bot_id="B0BOT",
            bot_scopes=list(DEFAULT_BOT_SCOPES),
        )
        self.installations[installation.key] = installation
        # The DM'd reports need ``files:write`` (manifest.yml asks for it), so the ready-made token
        # has it; a test takes it away from ``grants[bot_token].scopes`` to see the refusal. (The
        # installation keeps the older default list: installing through the authorize page grants
        # what is asked there.)
        self.grants[bot_token] = Grant(
            bot_token, "bot", installation, bot_user_id, [*DEFAULT_BOT_SCOPES, FILES_WRITE]
        )

    # -- set-up helpers ---------------------------------------------------------------------

    @property
    def users(self) -> dict[str, WorkspaceUser]:
        """The people of the default workspace (``team_id``); ``workspaces[T].users`` for others."""
        return self.workspaces[self.team_id].users

    def add_user(
        self,
        user_id: str,
        email: str,
        real_name: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        tz: str = "Europe/Zurich",
        locale: str = "en-US",
        team_id: str | None = None,
    ) -> WorkspaceUser:
        """A person in ``team_id``'s workspace (default: the default workspace). User ids are
        unique across workspaces, as at Slack."""
        other = self.workspace_of(user_id)
        if other is not None and other.team_id != (team_id or self.team_id):
            raise ValueError(f"{user_id} is a member of {other.team_id} already")
        return self.workspace(team_id).add_user(
            user_id,
            email,
            real_name,
            is_admin=is_admin,
            is_owner=is_owner,
            is_primary_owner=is_primary_owner,
            tz=tz,
            locale=locale,
        )

    def fail_next(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: int | None = None,
        team_id: str | None = None,
    ) -> None:
        """The next call of ``method`` (made in ``team_id``'s workspace, when given) answers with
        this error (e.g. ``ratelimited`` with 429)."""
        self._script.setdefault(method, []).append(ScriptedError(error, status, retry_after, team_id))

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

    def uploaded_files(self, channel: str | None = None) -> list[FileUpload]:
        """Files shared by ``files.completeUploadExternal`` (into ``channel``, when given)."""
        return [
            upload
            for upload in self.uploads.values()
            if upload.completed and (channel is None or channel in upload.channels)
        ]

    def dm_channel(self, user_id: str) -> str:
        return self._dm_channel(user_id)

    def calls_in(self, team_id: str, method: str | None = None) -> list[SlackCall]:
        """The calls made with a token of ``team_id``'s workspace (or naming it, with an org token)."""
        return [c for c in self.calls if c.team_id == team_id and (method is None or c.method == method)]

    # -- the HTTP side --------------------------------------------------------------------------

    @property
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_method)
        app.router.add_post("/hooks/{tail:.*}", self._handle_hook)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_get(AUTHORIZE_PATH, self._authorize_page)
        app.router.add_post(AUTHORIZE_PATH, self._authorize_submit)
        return app

    def response_url(self, kind: str = "commands", team_id: str | None = None) -> str:
        return (
            f"{self.base_url}/hooks/{kind}/{team_id or self.team_id}/{next(self._ts)}/{secrets.token_hex(8)}"
        )

    async def _handle_hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        problems = block_kit.message_problems(body) if isinstance(body, dict) else ["not a JSON object"]
        if problems:
            self.refuse("response_url", "invalid_blocks", problems, body)
            return web.Response(status=400, text="invalid_blocks")
        self.hooks.append((request.path, body))
        self._changed.set()
        return web.Response(text="ok")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """Step 2 of an upload: the bytes, raw or as a multipart form's file (Slack takes both)."""
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None or upload.content is not None:
            return web.Response(status=404, text="upload URL unknown or used already")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            parts = [value for value in form.values() if isinstance(value, web.FileField)]
            content = parts[0].file.read() if parts else b""
        else:
            content = await request.read()
        if len(content) != upload.length:
            return web.Response(
                status=400,
                text=f"expected {upload.length} bytes (files.getUploadURLExternal), got {len(content)}",
            )
        upload.content = content
        self._changed.set()
        return web.Response(text=f"OK - {len(content)}")

    def _caller(self, grant: Grant, params: dict[str, Any]) -> Caller:
        installation = grant.installation
        enterprise = self.enterprises.get(installation.enterprise_id or "")
        workspace = self.workspaces.get(installation.team_id or "")
        if workspace is None and params.get("team_id") in self.workspaces:
            named = self.workspaces[str(params["team_id"])]
            if enterprise is not None and named.enterprise_id == enterprise.id:
                workspace = named  # an org-wide token names the workspace it acts in
        return Caller(grant, workspace, enterprise)

    def _scripted(self, method: str, team_id: str | None) -> ScriptedError | None:
        scripted = self._script.get(method) or []
        for failure in scripted:
            if failure.team_id is None or failure.team_id == team_id:
                scripted.remove(failure)
                return failure
        return None

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _merged_params(request)
        auth = request.headers.get("Authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        token = bearer or params.pop("token", None)
        grant = self.grants.get(token) if token else None
        caller = self._caller(grant, params) if grant else None
        team_id = caller.team_id if caller else None
        enterprise_id = caller.enterprise.id if caller and caller.enterprise else None
        self.calls.append(SlackCall(method, params, token, team_id=team_id, enterprise_id=enterprise_id))
        self._changed.set()
        failure = self._scripted(method, team_id)
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return _answer({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        if method == "oauth.v2.access":
            return _answer(self._oauth_v2_access(params, request))
        if not token:
            return _answer({"ok": False, "error": "not_authed"})
        if grant is None or caller is None:
            return _answer({"ok": False, "error": "invalid_auth"})
        dead = grant.status(self.now())
        if dead:
            return _answer({"ok": False, "error": dead})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return _answer({"ok": False, "error": "unknown_method"})
        result = handler(params, caller)
        if isinstance(result, web.Response):
            return result
        return _answer(result)

    # -- within the caller's workspace ------------------------------------------------------------

    def _visible(self, caller: Caller) -> list[FakeWorkspace]:
        """The workspaces a token reaches: its own, or every workspace of its org when org-wide."""
        if caller.installation.is_enterprise_install and caller.enterprise is not None:
            return [ws for ws in self.workspaces.values() if ws.enterprise_id == caller.enterprise.id]
        return [caller.workspace] if caller.workspace else []

    def _user(self, caller: Caller, user_id: str) -> tuple[WorkspaceUser, FakeWorkspace] | None:
        for workspace in self._visible(caller):
            if user_id in workspace.users:
                return workspace.users[user_id], workspace
        return None

    def _as_slack(self, caller: Caller, user: WorkspaceUser, params: dict[str, Any]) -> dict[str, Any]:
        workspace = self.workspaces.get(user.team_id, caller.workspace)
        enterprise = self.enterprises.get(workspace.enterprise_id or "") if workspace else None
        include_locale = str(params.get("include_locale", "")).lower() in ("1", "true")
        return user.as_slack(user.team_id, enterprise=enterprise, include_locale=include_locale)

    # -- methods -----------------------------------------------------------------------------

    def _m_auth_test(self, _params: dict[str, Any], caller: Caller) -> web.Response:
        grant, installation = caller.grant, caller.installation
        enterprise, workspace = caller.enterprise, caller.workspace
        org_wide = installation.is_enterprise_install
        if org_wide and enterprise is not None:
            # An org-wide token: the org's URL and name. That Slack then answers the org's id as
            # team_id is UNCONFIRMED.
            url, team, team_id = enterprise.url, enterprise.name, enterprise.id
        else:
            assert workspace is not None
            url, team, team_id = workspace.url, workspace.name, workspace.team_id
        body: dict[str, Any] = {"ok": True, "url": url, "team": team, "team_id": team_id}
        if grant.token_type == "bot":
            body.update(user=self.app_name, user_id=installation.bot_user_id, bot_id=installation.bot_id)
        else:
            person = self.find_user(grant.user_id)
            body.update(user=person.name if person else grant.user_id, user_id=grant.user_id)
        if enterprise is not None:
            body["enterprise_id"] = enterprise.id
        body["is_enterprise_install"] = org_wide
        return _answer(body, headers={"x-oauth-scopes": ",".join(grant.scopes)})

    def _m_auth_revoke(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        if str(params.get("test", "")).lower() in ("1", "true"):
            return {"ok": True, "revoked": False}
        self.revoke_token(caller.grant)
        return {"ok": True, "revoked": True}

    def _m_team_info(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        wanted = str(params.get("team") or "") or caller.team_id
        workspace = next((ws for ws in self._visible(caller) if ws.team_id == wanted), None)
        if workspace is None:
            return {"ok": False, "error": "team_not_found"}
        enterprise = self.enterprises.get(workspace.enterprise_id or "")
        return {"ok": True, "team": workspace.team_info(enterprise)}

    def _m_users_info(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        found = self._user(caller, str(params.get("user")))
        if found is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._as_slack(caller, found[0], params)}

    def _m_users_lookupByEmail(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        email = str(params.get("email", "")).lower()
        for workspace in self._visible(caller):
            for user in workspace.users.values():
                if user.email.lower() == email and not user.deleted:
                    return {"ok": True, "user": self._as_slack(caller, user, params)}
        return {"ok": False, "error": "users_not_found"}

    def _m_users_list(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        limit = int(params.get("limit") or 200)
        start = int(params.get("cursor") or 0)
        named = params.get("team_id")
        members = [
            user
            for workspace in self._visible(caller)
            if not named or workspace.team_id == named
            for user in workspace.users.values()
        ]
        page = members[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(members) else ""
        return {
            "ok": True,
            "members": [self._as_slack(caller, user, params) for user in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _dm_channel(self, user_id: str) -> str:
        return "D" + user_id.lstrip("UW")

    def _m_conversations_open(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        users = str(params.get("users", ""))
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        first = users.split(",")[0]
        if self._user(caller, first) is None and first != caller.bot_user_id:
            return {"ok": False, "error": "user_not_found"}
        channel = self._dm_channel(first)
        self._dm_owners[channel] = first
        return {"ok": True, "channel": {"id": channel}}

    def _channel_refusal(self, caller: Caller, channel: str) -> dict[str, Any] | None:
        """A DM of someone the token cannot reach (another workspace's person) does not exist for it."""
        owner = self._dm_owners.get(channel)
        if owner is not None and owner != caller.bot_user_id and self._user(caller, owner) is None:
            return {"ok": False, "error": "channel_not_found"}
        return None

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _m_chat_postMessage(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        refused = self._channel_refusal(caller, str(channel)) or self._message_refusal(
            "chat.postMessage", params
        )
        if refused:
            return refused
        ts = self._next_ts()
        message = {
            "type": "message",
            "text": params.get("text", ""),
            "blocks": params.get("blocks", []),
            "ts": ts,
        }
        message.update({"user": caller.bot_user_id, "bot_id": caller.bot_id, "team": caller.team_id})
        self.messages[(str(channel), ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        key = (str(params.get("channel")), str(params.get("ts")))
        if key not in self.messages or self._channel_refusal(caller, key[0]):
            return {"ok": False, "error": "message_not_found"}
        if self.messages[key].get("bot_id") != caller.bot_id:
            return {"ok": False, "error": "cant_update_message"}
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

    def _m_chat_postEphemeral(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "channel_not_found"}
        if (
            self.find_user(str(params["user"])) is not None
            and self._user(caller, str(params["user"])) is None
        ):
            return {"ok": False, "error": "user_not_in_channel"}
        refused = self._message_refusal("chat.postEphemeral", params)
        if refused:
            return refused
        return {"ok": True, "message_ts": self._next_ts()}

    def _store_view(self, view: dict[str, Any], caller: Caller, view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._view_ids):08d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": caller.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "app_id": self.app_id,
            "bot_id": caller.bot_id,
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

    def _m_views_open(
        self, params: dict[str, Any], caller: Caller, method: str = "views.open"
    ) -> dict[str, Any]:
        trigger = str(params.get("trigger_id", ""))
        if not trigger:
            return {"ok": False, "error": "invalid_trigger_id"}
        if trigger in self.used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        refused = self._view_refusal(method, params)
        if refused:
            return refused
        self.used_triggers.add(trigger)
        return {"ok": True, "view": self._store_view(_as_dict(params["view"]), caller)}

    def _m_views_push(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return self._m_views_open(params, caller, "views.push")

    def _m_views_update(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next(
                (vid for vid, v in self.views.items() if v.get("external_id") == params["external_id"]), None
            )
        current = self.views.get(str(view_id))
        if current is None or current.get("bot_id") != caller.bot_id:
            return {"ok": False, "error": "not_found"}
        if params.get("hash") and params["hash"] != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        refused = self._view_refusal("views.update", params)
        if refused:
            return refused
        return {"ok": True, "view": self._store_view(_as_dict(params["view"]), caller, str(view_id))}

    def _m_views_publish(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        user_id = str(params.get("user_id", ""))
        if self._user(caller, user_id) is None:
            return {"ok": False, "error": "user_not_found"}
        refused = self._view_refusal("views.publish", params)
        if refused:
            return refused
        view = self._store_view(_as_dict(params["view"]), caller)
        self.home[user_id] = view
        return {"ok": True, "view": view}

    # -- files --------------------------------------------------------------------------------

    @staticmethod
    def _missing_scope(caller: Caller, scope: str) -> dict[str, Any] | None:
        if scope in caller.grant.scopes:
            return None
        return {
            "ok": False,
            "error": "missing_scope",
            "needed": scope,
            "provided": ",".join(caller.grant.scopes),
        }

    def _m_files_getUploadURLExternal(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        refused = self._missing_scope(caller, FILES_WRITE)
        if refused:
            return refused
        filename = str(params.get("filename") or "").strip()
        raw_length = str(params.get("length") or "").strip()
        if not filename or not raw_length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        length = int(raw_length)
        if length == 0:
            return {"ok": False, "error": "missing_argument"}
        if length > MAX_UPLOAD_BYTES:
            return {"ok": False, "error": "file_upload_size_restricted"}
        file_id = f"F{next(self._file_ids):08d}"
        self.uploads[file_id] = FileUpload(file_id, filename, length, caller.grant.token, caller.team_id)
        return {"ok": True, "upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        refused = self._missing_scope(caller, FILES_WRITE)
        if refused:
            return refused
        try:
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files
        except json.JSONDecodeError:
            files = None
        if (
            not isinstance(files, list)
            or not files
            or not all(isinstance(f, dict) and f.get("id") for f in files)
        ):
            return {"ok": False, "error": "invalid_arguments"}
        channel_id = str(params.get("channel_id") or "").strip()
        listed = [c for c in str(params.get("channels") or "").split(",") if c.strip()]
        if channel_id and listed:
            return {"ok": False, "error": "invalid_arguments"}
        channels = [channel_id] if channel_id else [c.strip() for c in listed]
        for channel in channels:
            if channel.startswith("D") and channel not in self._dm_owners:
                return {"ok": False, "error": "channel_not_found"}
            refusal = self._channel_refusal(caller, channel)
            if refusal:
                return refusal
        uploads = []
        for item in files:
            upload = self.uploads.get(str(item["id"]))
            if (
                upload is None
                or upload.token != caller.grant.token
                or upload.content is None
                or upload.completed
            ):
                return {"ok": False, "error": "file_not_found"}
            uploads.append((upload, item))
        comment = params.get("initial_comment")
        for upload, item in uploads:
            upload.completed = True
            upload.title = str(item.get("title") or upload.filename)
            upload.channels = channels
            upload.initial_comment = str(comment) if comment else None
        shared = [upload.as_slack() for upload, _item in uploads]
        for channel in channels:
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "text": str(comment or ""),
                "files": shared,
                "ts": ts,
            }
            message.update({"user": caller.bot_user_id, "bot_id": caller.bot_id, "team": caller.team_id})
            self.messages[(channel, ts)] = message
        return {"ok": True, "files": shared}

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
        sockets = site._server.sockets if site._server else []  # type: ignore[attr-defined]
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


def serve_standalone(
    port: int,
    *,
    bot_token: str,
    team_id: str,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_urls: list[str] | tuple[str, ...] = (),
    token_rotation: bool = False,
    announce: bool = False,
) -> None:
    """Serve a fake Slack in this process until it is killed: benchmarks run it as a child process,
    so its CPU is not counted as the server's. With ``announce`` it first prints what a local
    try-out of the OAuth install needs (``SLACK_API_URL``, ``SLACK_AUTHORIZE_URL``,
    ``SLACK_CLIENT_ID``, ``SLACK_CLIENT_SECRET``)."""

    async def run() -> None:
        fake = FakeSlack(
            bot_token=bot_token,
            team_id=team_id,
            client_id=client_id,
            client_secret=client_secret,
            redirect_urls=redirect_urls,
            token_rotation=token_rotation,
        )
        await fake.start(port=port)
        if announce:
            print(
                f"SLACK_API_URL={fake.api_url}\n"
                f"SLACK_AUTHORIZE_URL={fake.authorize_url}\n"
                f"SLACK_CLIENT_ID={fake.client_id}\n"
                f"SLACK_CLIENT_SECRET={fake.client_secret}\n"
                f"SLACK_BOT_TOKEN={fake.bot_token}",
                flush=True,
            )
        await asyncio.Event().wait()

    asyncio.run(run())
