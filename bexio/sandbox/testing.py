"""Clicking through the sandbox's login and consent page without a browser.

    location = await consent(authorize_url, email="reto.brunner@seeblick.example")
    code = parse_qs(urlparse(location).query)["code"][0]

`consent` does what a browser does: GET the authorize URL (keeping the `AUTH_SESSION_ID`
cookie), read the form, fill in e-mail, password and company, POST it back with the hidden
fields, and return the `Location` the sandbox redirects to (the client's `redirect_uri` with
`code`, or with `error=access_denied` when `allow` is False). When the sandbox consents at
once (auto-consent, `settings.oauth_login_user_id`), the first redirect is returned as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

#: Any non-empty password is accepted by the sandbox.
SANDBOX_PASSWORD = "sandbox"  # noqa: S105 - the sandbox accepts any non-empty password


class ConsentError(Exception):
    """The page did not redirect: it refused the login or asked for something not given."""

    def __init__(self, message: str, status: int, page: str) -> None:
        super().__init__(message)
        self.status = status
        self.page = page


@dataclass
class LoginForm:
    """The parts of the login page a browser would submit."""

    action: str = ""
    hidden: dict[str, str] = field(default_factory=dict)
    inputs: set[str] = field(default_factory=set)
    #: select name → option values.
    selects: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    info: str | None = None


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form = LoginForm()
        self._select: str | None = None
        self._message: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name", "")
        if tag == "form" and not self.form.action:
            self.form.action = attributes.get("action", "")
        elif tag == "input" and name:
            if attributes.get("type") == "hidden":
                self.form.hidden[name] = attributes.get("value", "")
            else:
                self.form.inputs.add(name)
        elif tag == "select" and name:
            self._select = name
            self.form.selects[name] = []
        elif tag == "option" and self._select is not None:
            self.form.selects[self._select].append(attributes.get("value", ""))
        elif attributes.get("id") in ("kc-error-message", "kc-info-message"):
            self._message = attributes["id"]
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif self._message is not None and tag == "p":
            text = "".join(self._text).strip()
            if self._message == "kc-error-message":
                self.form.error = text
            else:
                self.form.info = text
            self._message = None

    def handle_data(self, data: str) -> None:
        if self._message is not None:
            self._text.append(data)


def parse_login_page(page: str) -> LoginForm:
    parser = _FormParser()
    parser.feed(page)
    return parser.form


async def consent(
    authorize_url: str,
    *,
    email: str,
    company_id: str | None = None,
    allow: bool = True,
    password: str = SANDBOX_PASSWORD,
    http: httpx.AsyncClient | None = None,
) -> str:
    """Sign in on the page as `email` (choosing `company_id` when asked) and allow or cancel.

    Returns the redirect's `Location`. Raises `ConsentError` when the page comes back with an
    error (unknown e-mail, a company the e-mail is no user of) or asks for a company and
    `company_id` is None. Pass `http` to share a client (and its cookies) with the caller.
    """
    client = http if http is not None else httpx.AsyncClient(timeout=10)
    try:
        response = await client.get(authorize_url)
        for _ in range(3):
            if response.is_redirect:
                return response.headers["Location"]
            form = parse_login_page(response.text)
            if response.status_code != 200 or not form.action:
                raise ConsentError(
                    form.error or f"HTTP {response.status_code}", response.status_code, response.text
                )
            data = dict(form.hidden)
            if "username" in form.inputs:
                data.update(username=email, password=password)
            if company_id is not None:
                data["company"] = company_id
            data["action"] = "allow" if allow else "cancel"
            response = await client.post(urljoin(str(response.url), form.action), data=data)
            if response.is_redirect:
                return response.headers["Location"]
            again = parse_login_page(response.text)
            if response.status_code != 200 or again.error:
                raise ConsentError(
                    again.error or f"HTTP {response.status_code}", response.status_code, response.text
                )
            if company_id is None and "company" in again.selects:
                raise ConsentError(
                    f"{email} is a user of several companies; pass company_id= one of "
                    f"{', '.join(value for value in again.selects['company'] if value)}",
                    response.status_code,
                    response.text,
                )
        raise ConsentError("the page kept coming back", response.status_code, response.text)
    finally:
        if http is None:
            await client.aclose()
