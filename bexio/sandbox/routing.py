"""Route registration with what the gateway needs to know about each route.

bexio's gateway decides per route which scope a token needs, which rate-limit counter the
call is charged to, and whether it may create a record (the target of "partial create"
faults); handlers stay free of that bookkeeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

from bexio.sandbox.companies import SandboxCompanies
from bexio.sandbox.ratelimit import DEFAULT_GROUP, RateGroup
from bexio.sandbox.state import SandboxState
from bexio.sandbox.tokens import IssuedToken

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteKind = Literal["api", "payroll", "oauth", "admin"]


@dataclass(frozen=True)
class RouteMeta:
    pattern: str
    kind: RouteKind
    #: Scope a token must grant; None = any valid token (bexio's pseudo-scope `general`).
    scope: str | None
    rate_group: RateGroup
    creates: bool


#: The first (default) company.
STATE: web.AppKey[SandboxState] = web.AppKey("bexio_sandbox_state", SandboxState)
#: Every company the app serves, the first being `STATE`.
COMPANIES: web.AppKey[SandboxCompanies] = web.AppKey("bexio_sandbox_companies", SandboxCompanies)
#: Request key under which the gateway leaves the company a call belongs to (by its token).
COMPANY: web.RequestKey[SandboxState] = web.RequestKey("bexio_sandbox_company", SandboxState)
ROUTES: web.AppKey[dict[AbstractRoute, RouteMeta]] = web.AppKey("bexio_sandbox_routes", dict)
#: Request key under which the gateway leaves the accepted token.
TOKEN: web.RequestKey[IssuedToken] = web.RequestKey("bexio_sandbox_token", IssuedToken)
#: Set when the app shuts down, so hanging "timeout" faults end with it.
STOPPING: web.AppKey[asyncio.Event] = web.AppKey("bexio_sandbox_stopping", asyncio.Event)


class Routes:
    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._meta = app[ROUTES]

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        scope: str | None = None,
        kind: RouteKind = "api",
        rate_group: RateGroup = DEFAULT_GROUP,
        creates: bool = False,
    ) -> None:
        # aiohttp needs a regex for numeric ids; the recorded pattern keeps bexio's "{id}".
        route_path = pattern.replace("{id}", r"{id:\d+}").replace("{sub_id}", r"{sub_id:\d+}")
        route = self._app.router.add_route(method, route_path, handler)
        self._meta[route] = RouteMeta(pattern, kind, scope, rate_group, creates)


def state_of(request: web.Request) -> SandboxState:
    """The company this call belongs to: the one whose token it carries, else the first."""
    company = request.get(COMPANY)
    return company if company is not None else request.app[STATE]


def companies_of(request: web.Request) -> SandboxCompanies:
    return request.app[COMPANIES]


def token_of(request: web.Request) -> IssuedToken | None:
    """The token the gateway accepted for this call (None on OAuth and admin routes)."""
    return request.get(TOKEN)


def record_id(request: web.Request, name: str = "id") -> int:
    return int(request.match_info[name])
