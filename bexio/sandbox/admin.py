"""The sandbox's own control API under `/_sandbox` — not part of bexio.

For tests and benchmarks that run the sandbox in another process: configure faults, read
and reset the call log, revoke tokens. No authentication, so it answers loopback clients only.
With several companies served, `?company=<company_id>` picks the company whose faults and
calls are meant (default: the first); a token is revoked in whichever company issued it.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web

from bexio.sandbox.errors import ApiError, bad_request
from bexio.sandbox.resources import json_response, read_object
from bexio.sandbox.routing import Routes, companies_of, state_of
from bexio.sandbox.state import SandboxState


def _loopback_only(request: web.Request) -> None:
    try:
        loopback = request.remote is not None and ipaddress.ip_address(request.remote).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ApiError(403, "The sandbox admin API answers loopback clients only.")


def _company(request: web.Request) -> SandboxState:
    company_id = request.query.get("company")
    if company_id is None:
        return state_of(request)
    state = companies_of(request).by_id(company_id)
    if state is None:
        raise ApiError(404, f"This sandbox serves no company {company_id!r}.")
    return state


async def get_faults(request: web.Request) -> web.StreamResponse:
    _loopback_only(request)
    return json_response(_company(request).faults.to_json())


async def set_faults(request: web.Request) -> web.StreamResponse:
    _loopback_only(request)
    faults = _company(request).faults
    try:
        faults.update(await read_object(request))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return json_response(faults.to_json())


async def get_calls(request: web.Request) -> web.StreamResponse:
    _loopback_only(request)
    state = _company(request)
    method, path = request.query.get("method"), request.query.get("path")
    calls = state.calls_to(method, path) if method and path else state.calls
    return json_response([call.to_json() for call in calls])


async def reset_calls(request: web.Request) -> web.StreamResponse:
    _loopback_only(request)
    state = _company(request)
    count = len(state.calls)
    state.reset_calls()
    return json_response({"success": True, "removed": count})


async def revoke_tokens(request: web.Request) -> web.StreamResponse:
    """Body `{"token": "..."}` revokes one access or refresh token, `{"all": true}` every one."""
    _loopback_only(request)
    state = _company(request)
    body = await read_object(request)
    if body.get("all") is True:
        return json_response({"success": True, "revoked": state.tokens.revoke_all()})
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise bad_request('Send {"token": "<access or refresh token>"} or {"all": true}.')
    holder = companies_of(request).holding(token) or state
    revoked = holder.tokens.revoke(token)
    return json_response({"success": revoked, "revoked": int(revoked)}, status=200 if revoked else 404)


def register(routes: Routes) -> None:
    routes.add("GET", "/_sandbox/faults", get_faults, kind="admin")
    routes.add("POST", "/_sandbox/faults", set_faults, kind="admin")
    routes.add("GET", "/_sandbox/calls", get_calls, kind="admin")
    routes.add("POST", "/_sandbox/reset-calls", reset_calls, kind="admin")
    routes.add("POST", "/_sandbox/tokens/revoke", revoke_tokens, kind="admin")
