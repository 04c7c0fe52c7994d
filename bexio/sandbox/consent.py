"""The authorize endpoint and its login and consent page, as a browser meets them at bexio.

`GET /realms/bexio/protocol/openid-connect/auth` checks the request as Keycloak does
(`oauth.authorize_request`: unknown client or redirect URI → JSON 400, a bad response type,
scope or PKCE method → redirect with `error`), then shows one page in German: e-mail
(prefilled from `login_hint`), password, the company when that e-mail belongs to users of
several companies served, the requested scopes, and the buttons "Zugriff erlauben" and
"Abbrechen". The form posts to `/realms/bexio/login-actions/authenticate` (Keycloak's login
action URL) with the original query in hidden `query.*` fields, a `tab_id` naming the login
and a `csrf` nonce bound to the page just shown; the login is also bound to the browser by
the `AUTH_SESSION_ID` cookie (Keycloak's cookie name). A post whose nonce, cookie or hidden
query does not match the page is refused (400, a page, no redirect).

* **Zugriff erlauben** — any *non-empty* password is accepted (the sandbox has no
  passwords); the e-mail must be a user's of a served company (ignoring case), else the page
  comes back with "Ungültiger Benutzername oder Passwort.". When the e-mail is a user of
  several companies and none was chosen, the page comes back signed in, asking for the
  company (bexio's "Wählen Sie Ihre Firma" step). Then: 302 to `redirect_uri` with `code`,
  `state`, `session_state` and `iss`; the code is bound to the chosen company and its user.
* **Abbrechen** — 302 to `redirect_uri` with `error=access_denied` (and `state`).

How bexio's real page looks, which fields it has and how it asks for a company is
UNCONFIRMED: bexio documents only that the user "logs in and consents" (the legacy docs also
let the user untick scopes, which the sandbox does not offer); bexio's apps let a person with
several companies choose one after signing in. The texts follow Keycloak's German messages.

**Auto-consent** (no page): when the first company's `settings.oauth_login_user_id` is set,
the authorize endpoint answers with the code at once, for that user of the first company —
for tests and demos without a browser. `bexio.sandbox.testing.consent` clicks through the
page over HTTP instead.
"""

from __future__ import annotations

import hmac
import html
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from aiohttp import web

from bexio.sandbox.companies import SandboxCompanies, company_name
from bexio.sandbox.oauth import OIDC, REALM, AuthorizeRequest, OAuthError, authorize_request, issue_code
from bexio.sandbox.routing import Routes, companies_of, state_of
from bexio.sandbox.state import SandboxState

LOGIN_ACTION: Final = REALM + "/login-actions/authenticate"
SESSION_COOKIE: Final = "AUTH_SESSION_ID"
#: Keycloak's default "Login timeout".
LOGIN_LIFETIME: Final = timedelta(minutes=30)
#: Pending logins kept at most (the oldest are forgotten first).
MAX_LOGINS: Final = 10_000
QUERY_PREFIX: Final = "query."

UNKNOWN_USER: Final = "Ungültiger Benutzername oder Passwort."
MISSING_EMAIL: Final = "Bitte geben Sie Ihre E-Mail-Adresse ein."
MISSING_PASSWORD: Final = "Bitte geben Sie Ihr Passwort ein."  # noqa: S105 - a message
WRONG_COMPANY: Final = "Dieser Benutzer gehört nicht zur gewählten Firma."
CHOOSE_COMPANY: Final = "Wählen Sie die Firma, auf die {client} zugreifen darf."
EXPIRED: Final = "Die Anmeldung ist abgelaufen. Bitte starten Sie die Anmeldung in der Anwendung erneut."
NO_COOKIE: Final = (
    "Cookie nicht gefunden. Bitte stellen Sie sicher, dass Cookies in Ihrem Browser aktiviert sind."
)
INVALID_REQUEST: Final = "Ungültige Anfrage: diese Seite wurde nicht für diese Anmeldung ausgestellt."

#: What the page says a scope allows; other scopes are shown by name only.
_SCOPE_TEXTS: Final = {
    "openid": "Sie anmelden (OpenID Connect)",
    "profile": "Ihren Namen und Ihre Sprache lesen",
    "email": "Ihre E-Mail-Adresse lesen",
    "offline_access": "Zugriff behalten, auch wenn Sie nicht angemeldet sind",
    "company_profile": "Ihre Firma (Name und ID) lesen",
    "accounting": "Buchhaltung",
    "file": "Dateien",
}
_SCOPE_NOUNS: Final = {
    "contact": "Kontakte",
    "kb_invoice": "Rechnungen",
    "kb_offer": "Offerten",
    "kb_order": "Aufträge",
    "kb_delivery": "Lieferscheine",
    "kb_bill": "Lieferantenrechnungen",
    "kb_expense": "Ausgaben",
    "kb_article_order": "Bestellungen",
    "monitoring": "Zeiterfassung",
    "project": "Projekte",
    "article": "Artikel",
    "bank_account": "Bankkonten",
    "bank_payment": "Zahlungen",
    "note": "Notizen",
    "task": "Aufgaben",
    "stock": "Lager",
    "payroll_employee": "Mitarbeitende (Lohn)",
    "payroll_absence": "Absenzen (Lohn)",
    "payroll_paystub": "Lohnabrechnungen",
}

_STYLE: Final = """
body{margin:0;font-family:"Helvetica Neue",Arial,sans-serif;background:#f2f4f5;color:#1d2b36}
#kc-header{background:#0d7e5f;color:#fff;font-size:28px;font-weight:bold;padding:18px 32px;letter-spacing:.5px}
main{max-width:440px;margin:40px auto;background:#fff;border-radius:6px;padding:32px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:22px;margin:0 0 12px}h2{font-size:16px;margin:24px 0 8px}
label{display:block;font-weight:bold;margin:16px 0 4px}
input[type=email],input[type=password],select{width:100%;box-sizing:border-box;padding:10px;
border:1px solid #b7c2c9;border-radius:4px;font-size:15px}
.hint{color:#66737d;font-size:13px;margin:6px 0 0}
.alert-error{background:#fdecea;border:1px solid #e4a49c;color:#8a1c12;padding:10px;border-radius:4px}
.alert-info{background:#e8f4fb;border:1px solid #9fc9e2;padding:10px;border-radius:4px}
ul{padding-left:20px}li code{color:#66737d;font-size:12px}
.buttons{display:flex;gap:12px;margin-top:28px}
button{flex:1;padding:12px;border-radius:4px;font-size:15px;cursor:pointer;border:1px solid #0d7e5f}
#kc-login{background:#0d7e5f;color:#fff}#kc-cancel{background:#fff;color:#0d7e5f}
"""


@dataclass
class LoginSession:
    """One login page being answered: the checked authorize request it serves."""

    tab_id: str
    #: The `AUTH_SESSION_ID` cookie of the browser the page was shown to.
    browser: str
    request: AuthorizeRequest
    expires_at: datetime
    #: The nonce of the page shown last; a post must carry it.
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    #: Set once the e-mail and password were accepted and only the company is missing.
    signed_in_as: str | None = None


def scope_text(scope: str) -> str:
    if scope in _SCOPE_TEXTS:
        return _SCOPE_TEXTS[scope]
    for suffix, verb in (("_show", "anzeigen"), ("_edit", "anzeigen und bearbeiten")):
        noun = _SCOPE_NOUNS.get(scope.removesuffix(suffix)) if scope.endswith(suffix) else None
        if noun:
            return f"{noun} {verb}"
    return scope


def _headers() -> dict[str, str]:
    return {
        "Cache-Control": "no-store, must-revalidate, max-age=0",
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "no-referrer",
        "Content-Language": "de-CH",
    }


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        '<!DOCTYPE html>\n<html lang="de-CH"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} | bexio</title><style>{_STYLE}</style></head>\n"
        f'<body><div id="kc-header">bexio</div>\n<main>\n{body}\n</main></body></html>\n'
    )
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=_headers()
    )


def error_page(message: str, status: int = 400) -> web.Response:
    """A page that ends the login (nothing is redirected to the client)."""
    body = f'<h1>Anmeldung nicht möglich</h1>\n<p class="alert-error" id="kc-error-message">{html.escape(message)}</p>'
    return _page("Fehler", body, status)


def _options(companies: list[tuple[SandboxState, int]], chosen: str | None) -> str:
    lines = ['<option value="">Bitte wählen …</option>']
    for company, _ in companies:
        selected = " selected" if company.company_id == chosen else ""
        lines.append(
            f'<option value="{html.escape(company.company_id)}"{selected}>'
            f"{html.escape(company_name(company))}</option>"
        )
    return "\n".join(lines)


def login_page(
    companies: SandboxCompanies,
    login: LoginSession,
    *,
    email: str = "",
    chosen_company: str | None = None,
    error: str | None = None,
    info: str | None = None,
) -> web.Response:
    """The page for `login`, with a fresh nonce (the one shown before is void from now on)."""
    login.csrf = secrets.token_urlsafe(24)
    checked = login.request
    esc = html.escape
    parts = [
        "<h1>Bei bexio anmelden</h1>",
        f'<p id="kc-client"><strong>{esc(checked.client_id)}</strong> möchte auf Ihr bexio-Konto zugreifen.</p>',
    ]
    if error:
        parts.append(f'<p class="alert-error" id="kc-error-message" role="alert">{esc(error)}</p>')
    if info:
        parts.append(f'<p class="alert-info" id="kc-info-message">{esc(info)}</p>')
    parts.append(f'<form id="kc-form-login" method="post" action="{esc(LOGIN_ACTION)}">')
    parts.append(f'<input type="hidden" name="tab_id" value="{esc(login.tab_id)}">')
    parts.append(f'<input type="hidden" name="csrf" value="{esc(login.csrf)}">')
    for key, value in checked.query:
        parts.append(f'<input type="hidden" name="{esc(QUERY_PREFIX + key)}" value="{esc(value)}">')
    if login.signed_in_as is not None:
        user_companies = companies.users_with_email(login.signed_in_as)
        parts.append(f'<p id="kc-signed-in">Angemeldet als <strong>{esc(login.signed_in_as)}</strong></p>')
    else:
        user_companies = companies.users_with_email(email) if email else []
        parts.append('<label for="username">E-Mail</label>')
        parts.append(
            f'<input id="username" name="username" type="email" value="{esc(email)}" '
            'autocomplete="username" autofocus required>'
        )
        parts.append('<label for="password">Passwort</label>')
        parts.append('<input id="password" name="password" type="password" autocomplete="current-password">')
        parts.append('<p class="hint">Sandbox: jedes nicht leere Passwort wird angenommen.</p>')
    if len(user_companies) > 1:
        parts.append('<label for="company">Firma</label>')
        parts.append(
            f'<select id="company" name="company">\n{_options(user_companies, chosen_company)}\n</select>'
        )
    parts.append("<h2>Angeforderte Berechtigungen</h2>")
    parts.append('<ul id="kc-oauth-scopes">')
    for scope in sorted(checked.scopes):
        parts.append(f'<li data-scope="{esc(scope)}">{esc(scope_text(scope))} <code>{esc(scope)}</code></li>')
    parts.append("</ul>")
    parts.append(
        '<div class="buttons">'
        '<button type="submit" name="action" value="allow" id="kc-login">Zugriff erlauben</button>'
        '<button type="submit" name="action" value="cancel" id="kc-cancel" formnovalidate>Abbrechen</button>'
        "</div>\n</form>"
    )
    return _page("Anmelden", "\n".join(parts))


def _forget_stale(companies: SandboxCompanies, now: datetime) -> None:
    logins = companies.logins
    for tab_id in [tab_id for tab_id, login in logins.items() if login.expires_at <= now]:
        del logins[tab_id]
    while len(logins) >= MAX_LOGINS:
        del logins[next(iter(logins))]


async def authorize(request: web.Request) -> web.StreamResponse:
    """`GET …/auth`: checks, then auto-consent or the login page."""
    state = state_of(request)
    try:
        checked = authorize_request(state, request.query)
    except OAuthError as exc:
        return exc.response()
    if state.settings.oauth_login_user_id is not None:
        raise issue_code(state, request, checked, state.settings.oauth_login_user_id)
    companies = companies_of(request)
    now = state.now()
    _forget_stale(companies, now)
    browser = request.cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(24)
    login = LoginSession(
        tab_id=secrets.token_urlsafe(12), browser=browser, request=checked, expires_at=now + LOGIN_LIFETIME
    )
    companies.logins[login.tab_id] = login
    hint = (checked.login_hint or "").strip()
    response = login_page(companies, login, email=hint)
    response.set_cookie(SESSION_COOKIE, browser, path=REALM + "/", httponly=True, samesite="Lax")
    return response


def _query_of(form: dict[str, str]) -> dict[str, str]:
    return {
        key.removeprefix(QUERY_PREFIX): value for key, value in form.items() if key.startswith(QUERY_PREFIX)
    }


async def login_action(request: web.Request) -> web.StreamResponse:
    """`POST …/login-actions/authenticate`: the page's answer."""
    companies = companies_of(request)
    primary = state_of(request)
    posted = await request.post()
    form = {key: value for key, value in posted.items() if isinstance(value, str)}
    login = companies.logins.get(form.get("tab_id", ""))
    if login is None or login.expires_at <= primary.now():
        return error_page(EXPIRED)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        return error_page(NO_COOKIE)
    if (
        not hmac.compare_digest(cookie, login.browser)
        or not hmac.compare_digest(form.get("csrf", ""), login.csrf)
        or _query_of(form) != dict(login.request.query)
    ):
        return error_page(INVALID_REQUEST)

    action = form.get("action")
    if action == "cancel":
        del companies.logins[login.tab_id]
        raise login.request.back(error="access_denied", error_description="Der Zugriff wurde abgelehnt.")
    if action != "allow":
        return error_page(INVALID_REQUEST)

    chosen = form.get("company") or None
    if login.signed_in_as is not None:
        email = login.signed_in_as
    else:
        email = form.get("username", "").strip()
        if not email:
            return login_page(companies, login, error=MISSING_EMAIL)
        if not form.get("password"):
            return login_page(companies, login, email=email, chosen_company=chosen, error=MISSING_PASSWORD)
    matches = companies.users_with_email(email)
    if not matches:
        return login_page(companies, login, email=email, error=UNKNOWN_USER)
    if chosen is not None:
        match = next(((company, user) for company, user in matches if company.company_id == chosen), None)
        if match is None:
            return login_page(companies, login, email=email, error=WRONG_COMPANY)
    elif len(matches) == 1:
        match = matches[0]
    else:
        login.signed_in_as = email
        info = CHOOSE_COMPANY.format(client=login.request.client_id)
        return login_page(companies, login, email=email, info=info)
    company, user_id = match
    del companies.logins[login.tab_id]
    raise issue_code(company, request, login.request, user_id)


def register(routes: Routes) -> None:
    routes.add("GET", OIDC + "/auth", authorize, kind="oauth")
    routes.add("POST", LOGIN_ACTION, login_action, kind="oauth")
