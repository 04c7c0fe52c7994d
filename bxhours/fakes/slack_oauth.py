"""The fake Slack as an OAuth identity provider: the authorize page, ``oauth.v2.access``, token
rotation, revocation and uninstalling, for any number of workspaces.

What it copies from Slack, and where from (UNCONFIRMED where no source said it):

- ``GET /oauth/v2/authorize?client_id=&scope=&user_scope=&redirect_uri=&state=&team=``: an unknown
  ``client_id`` and a ``redirect_uri`` that matches no configured Redirect URL get an error page and
  no redirect (the page says "redirect_uri did not match any configured URIs", as reported in
  ngs/ts-dakoku#20; exact wording otherwise UNCONFIRMED). Slack compares exactly here; whether it
  also accepts a sub-path of a configured URL (its legacy docs said so) is UNCONFIRMED. Without
  ``redirect_uri`` the first configured URL is used. An invalid scope also gets a page, "Invalid
  permissions requested / Invalid scopes: …", not a redirect (slackapi/slack-api-specs#22 and
  auth0/custom-social-connections#52 show that page for v2). A person who clicks *Cancel* is sent
  back with ``error=access_denied&state=…``; *Allow* sends ``code`` and ``state`` (``state``
  unchanged). A code lives 10 minutes (UNCONFIRMED for v2) and is single use.
- ``oauth.v2.access``: credentials by HTTP Basic (what slack_sdk sends) or in the form; errors and
  their names from Slack's method reference (``invalid_client_id``, ``bad_client_secret``,
  ``invalid_code``, ``bad_redirect_uri``, ``invalid_grant_type``, ``invalid_refresh_token``,
  ``cannot_install_an_org_installed_app``). A code used twice answers ``invalid_code``: the v2 list
  has no ``code_already_used`` (only the legacy ``oauth.access`` documents it); what v2 really
  answers is UNCONFIRMED. ``redirect_uri`` must equal the authorize one when that was sent.
  Answer shape: Slack's example and the SDKs' ``OauthV2AccessResponse`` (``team`` null and
  ``enterprise`` set for an org-wide install). With token rotation: ``xoxe.xoxb-1-…`` tokens,
  ``expires_in`` 43200, ``refresh_token`` ``xoxe-1-…``; a refresh hands out a new pair and the old
  refresh token is revoked ("The refresh token is then revoked", docs.slack.dev "Using token
  rotation"); the old access token keeps working until it expires (UNCONFIRMED).
- After an uninstall a bot token answers ``account_inactive`` and a user token ``token_revoked``
  (the errors' documented meanings; bolt-python#1029 saw ``account_inactive``); a token revoked
  with ``auth.revoke`` answers ``token_revoked`` (UNCONFIRMED for bot tokens); an expired one
  ``token_expired``.
- ``uninstall`` returns the two Events API envelopes Slack sends, shaped as its event reference
  shows them (``tokens_revoked`` with user ids, not tokens; ``app_uninstalled``): no
  ``authorizations`` (the documented examples and Bolt's own tests have none; UNCONFIRMED), and an
  org-wide uninstall names only ``enterprise_id`` (as Bolt's tests do).
"""

from __future__ import annotations

import base64
import binascii
import html
import secrets
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp
from aiohttp import web

from bxhours.fakes.slack_workspaces import (
    BOT_SCOPES,
    CODE_LIFETIME,
    TOKEN_LIFETIME,
    USER_SCOPES,
    AuthCode,
    Enterprise,
    FakeWorkspace,
    Grant,
    Installation,
    WorkspaceUser,
    auth_code,
    bot_token,
    new_id,
    random_digits,
    refresh_token,
    slug,
    split_scopes,
    user_token,
)

AUTHORIZE_PATH = "/oauth/v2/authorize"
NONCE_LIFETIME = 1800


class OAuthRefused(Exception):
    """An authorize request Slack answers with an error page instead of a redirect."""

    def __init__(self, error: str, title: str, detail: str = "") -> None:
        super().__init__(f"{error}: {title} {detail}".strip())
        self.error, self.title, self.detail = error, title, detail


class SlackIdentityProvider:
    """Mixed into ``FakeSlack``: the app's credentials, workspaces, installations and tokens."""

    # Set by FakeSlack.__init__.
    client_id: str
    client_secret: str
    app_id: str
    app_name: str
    redirect_urls: list[str]
    token_rotation: bool
    org_deploy_enabled: bool
    verification_token: str
    team_id: str
    base_url: str
    workspaces: dict[str, FakeWorkspace]
    enterprises: dict[str, Enterprise]
    installations: dict[tuple[str | None, str | None], Installation]
    grants: dict[str, Grant]
    sent_events: list[dict[str, Any]]
    _refresh_tokens: dict[str, Grant]
    _codes: dict[str, AuthCode]
    _nonces: dict[str, tuple[float, dict[str, str]]]
    _clock: Callable[[], float]
    _clock_offset: float

    # -- set-up -------------------------------------------------------------------------------

    def now(self) -> float:
        """The fake's clock (epoch seconds): codes and rotating tokens expire by it."""
        return self._clock() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward, e.g. past a code's 10 minutes or a token's 12 hours."""
        self._clock_offset += seconds

    def allow_redirect(self, url: str) -> None:
        """Register a Redirect URL, as under "OAuth & Permissions" in the app's settings."""
        if url not in self.redirect_urls:
            self.redirect_urls.append(url)

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}{AUTHORIZE_PATH}"

    def install_url(
        self,
        scopes: Iterable[str],
        *,
        user_scopes: Iterable[str] = (),
        redirect_uri: str | None = None,
        state: str | None = None,
        team: str | None = None,
    ) -> str:
        """An "Add to Slack" link as an app builds it."""
        query: dict[str, str] = {"client_id": self.client_id, "scope": ",".join(scopes)}
        if user_scopes:
            query["user_scope"] = ",".join(user_scopes)
        for key, value in (("redirect_uri", redirect_uri), ("state", state), ("team", team)):
            if value is not None:
                query[key] = value
        return f"{self.authorize_url}?{urlencode(query)}"

    def add_workspace(
        self,
        team_id: str,
        name: str,
        *,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        domain: str | None = None,
    ) -> FakeWorkspace:
        """A workspace the app is not installed in yet (install it through the authorize page)."""
        if team_id in self.workspaces:
            raise ValueError(f"workspace {team_id} exists already")
        if enterprise_id is not None and enterprise_id not in self.enterprises:
            org_name = enterprise_name or f"{name} Org"
            self.enterprises[enterprise_id] = Enterprise(
                enterprise_id, org_name, slug(org_name), new_id("W"), new_id("B")
            )
        enterprise = self.enterprises.get(enterprise_id) if enterprise_id else None
        workspace = FakeWorkspace(
            team_id,
            name,
            domain or slug(name),
            enterprise_id=enterprise_id,
            enterprise_name=enterprise.name if enterprise else None,
            bot_user_id=new_id("U"),
            bot_id=new_id("B"),
            email_domain=f"{domain or slug(name)}.example",
        )
        self.workspaces[team_id] = workspace
        return workspace

    def workspace(self, team_id: str | None = None) -> FakeWorkspace:
        return self.workspaces[team_id or self.team_id]

    def workspace_of(self, user_id: str) -> FakeWorkspace | None:
        return next((ws for ws in self.workspaces.values() if user_id in ws.users), None)

    def find_user(self, user_id: str) -> WorkspaceUser | None:
        workspace = self.workspace_of(user_id)
        return workspace.users[user_id] if workspace else None

    def installation_for(self, team_id: str) -> Installation | None:
        """The active installation that serves this workspace: its own, or its org's org-wide one."""
        workspace = self.workspaces.get(team_id)
        if workspace is None:
            return None
        own = self.installations.get((None, team_id))
        if own is not None and own.active:
            return own
        if workspace.enterprise_id:
            org = self.installations.get((workspace.enterprise_id, None))
            if org is not None and org.active:
                return org
        return None

    def tokens_of(self, team_id: str | None = None, *, enterprise_id: str | None = None) -> list[Grant]:
        """Every token issued for an installation, dead or alive, oldest first."""
        installation = self._installation(team_id, enterprise_id)
        return [grant for grant in self.grants.values() if grant.installation is installation]

    def expire_tokens(self, team_id: str | None = None, *, enterprise_id: str | None = None) -> int:
        """Let every expiring (rotated) token of an installation expire now; returns how many.
        Tokens issued without token rotation never expire, as at Slack."""
        expired = 0
        for grant in self.tokens_of(team_id, enterprise_id=enterprise_id):
            if grant.expires_at is not None and not grant.dead:
                grant.expires_at = self.now() - 1
                expired += 1
        return expired

    def _installation(self, team_id: str | None, enterprise_id: str | None) -> Installation:
        key = (enterprise_id, None) if team_id is None else (None, team_id)
        installation = self.installations.get(key)
        if installation is None:
            where = f"organisation {enterprise_id}" if team_id is None else f"workspace {team_id}"
            raise KeyError(f"the app was never installed in {where}")
        return installation

    # -- uninstalling and revoking --------------------------------------------------------------

    def uninstall(self, team_id: str | None, *, enterprise_id: str | None = None) -> list[dict[str, Any]]:
        """Someone removes the app from a workspace (or, with ``team_id`` None, an org-wide install
        from ``enterprise_id``): every token of that installation dies. Returns the two envelopes
        Slack then sends to the Request URL, ``tokens_revoked`` and ``app_uninstalled``, for
        ``SlackSimulator.send_event`` (Slack does not promise their order)."""
        installation = self._installation(team_id, enterprise_id)
        if not installation.active:
            raise ValueError("the app is not installed there any more")
        grants = [grant for grant in self.grants.values() if grant.installation is installation]
        revoked = self._revoke(grants, bot_error="account_inactive")
        installation.active = False
        envelopes = [
            self._tokens_revoked(installation, revoked),
            self.event_envelope(
                {"type": "app_uninstalled"},
                team_id=installation.team_id,
                enterprise_id=installation.enterprise_id,
                authorizations=False,
            ),
        ]
        self.sent_events.extend(envelopes)
        return envelopes

    def _revoke(self, grants: Iterable[Grant], *, bot_error: str) -> list[Grant]:
        revoked = []
        for grant in grants:
            if grant.dead:
                continue
            grant.dead = bot_error if grant.token_type == "bot" else "token_revoked"
            if grant.refresh_token:
                self._refresh_tokens.pop(grant.refresh_token, None)
            revoked.append(grant)
        return revoked

    def _tokens_revoked(self, installation: Installation, revoked: list[Grant]) -> dict[str, Any]:
        users = sorted({g.user_id for g in revoked if g.token_type == "user"})
        bots = sorted({g.user_id for g in revoked if g.token_type == "bot"})
        return self.event_envelope(
            {"type": "tokens_revoked", "tokens": {"oauth": users, "bot": bots}},
            team_id=installation.team_id,
            enterprise_id=installation.enterprise_id,
            authorizations=False,
        )

    def revoke_token(self, grant: Grant) -> list[dict[str, Any]]:
        """``auth.revoke``: that token dies; once an installation has no live token left the app
        is uninstalled (its ``app_uninstalled`` event) — "An app is not uninstalled until its
        final user and bot tokens are revoked" (app_uninstalled event reference)."""
        installation = grant.installation
        revoked = self._revoke([grant], bot_error="token_revoked")
        if not revoked:
            return []
        events = [self._tokens_revoked(installation, revoked)]
        live = [
            g
            for g in self.grants.values()
            if g.installation is installation and not g.dead and g.status(self.now()) != "token_expired"
        ]
        refreshable = any(g.installation is installation for g in self._refresh_tokens.values())
        if not live and not refreshable and installation.active:
            installation.active = False
            events.append(
                self.event_envelope(
                    {"type": "app_uninstalled"},
                    team_id=installation.team_id,
                    enterprise_id=installation.enterprise_id,
                    authorizations=False,
                )
            )
        self.sent_events.extend(events)
        return events

    def event_envelope(
        self,
        event: dict[str, Any],
        *,
        team_id: str | None,
        enterprise_id: str | None = None,
        authorizations: bool = True,
    ) -> dict[str, Any]:
        """An Events API ``event_callback`` envelope as Slack posts it to the Request URL."""
        if enterprise_id is None and team_id in self.workspaces:
            enterprise_id = self.workspaces[team_id].enterprise_id
        envelope: dict[str, Any] = {"token": self.verification_token}
        if team_id is not None:
            envelope["team_id"] = team_id
        if enterprise_id is not None:
            envelope["enterprise_id"] = enterprise_id
        envelope.update(
            api_app_id=self.app_id,
            event=event,
            type="event_callback",
            event_id=f"Ev{secrets.token_hex(5).upper()}",
            event_time=int(self.now()),
        )
        if authorizations and team_id is not None:
            installation = self.installation_for(team_id)
            org_wide = installation is not None and installation.is_enterprise_install
            workspace = self.workspaces.get(team_id)
            bot_user = (
                installation.bot_user_id if installation else (workspace.bot_user_id if workspace else "")
            )
            envelope["authorizations"] = [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": None if org_wide else team_id,
                    "user_id": bot_user,
                    "is_bot": True,
                    "is_enterprise_install": org_wide,
                }
            ]
            envelope["is_ext_shared_channel"] = False
        return envelope

    # -- the authorize page ---------------------------------------------------------------------

    def _check_authorize(self, query: dict[str, str]) -> tuple[str, list[str], list[str]]:
        """Slack's checks before it shows the consent page: the redirect URL it will use and the
        scopes. Raises OAuthRefused for what Slack answers with an error page."""
        if query.get("client_id", "") != self.client_id:
            raise OAuthRefused("invalid_client_id", "Invalid client_id parameter")
        passed = query.get("redirect_uri")
        if passed is None or passed == "":
            if not self.redirect_urls:
                raise OAuthRefused("bad_redirect_uri", "No redirect_uri given and none configured")
            redirect = self.redirect_urls[0]
        elif passed in self.redirect_urls:
            redirect = passed
        else:
            raise OAuthRefused(
                "bad_redirect_uri",
                "redirect_uri did not match any configured URIs.",
                f"Passed URI: {passed}",
            )
        scopes = split_scopes(query.get("scope"))
        user_scopes = split_scopes(query.get("user_scope"))
        invalid = [s for s in scopes if s not in BOT_SCOPES] + [
            s for s in user_scopes if s not in USER_SCOPES
        ]
        if invalid:
            raise OAuthRefused(
                "invalid_scope", "Invalid permissions requested", "Invalid scopes: " + ", ".join(invalid)
            )
        if not scopes and not user_scopes:
            raise OAuthRefused(
                "invalid_scope", "Invalid permissions requested", "Requested scopes cannot be blank"
            )
        return redirect, scopes, user_scopes

    async def _authorize_page(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        try:
            _redirect, scopes, user_scopes = self._check_authorize(query)
        except OAuthRefused as refused:
            return _error_page(refused)
        team_id = query.get("team", "")
        workspace = self.workspaces.get(team_id) or self.workspaces[self.team_id]
        return web.Response(
            text=self._consent_html(query, workspace, scopes, user_scopes),
            content_type="text/html",
        )

    def _consent_html(
        self, query: dict[str, str], workspace: FakeWorkspace, scopes: list[str], user_scopes: list[str]
    ) -> str:
        original: dict[str, str] = {
            k: query[k] for k in ("client_id", "scope", "user_scope", "redirect_uri", "state") if k in query
        }
        nonce = secrets.token_urlsafe(24)
        self._nonces[nonce] = (self.now(), {**original, "team": workspace.team_id})
        esc = html.escape

        def hidden(fields: dict[str, str]) -> str:
            return "".join(
                f'<input type="hidden" name="{esc(k)}" value="{esc(v, quote=True)}">'
                for k, v in fields.items()
            )

        teams = "".join(
            f'<option value="{esc(ws.team_id)}"{" selected" if ws is workspace else ""}>'
            f"{esc(ws.name)} ({esc(ws.domain)}.slack.com)</option>"
            for ws in self.workspaces.values()
        )
        signed_in = workspace.default_signed_in()
        people = "".join(
            f'<option value="{esc(user.id)}"{" selected" if user is signed_in else ""}>'
            f"{esc(user.real_name)} &lt;{esc(user.email)}&gt;{' (admin)' if user.is_admin else ''}</option>"
            for user in workspace.people()
        )
        org = ""
        enterprise = self.enterprises.get(workspace.enterprise_id or "")
        if enterprise is not None and self.org_deploy_enabled:
            org = (
                "<fieldset><legend>Install on</legend>"
                '<label><input type="radio" name="install_on" value="workspace" checked> '
                f"this workspace only ({esc(workspace.name)})</label><br>"
                '<label><input type="radio" name="install_on" value="enterprise"> '
                f"the whole organisation ({esc(enterprise.name)})</label></fieldset>"
            )
        bot_list = "".join(f"<li><code>{esc(s)}</code></li>" for s in scopes)
        user_list = "".join(f"<li><code>{esc(s)}</code></li>" for s in user_scopes)
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(self.app_name)} is requesting permission | Slack</title></head>
<body>
<h1>{esc(self.app_name)} is requesting permission to access the
<span id="workspace-name">{esc(workspace.name)}</span> Slack workspace</h1>
<form id="switch-workspace" method="get" action="{AUTHORIZE_PATH}">
{hidden(original)}
<label>Workspace <select name="team" id="team">{teams}</select></label>
<button type="submit" id="switch">Switch workspace</button>
</form>
<form id="consent" method="post" action="{AUTHORIZE_PATH}">
{hidden({**original, "team": workspace.team_id, "nonce": nonce})}
<label>Signed in as <select name="user" id="user">{people}</select></label>
{org}
<h2>What will {esc(self.app_name)} be able to do?</h2>
<ul id="scopes">{bot_list}</ul>
{f'<h2>On your behalf</h2><ul id="user-scopes">{user_list}</ul>' if user_scopes else ""}
<button type="submit" id="cancel" name="action" value="cancel">Cancel</button>
<button type="submit" id="allow" name="action" value="allow">Allow</button>
</form>
</body></html>"""

    async def _authorize_submit(self, request: web.Request) -> web.Response:
        form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
        issued = self._nonces.pop(form.get("nonce", ""), None)
        if issued is None or self.now() - issued[0] > NONCE_LIFETIME:
            return _error_page(OAuthRefused("invalid_form", "This form has expired or was already sent"), 400)
        shown = issued[1]
        if any(form.get(key) != value for key, value in shown.items()) or any(
            key in form and key not in shown for key in ("redirect_uri", "state", "user_scope")
        ):
            return _error_page(
                OAuthRefused("invalid_form", "The form does not match the page Slack showed"), 400
            )
        try:
            redirect, scopes, user_scopes = self._check_authorize(shown)
        except OAuthRefused as refused:
            return _error_page(refused)
        state = shown.get("state")
        if form.get("action") != "allow":
            raise web.HTTPFound(_with_query(redirect, {"error": "access_denied", "state": state}))
        workspace = self.workspaces[shown["team"]]
        user = workspace.users.get(form.get("user", ""))
        if user is None or user.deleted or user.is_bot:
            return _error_page(
                OAuthRefused("invalid_user", f"That account is not a member of {workspace.name}"), 400
            )
        enterprise_install = form.get("install_on") == "enterprise"
        if enterprise_install:
            if workspace.enterprise_id is None or not self.org_deploy_enabled:
                return _error_page(
                    OAuthRefused("invalid_form", "This workspace is not part of an organisation"), 400
                )
            if not (user.is_admin or user.is_owner):
                return _error_page(
                    OAuthRefused(
                        "not_allowed", "Only organisation admins and owners can install apps org-wide"
                    ),
                    403,
                )
        code = AuthCode(
            code=auth_code(),
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            is_enterprise_install=enterprise_install,
            user_id=user.id,
            bot_scopes=scopes,
            user_scopes=user_scopes,
            redirect_uri=shown.get("redirect_uri") or None,
            issued_at=self.now(),
        )
        self._codes[code.code] = code
        raise web.HTTPFound(_with_query(redirect, {"code": code.code, "state": state}))

    async def approve(
        self,
        authorize_url: str,
        *,
        team_id: str | None = None,
        user_id: str | None = None,
        enterprise: bool = False,
        cancel: bool = False,
    ) -> str:
        """Do what a person does in a browser on the authorize page — open it, switch to
        ``team_id``'s workspace if another is shown, pick ``user_id`` as the signed-in account,
        choose org-wide for ``enterprise``, click Allow (or Cancel) — over real HTTP, and return
        where Slack redirects to (the ``Location``, not followed). Fails with the page's text when
        Slack shows an error page instead."""
        async with aiohttp.ClientSession() as http:
            page_url = authorize_url
            page = await _fetch_page(http, page_url)
            forms = _forms(page)
            if team_id is not None and forms["consent"].value("team") != team_id:
                switch = forms["switch-workspace"]
                fields = switch.values()
                if team_id not in switch.options("team"):
                    raise AssertionError(f"workspace {team_id} is not offered on the authorize page")
                fields["team"] = team_id
                page_url = f"{_origin(authorize_url)}{switch.action}?{urlencode(fields)}"
                page = await _fetch_page(http, page_url)
                forms = _forms(page)
            consent = forms["consent"]
            fields = consent.values()
            if user_id is not None:
                if user_id not in consent.options("user"):
                    raise AssertionError(
                        f"{user_id} cannot sign in on the authorize page of {fields.get('team')}"
                    )
                fields["user"] = user_id
            if enterprise:
                if "enterprise" not in consent.options("install_on"):
                    raise AssertionError("the authorize page offers no org-wide install")
                fields["install_on"] = "enterprise"
            fields["action"] = "cancel" if cancel else "allow"
            async with http.post(
                f"{_origin(authorize_url)}{consent.action}", data=fields, allow_redirects=False
            ) as answer:
                text = await answer.text()
                if answer.status != 302:
                    raise AssertionError(f"the authorize page answered {answer.status}: {_page_text(text)}")
                return answer.headers["Location"]

    # -- oauth.v2.access -----------------------------------------------------------------------

    def _oauth_v2_access(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, client_secret = base64.b64decode(basic[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return {"ok": False, "error": "invalid_client_id"}
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        grant_type = params.get("grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            return self._refresh(str(params.get("refresh_token") or ""))
        if grant_type != "authorization_code":
            return {"ok": False, "error": "invalid_grant_type"}
        code = self._codes.get(str(params.get("code") or ""))
        if code is None or code.used or self.now() - code.issued_at > CODE_LIFETIME:
            return {"ok": False, "error": "invalid_code"}
        redirect = params.get("redirect_uri") or None
        if code.redirect_uri is not None and redirect != code.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        if code.redirect_uri is None and redirect is not None and redirect not in self.redirect_urls:
            return {"ok": False, "error": "bad_redirect_uri"}
        workspace = self.workspaces[code.team_id]
        if not code.is_enterprise_install and workspace.enterprise_id:
            org = self.installations.get((workspace.enterprise_id, None))
            if org is not None and org.active:
                return {"ok": False, "error": "cannot_install_an_org_installed_app"}
        code.used = True
        return self._install(code)

    def _install(self, code: AuthCode) -> dict[str, Any]:
        workspace = self.workspaces[code.team_id]
        enterprise = self.enterprises.get(code.enterprise_id or "")
        if code.is_enterprise_install:
            assert enterprise is not None
            key: tuple[str | None, str | None] = (enterprise.id, None)
            bot_user, bot_id = enterprise.bot_user_id, enterprise.bot_id
        else:
            key = (None, workspace.team_id)
            bot_user, bot_id = workspace.bot_user_id, workspace.bot_id
        installation = self.installations.get(key)
        if installation is None or not installation.active:
            installation = Installation(
                team_id=None if code.is_enterprise_install else workspace.team_id,
                enterprise_id=code.enterprise_id,
                is_enterprise_install=code.is_enterprise_install,
                bot_user_id=bot_user,
                bot_id=bot_id,
                bot_scopes=[],
            )
            self.installations[key] = installation
        installation.installer_user_id = code.user_id
        installation.bot_scopes = _union(installation.bot_scopes, code.bot_scopes)
        installation.user_scopes = _union(installation.user_scopes, code.user_scopes)
        team_num = random_digits(11)
        answer: dict[str, Any] = {"ok": True, "app_id": self.app_id}
        authed_user: dict[str, Any] = {"id": code.user_id}
        if code.user_scopes:
            user_grant = self._issue(installation, "user", code.user_id, installation.user_scopes, team_num)
            authed_user.update(
                scope=",".join(user_grant.scopes), access_token=user_grant.token, token_type="user"
            )
            if user_grant.expires_at is not None:
                authed_user.update(expires_in=TOKEN_LIFETIME, refresh_token=user_grant.refresh_token)
        if code.bot_scopes:
            grant = self._issue(installation, "bot", bot_user, installation.bot_scopes, team_num)
            answer.update(
                scope=",".join(grant.scopes),
                token_type="bot",
                access_token=grant.token,
                bot_user_id=bot_user,
            )
            if grant.expires_at is not None:
                answer.update(expires_in=TOKEN_LIFETIME, refresh_token=grant.refresh_token)
        answer["authed_user"] = authed_user
        answer["team"] = (
            None if code.is_enterprise_install else {"name": workspace.name, "id": workspace.team_id}
        )
        answer["enterprise"] = {"name": enterprise.name, "id": enterprise.id} if enterprise else None
        answer["is_enterprise_install"] = code.is_enterprise_install
        if "incoming-webhook" in code.bot_scopes:
            answer["incoming_webhook"] = {
                "channel": "#general",
                "channel_id": "C0GENERAL",
                "configuration_url": f"{workspace.url}services/B{random_digits(8)}",
                "url": f"{self.base_url}/hooks/services/{workspace.team_id}/{secrets.token_hex(8)}",
            }
        return answer

    def _issue(
        self, installation: Installation, token_type: str, user_id: str, scopes: list[str], team_num: str
    ) -> Grant:
        """A token for a (re)install. Without rotation Slack keeps handing out the same token for an
        installation and only widens its scopes (UNCONFIRMED); with rotation every install is a new
        pair and the installation's older refresh tokens die."""
        same = [
            g
            for g in self.grants.values()
            if g.installation is installation
            and g.token_type == token_type
            and g.user_id == user_id
            and not g.dead
        ]
        if not self.token_rotation:
            for grant in same:
                if grant.expires_at is None:
                    grant.scopes = list(scopes)
                    return grant
        for grant in same:
            if grant.refresh_token:
                self._refresh_tokens.pop(grant.refresh_token, None)
                grant.refresh_token = None
        return self._new_grant(installation, token_type, user_id, scopes, team_num)

    def _new_grant(
        self, installation: Installation, token_type: str, user_id: str, scopes: list[str], team_num: str
    ) -> Grant:
        rotating = self.token_rotation
        token = bot_token(team_num, rotating) if token_type == "bot" else user_token(team_num, rotating)
        grant = Grant(
            token=token,
            token_type="bot" if token_type == "bot" else "user",
            installation=installation,
            user_id=user_id,
            scopes=list(scopes),
            expires_at=self.now() + TOKEN_LIFETIME if rotating else None,
            refresh_token=refresh_token() if rotating else None,
        )
        self.grants[token] = grant
        if grant.refresh_token:
            self._refresh_tokens[grant.refresh_token] = grant
        return grant

    def _refresh(self, token: str) -> dict[str, Any]:
        old = self._refresh_tokens.pop(token, None)
        if old is None or old.dead or not old.installation.active:
            return {"ok": False, "error": "invalid_refresh_token"}
        old.refresh_token = None  # "The refresh token is then revoked"
        installation = old.installation
        grant = self._new_grant(installation, old.token_type, old.user_id, old.scopes, random_digits(11))
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": self.app_id,
            "scope": ",".join(grant.scopes),
            "token_type": grant.token_type,
            "access_token": grant.token,
            "refresh_token": grant.refresh_token,
            "expires_in": TOKEN_LIFETIME,
        }
        if grant.token_type == "bot":
            answer["bot_user_id"] = grant.user_id
        else:
            answer["user_id"] = grant.user_id
        enterprise = self.enterprises.get(installation.enterprise_id or "")
        workspace = self.workspaces.get(installation.team_id or "")
        answer["team"] = {"name": workspace.name, "id": workspace.team_id} if workspace else None
        answer["enterprise"] = {"name": enterprise.name, "id": enterprise.id} if enterprise else None
        answer["is_enterprise_install"] = installation.is_enterprise_install
        return answer


# -- helpers ------------------------------------------------------------------------------------


def _union(first: list[str], second: list[str]) -> list[str]:
    return first + [s for s in second if s not in first]


def _with_query(url: str, params: dict[str, str | None]) -> str:
    """``url`` with ``params`` added to its query (None values left out); the rest of it unchanged."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _error_page(refused: OAuthRefused, status: int = 400) -> web.Response:
    esc = html.escape
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slack: {esc(refused.title)}</title></head>
<body><h1>Oops! Something went wrong when authorizing this app.</h1>
<p id="error-title">{esc(refused.title)}</p>
<p id="error-detail">{esc(refused.detail)}</p>
<p>Error details: <code id="error">{esc(refused.error)}</code></p>
</body></html>"""
    return web.Response(status=status, text=body, content_type="text/html")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _fetch_page(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url, allow_redirects=False) as answer:
        text = await answer.text()
        if answer.status != 200:
            raise AssertionError(f"the authorize page answered {answer.status}: {_page_text(text)}")
        return text


class _Form:
    def __init__(self, action: str) -> None:
        self.action = action
        self.fields: list[tuple[str, str, str, bool]] = []  # name, value, kind, chosen

    def values(self) -> dict[str, str]:
        """What the browser would send: hidden inputs, each select's selected option (else its
        first), the checked radio button; buttons only when clicked (added by the caller)."""
        values: dict[str, str] = {}
        chosen_selects: set[str] = set()
        for name, value, kind, chosen in self.fields:
            if kind == "hidden" or (kind == "radio" and chosen):
                values[name] = value
            elif kind == "option" and name not in chosen_selects and (chosen or name not in values):
                values[name] = value
                if chosen:
                    chosen_selects.add(name)
        return values

    def value(self, name: str) -> str | None:
        return self.values().get(name)

    def options(self, name: str) -> list[str]:
        return [
            value
            for field_name, value, kind, _ in self.fields
            if field_name == name and kind in ("option", "radio")
        ]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, _Form] = {}
        self._form: _Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = _Form(attr.get("action", ""))
            self.forms[attr.get("id", str(len(self.forms)))] = self._form
        elif self._form is None:
            return
        elif tag == "select":
            self._select = attr.get("name", "")
        elif tag == "option" and self._select is not None:
            self._form.fields.append((self._select, attr.get("value", ""), "option", "selected" in attr))
        elif tag == "input":
            kind = attr.get("type", "text")
            if kind in ("hidden", "radio", "text"):
                self._form.fields.append(
                    (
                        attr.get("name", ""),
                        attr.get("value", ""),
                        "hidden" if kind == "text" else kind,
                        "checked" in attr,
                    )
                )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _forms(page: str) -> dict[str, _Form]:
    parser = _FormParser()
    parser.feed(page)
    if "consent" not in parser.forms:
        raise AssertionError(f"no consent form on the authorize page: {_page_text(page)}")
    return parser.forms


def _page_text(page: str) -> str:
    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            if data.strip():
                self.parts.append(data.strip())

    text = Text()
    text.feed(page)
    return " ".join(text.parts)
