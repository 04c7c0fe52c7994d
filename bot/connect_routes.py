"""The pages of installing and connecting: ``/slack/install``, ``/slack/oauth_redirect``,
``/bexio/connect`` and ``/bexio/callback``.

Each OAuth ``state`` is issued in the database and pinned to the browser by a cookie (Bolt's for
Slack, ours for bexio): a callback whose state this deployment did not issue, that expired, was used
already, or arrives in another browser is refused with HTTP 400 and changes nothing.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.oauth.async_callback_options import AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.slack_oauth import (
    INSTALL_PATH,
    REDIRECT_PATH,
    InstallFlow,
    SqlInstallationStore,
    SqlStateStore,
    saved_key,
)
from bot.views.pages import page
from core.i18n import N_, _
from services.bexio_connect import (
    CALLBACK_PATH,
    CONNECT_PATH,
    BexioConnectService,
    Connected,
    ConnectRefused,
    PendingFromBexio,
    StateUnknown,
)
from services.container import Services
from services.workspaces import WorkspaceService
from storage.tenant_context import working_for

log = logging.getLogger(__name__)

BEXIO_STATE_COOKIE = "bxhours-bexio-state"

_SLACK_FAILURES = {
    "access_denied": N_("You cancelled the installation, so bxhours was not added to Slack."),
    "invalid_browser": N_(
        "This installation was started in another browser (or its cookie expired). Start again."
    ),
    "invalid_state": N_("This installation link has expired or was used already. Start again."),
    "missing_code": N_("Slack did not send the installation back. Start again."),
    "invalid_code": N_("Slack did not confirm the installation (the code expired or was used). Start again."),
    "storage_error": N_("bxhours could not store the installation. Please try again in a moment."),
}
_OPEN_IN_SLACK = N_("Open bxhours in Slack")
_NOT_CONNECTED = N_("bexio was not connected")
_NOT_STARTED_HERE = N_("This sign-in was not started here")
_START_FROM_SLACK = N_("Start from Slack")


@dataclass
class ConnectRoutes:
    services: Services
    connect: BexioConnectService
    workspaces: WorkspaceService
    flow: InstallFlow | None
    install_store: SqlInstallationStore | None
    state_store: SqlStateStore | None
    secure_cookies: bool

    def routes(self) -> list[web.RouteDef]:
        routes = [web.get(CONNECT_PATH, self.bexio_connect), web.get(CALLBACK_PATH, self.bexio_callback)]
        if self.flow is not None:
            routes += [web.get(INSTALL_PATH, self.slack_install), web.get(REDIRECT_PATH, self.slack_redirect)]
        return routes

    # -- Slack -----------------------------------------------------------------------------------------

    async def slack_install(self, request: web.Request) -> web.Response:
        assert self.flow is not None
        return self._response(await self.flow.handle_installation(_bolt_request(request)))

    async def slack_redirect(self, request: web.Request) -> web.Response:
        assert self.flow is not None
        response = self._response(await self.flow.handle_callback(_bolt_request(request)))
        # The state is used up either way. Bolt's default pages remove its cookie; ours (the success
        # and failure callbacks) carry no Set-Cookie, so the browser would keep it for 15 minutes.
        response.del_cookie(
            self.flow.settings.state_cookie_name,
            path="/",
            secure=self.secure_cookies,
            httponly=True,
            samesite="Lax",
        )
        return response

    def _response(self, answer: BoltResponse) -> web.Response:
        """Bolt's answer for aiohttp; its state cookie is ``Secure`` only where the server is https
        (a browser on http://localhost would drop it otherwise — and so would every install)."""
        headers = {
            key: value
            for key, value in answer.first_headers_without_set_cookie().items()
            if key.lower() != "content-type"
        }
        content_type = answer.headers.get("content-type", ["text/html"])[0].split(";")[0]
        response = web.Response(
            status=answer.status,
            body=answer.body.encode("utf-8"),
            headers=headers,
            content_type=content_type,
            charset="utf-8",
        )
        for cookie in answer.cookies():
            for name, morsel in cookie.items():
                max_age = morsel.get("max-age")
                response.set_cookie(
                    name,
                    morsel.value,
                    max_age=int(max_age) if max_age else None,
                    path=morsel.get("path") or "/",
                    secure=self.secure_cookies,
                    httponly=True,
                    samesite="Lax",
                )
        return response

    async def installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        """Bolt's success callback: the installation is stored; start the workspace's setup."""
        installation = args.installation
        assert self.install_store is not None and self.state_store is not None
        tenant_id = self.install_store.saved.pop(saved_key(installation), None)
        if tenant_id is None:  # pragma: no cover - Bolt saves before it calls us
            return _html(
                500, page(_("Something went wrong"), [_("The installation was not stored. Try again.")])
            )
        installer = installation.user_id
        state = args.request.query.get("state", [""])[0]
        pending = (self.state_store.consumed.pop(state, None) or {}).get("pending")
        self.services.tenants.forget(tenant_id)
        team = installation.enterprise_name if installation.is_enterprise_install else installation.team_name
        team = team or installation.team_id or _("your workspace")
        home = _app_home_url(installation.app_id, installation.team_id)
        if isinstance(pending, str) and pending:
            with working_for(tenant_id):
                try:
                    connected = await self.connect.adopt_pending(tenant_id, installer, pending)
                except ConnectRefused as refused:
                    await self.workspaces.installed(tenant_id, installer)
                    await self._tell(refused)
                    return _html(
                        200,
                        page(
                            _("bxhours is installed in {team}", team=team),
                            [
                                _("bexio was not connected: {reason}", reason=refused.message),
                                _(
                                    "Open bxhours in Slack and click Connect bexio on its Home tab to try again."
                                ),
                            ],
                            link=(_(_OPEN_IN_SLACK), home),
                            problem=True,
                        ),
                    )
            await self.workspaces.installed(tenant_id, installer, connected=True)
            return _html(
                200,
                page(
                    _("bxhours is connected to {company}", company=connected.company.name),
                    [
                        _(
                            "bxhours is installed in {team} and connected to the bexio company {company}.",
                            team=team,
                            company=connected.company.name,
                        ),
                        _(
                            "The first import is running; bxhours sends you its progress in Slack. "
                            "Then log time with /log-hours."
                        ),
                    ],
                    link=(_(_OPEN_IN_SLACK), home),
                ),
            )
        await self.workspaces.installed(tenant_id, installer)
        return _html(
            200,
            page(
                _("bxhours is installed in {team}", team=team),
                [
                    _(
                        "Next: open bxhours in Slack, go to its Home tab and click Connect bexio. Sign in with "
                        "your bexio superadmin user (the same e-mail as in Slack); the first import starts by "
                        "itself."
                    ),
                    _("bxhours sent you the same in a DM."),
                ],
                link=(_(_OPEN_IN_SLACK), home),
            ),
        )

    async def install_failed(self, args: AsyncFailureArgs) -> BoltResponse:
        known = _SLACK_FAILURES.get(args.reason)
        reason = (
            _(known)
            if known
            else _("Slack did not complete the installation ({reason}).", reason=args.reason)
        )
        log.info("Slack install not completed: %s", args.reason)
        status = 200 if args.reason == "access_denied" else 400
        return _html(
            status,
            page(
                _("bxhours was not installed"),
                [reason],
                link=(_("Start again"), INSTALL_PATH),
                problem=True,
            ),
        )

    # -- bexio -----------------------------------------------------------------------------------------

    async def bexio_connect(self, request: web.Request) -> web.Response:
        ticket = request.query.get("ticket")
        if not ticket and self.flow is None:
            return _page(
                400,
                _(_START_FROM_SLACK),
                [
                    _(
                        "This bxhours serves one Slack workspace: open bxhours in Slack, go to its Home tab "
                        "and click Connect bexio there."
                    )
                ],
            )
        try:
            url, state = await self.connect.begin(ticket)
        except ConnectRefused as refused:
            return _page(400, _(_NOT_CONNECTED), [refused.message])
        response = web.HTTPFound(url)
        response.set_cookie(
            BEXIO_STATE_COOKIE,
            state,
            max_age=900,
            path="/bexio",
            httponly=True,
            secure=self.secure_cookies,
            samesite="Lax",
        )
        raise response

    async def bexio_callback(self, request: web.Request) -> web.Response:
        state = request.query.get("state", "")
        cookie = request.cookies.get(BEXIO_STATE_COOKIE, "")
        if not state or not cookie or not hmac.compare_digest(state.encode(), cookie.encode()):
            return _page(
                400,
                _(_NOT_STARTED_HERE),
                [
                    _(
                        "bxhours did not start this bexio sign-in in this browser, or it expired. "
                        "Open bxhours in Slack and click Connect bexio again."
                    )
                ],
            )
        try:
            outcome = await self.connect.finish(state, request.query.get("code"), request.query.get("error"))
        except StateUnknown:
            return _page(
                400,
                _(_NOT_STARTED_HERE),
                [_("It expired or was used already. Open bxhours in Slack and click Connect bexio again.")],
            )
        except ConnectRefused as refused:
            await self._tell(refused)
            return self._without_cookie(_page(403, _(_NOT_CONNECTED), [refused.message]))
        if isinstance(outcome, PendingFromBexio):
            if self.flow is None:
                return _page(400, _(_START_FROM_SLACK), [_("Open bxhours in Slack and click Connect bexio.")])
            return self._without_cookie(
                _html_response(
                    200,
                    page(
                        _("Signed in to {company}", company=outcome.company.name),
                        [
                            _(
                                "You signed in to bexio as {email}. Now add bxhours to your Slack "
                                "workspace — sign in to Slack with the same e-mail address — and bxhours "
                                "connects it to {company} and imports your data.",
                                email=outcome.bexio_email,
                                company=outcome.company.name,
                            ),
                        ],
                        link=(_("Add bxhours to Slack"), f"{INSTALL_PATH}?pending={outcome.ticket}"),
                    ),
                )
            )
        assert isinstance(outcome, Connected)
        await self._after_connect(outcome)
        return self._without_cookie(
            _html_response(
                200,
                page(
                    _("bxhours is connected to {company}", company=outcome.company.name),
                    [
                        (
                            _("Signed in again: bxhours carries on where it stopped.")
                            if outcome.resumed
                            else _("The first import is running; bxhours sends you its progress in Slack.")
                        ),
                        _("You can close this page and go back to Slack."),
                    ],
                ),
            )
        )

    async def _after_connect(self, connected: Connected) -> None:
        with working_for(connected.tenant_id):
            await self.services.notifier.refresh_home(connected.tenant_id, connected.slack_user_id)

    async def _tell(self, refused: ConnectRefused) -> None:
        """A refused connect is also said in Slack, to the person who tried."""
        if refused.tenant_id is None or refused.slack_user_id is None:
            return
        with working_for(refused.tenant_id):
            try:
                await self.services.notifier.direct_message(
                    refused.slack_user_id, _("bexio was not connected: {reason}", reason=refused.message)
                )
            except (SlackApiError, Exception):  # the page already says it
                log.info("could not DM why connecting bexio was refused", exc_info=True)

    def _without_cookie(self, response: web.Response) -> web.Response:
        response.del_cookie(BEXIO_STATE_COOKIE, path="/bexio")
        return response


def _bolt_request(request: web.Request) -> AsyncBoltRequest:
    return AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))


def _app_home_url(app_id: str | None, team_id: str | None) -> str:
    if app_id and team_id:
        return f"https://slack.com/app_redirect?app={app_id}&team={team_id}"
    return "https://slack.com/"


def _html(status: int, html: str) -> BoltResponse:
    return BoltResponse(status=status, body=html, headers={"Content-Type": "text/html; charset=utf-8"})


def _html_response(status: int, html: str) -> web.Response:
    return web.Response(status=status, text=html, content_type="text/html", charset="utf-8")


def _page(status: int, title: str, paragraphs: list[str]) -> web.Response:
    return _html_response(status, page(title, paragraphs, problem=status >= 400))
