"""The sandbox application: bexio's gateway behaviour in front of the resource handlers.

Every API call passes, in this order: 411 without Content-Length on a body → 401 for a
missing, unknown, expired or revoked token → injected faults (latency, scripted or random
429/5xx/timeouts) → the company's per-minute rate limit (429) → 415 without
`Accept: application/json` → 403 when the token lacks the route's scope → the handler.
Successful and refused answers alike carry the rate-limit headers; every call except the
admin API's is recorded in `state.calls`. The identity provider's routes take scripted
faults only, and neither rate limits nor the Accept rule.

One app may serve several companies (`create_app(state, companies=[...])`): each call is
handed to the company whose token it carries — the bearer token, or on the identity
provider's token and revoke endpoints the `code`, `refresh_token` or `token` form field — and
then sees only that company's records, faults, rate limit and call log. Calls without a
token any company knows belong to the first company.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import parse_qsl

from aiohttp import web

from bexio.sandbox import (
    admin,
    consent,
    contacts,
    invoices,
    master_data,
    oauth,
    payroll,
    projects,
    timesheets,
)
from bexio.sandbox.companies import SandboxCompanies
from bexio.sandbox.errors import ApiError
from bexio.sandbox.faults import Outcome
from bexio.sandbox.json_cache import dumps
from bexio.sandbox.ratelimit import DEFAULT_GROUP, RateDecision
from bexio.sandbox.resources import record_text
from bexio.sandbox.routing import (
    COMPANIES,
    COMPANY,
    ROUTES,
    STATE,
    STOPPING,
    TOKEN,
    Handler,
    RouteKind,
    RouteMeta,
    Routes,
    state_of,
)
from bexio.sandbox.state import RecordedCall, SandboxState

log = logging.getLogger(__name__)

API_PREFIXES: Final = ("/2.0/", "/3.0/", "/4.0/")
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
WRITE_METHODS: Final = BODY_METHODS | {"DELETE"}
ACCEPT_MESSAGE: Final = "You did not specify a valid Accept-Header"
RATE_LIMITED_MESSAGE: Final = "API rate limit exceeded"
#: Never echoed into the call log.
_REDACTED_FORM_FIELDS: Final = frozenset({"client_secret", "password"})
#: Form fields of the identity provider's endpoints that name the company by its credential.
_CREDENTIAL_FIELDS: Final = ("code", "refresh_token", "token")


def _route_meta(request: web.Request) -> RouteMeta | None:
    return request.app[ROUTES].get(request.match_info.route)


def _kind(request: web.Request, meta: RouteMeta | None) -> RouteKind | None:
    if meta is not None:
        return meta.kind
    if request.path.startswith("/4.0/"):
        return "payroll"
    if request.path.startswith(API_PREFIXES):
        return "api"
    return None


def _error(kind: RouteKind | None, error: ApiError) -> web.Response:
    if kind == "payroll":
        return web.Response(
            body=dumps(error.problem_body()).encode(),
            status=error.status,
            content_type="application/problem+json",
            headers=error.headers,
        )
    return web.Response(
        body=dumps(error.body()).encode(),
        status=error.status,
        content_type="application/json",
        headers=error.headers,
    )


def _rate_limited(decision: RateDecision, state: SandboxState) -> ApiError:
    headers = decision.headers()
    if state.settings.send_retry_after:
        headers["Retry-After"] = str(decision.reset_seconds)
    return ApiError(429, RATE_LIMITED_MESSAGE, headers=headers)


def _injected(kind: RouteKind | None, status: int) -> web.Response:
    """An injected failure. Gateway errors (502, 504) come as the HTML page a proxy in front
    of bexio would send, so clients meet a non-JSON error body too."""
    if status in (502, 504):
        title = f"{status} {HTTPStatus(status).phrase}"
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return web.Response(text=page, status=status, content_type="text/html")
    return _error(kind, _status_error(status))


def _status_error(status: int) -> ApiError:
    """An injected failure, worded like the status it is (bexio sends nothing more specific)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return ApiError(status, phrase)


async def _logged_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    raw = await request.read()  # aiohttp keeps the bytes, so the handler can read them again
    if request.content_type == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return {key: "***" if key in _REDACTED_FORM_FIELDS else value for key, value in form.items()}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


async def _hang(request: web.Request, call: RecordedCall, kind: RouteKind | None, fault: str) -> web.Response:
    """Outlast the client's timeout; end early only when the sandbox shuts down."""
    state = state_of(request)
    call.status, call.fault = 504, fault
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(request.app[STOPPING].wait(), timeout=state.faults.hang_seconds)
    return _injected(kind, 504)


def _next_fault(request: web.Request, meta: RouteMeta | None, *, randomised: bool) -> Outcome:
    if meta is None:
        return "pass"
    return state_of(request).faults.next_outcome(
        request.method,
        request.path,
        meta.pattern,
        is_write=request.method in WRITE_METHODS,
        is_create=meta.creates,
        randomised=randomised,
    )


async def _after_write_fault(
    request: web.Request, response: web.StreamResponse, outcome: Outcome, call: RecordedCall, kind: RouteKind
) -> web.StreamResponse:
    """The faults that strike after the handler ran: the write happened, its answer is lost."""
    if outcome not in ("partial", "timeout_after_write") or response.status >= 300:
        return response
    if outcome == "partial":
        # A bare server error, without the id of what was just created.
        call.fault = "partial"
        return _error(kind, _status_error(500))
    return await _hang(request, call, kind, "timeout_after_write")


async def _api_call(
    request: web.Request, handler: Handler, meta: RouteMeta | None, kind: RouteKind, call: RecordedCall
) -> web.StreamResponse:
    state = state_of(request)
    if request.method in BODY_METHODS and "Content-Length" not in request.headers:
        return _error(kind, ApiError(411, "Length Required"))

    authorization = request.headers.get("Authorization", "")
    token = (
        state.tokens.valid(authorization[7:].strip(), state.now())
        if authorization[:7].lower() == "bearer "
        else None
    )
    if token is None:
        return _error(kind, ApiError(401, "Invalid token."))
    request[TOKEN] = token

    outcome = _next_fault(request, meta, randomised=True)
    if state.faults.latency_ms:
        await asyncio.sleep(state.faults.latency_ms / 1000)
    group = meta.rate_group if meta is not None else DEFAULT_GROUP
    if isinstance(outcome, int) and outcome >= 400:
        call.fault = str(outcome)
        if outcome == 429:
            return _error(kind, _rate_limited(state.rate_limiter.exhausted(group, state.now()), state))
        return _injected(kind, outcome)
    if outcome == "timeout":
        return await _hang(request, call, kind, "timeout")

    decision = state.rate_limiter.hit(state.company_id, group, state.now())
    if not decision.allowed:
        return _error(kind, _rate_limited(decision, state))
    try:
        if "application/json" not in request.headers.get("Accept", ""):
            # Observed body; bexio sends no error_code with this one.
            response: web.StreamResponse = web.Response(
                body=dumps({"message": ACCEPT_MESSAGE}).encode(), status=415, content_type="application/json"
            )
        elif meta is None:
            exception = request.match_info.http_exception
            status = exception.status if exception is not None else 404
            message = "Method Not Allowed" if status == 405 else "Page not found"
            raise ApiError(status, message)
        elif meta.scope is not None and not token.grants(meta.scope):
            raise ApiError(403, f"The access token is missing the scope '{meta.scope}' needed for this call.")
        else:
            response = await handler(request)
    except ApiError as error:
        response = _error(kind, error)
    response.headers.update(decision.headers())
    return await _after_write_fault(request, response, outcome, call, kind)


async def _oauth_call(
    request: web.Request, handler: Handler, meta: RouteMeta | None, call: RecordedCall
) -> web.StreamResponse:
    """The identity provider: no rate limit and no random faults, but scripted ones — a
    refresh whose answer is lost ("timeout_after_write") costs the client its connection."""
    outcome = _next_fault(request, meta, randomised=False)
    if isinstance(outcome, int) and outcome >= 400:
        call.fault = str(outcome)
        return _injected("oauth", outcome)
    if outcome == "timeout":
        return await _hang(request, call, "oauth", "timeout")
    return await _after_write_fault(request, await handler(request), outcome, call, "oauth")


def _bearer(request: web.Request) -> str:
    authorization = request.headers.get("Authorization", "")
    return authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""


def _company(request: web.Request, kind: RouteKind | None, body: Any) -> SandboxState:
    """The company whose credential the call carries; the first company when none does."""
    companies = request.app[COMPANIES]
    if len(companies.states) == 1:
        return companies.primary
    holder = companies.holding(_bearer(request))
    if holder is None and kind == "oauth" and isinstance(body, dict):
        for name in _CREDENTIAL_FIELDS:
            value = body.get(name)
            holder = companies.holding(value) if isinstance(value, str) else None
            if holder is not None:
                break
    return holder or companies.primary


@web.middleware
async def gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
    meta = _route_meta(request)
    kind = _kind(request, meta)
    if kind == "admin":
        try:
            return await handler(request)
        except ApiError as error:
            return _error(kind, error)

    body = await _logged_body(request)
    state = _company(request, kind, body)
    request[COMPANY] = state
    call = RecordedCall(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        json_body=body,
        status=0,
        at=state.now(),
        route=meta.pattern if meta is not None else "",
    )
    state.calls.append(call)
    try:
        if kind in ("api", "payroll"):
            response = await _api_call(request, handler, meta, kind, call)
        elif kind == "oauth":
            response = await _oauth_call(request, handler, meta, call)
        else:
            response = await handler(request)
    except web.HTTPException as exc:
        call.status = call.status or exc.status
        if exc.status >= 400 and kind is None:
            # Outside the API the sandbox still answers in JSON (404 for unknown paths).
            return _error(None, ApiError(exc.status, exc.reason))
        raise
    except Exception:
        log.exception("sandbox handler failed: %s %s", request.method, request.path)
        call.status = 500
        return _error(kind, _status_error(500))
    if not call.status:
        call.status = response.status
    return response


def precompute_json(state: SandboxState) -> int:
    """Encode every record of the big lists (contacts, projects, timesheets) ahead of time.

    A benchmark's first pass then pages at cached speed instead of paying for the sandbox's
    own JSON encoding. Returns how many records were encoded.
    """
    count = 0
    for listing in (contacts.CONTACTS, projects.PROJECTS, timesheets.TIMESHEETS):
        for record in state.tables[listing.table].values():
            record_text(state, listing.table, "list", record, listing.list_view)
            count += 1
    return count


def create_app(state: SandboxState, *, companies: Sequence[SandboxState] = ()) -> web.Application:
    """The bexio sandbox as an aiohttp application serving `state` and further `companies`."""
    served = SandboxCompanies((state, *companies))
    app = web.Application(middlewares=[gateway], client_max_size=32 * 1024**2)
    app[STATE] = state
    app[COMPANIES] = served
    app[ROUTES] = {}
    app[STOPPING] = asyncio.Event()
    routes = Routes(app)
    for module in (master_data, contacts, projects, timesheets, invoices, payroll, oauth, consent, admin):
        module.register(routes)

    async def stop_hanging_calls(app: web.Application) -> None:
        app[STOPPING].set()

    app.on_shutdown.append(stop_hanging_calls)
    return app
