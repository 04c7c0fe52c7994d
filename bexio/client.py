"""The async bexio API client: one place for headers, pacing, retries, paging and error mapping.

Retry policy, and why:

* 429 — bexio did not do it, for reads and writes alike: wait for ``Retry-After`` (if sent) or
  ``ratelimit-reset``, then retry. Every task of this process waits with it (the pacer holds the
  route class), so one 429 does not turn into a volley.
* 5xx, timeouts, lost connections — reads are retried with bounded exponential backoff and
  jitter. Writes are NOT: bexio has no idempotency keys and is known to fail after a partial
  create, so the caller gets ``BexioWriteUncertain`` and must read back before trying again.
  Only a connection that was never established (connect error/timeout) is retried for writes,
  because then bexio cannot have seen the request.
* 401 — one refresh through the auth (OAuth), then ``BexioAuthError``.

``POST …/search`` is a read. Everything is counted in ``client.stats`` for benches and tests.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import re
import ssl
import time
from collections import Counter, deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from bexio.auth import DEFAULT_AUTH_URL, BexioAuth
from bexio.errors import (
    BexioAuthError,
    BexioError,
    BexioNotFound,
    BexioPermissionError,
    BexioRateLimited,
    BexioUnavailable,
    BexioUnexpectedResponse,
    BexioValidationError,
    BexioWriteUncertain,
)
from bexio.models import OperationResult, UserInfo
from bexio.observe import NO_ANSWER, BexioCall, endpoint_family, remaining_of, report, watched
from bexio.pacing import Pacer, Sleep, route_class
from bexio.reading import NotAPage, PageReader, Unreadable, read_written
from bexio.resources import (
    AccountGroups,
    Accounts,
    BankAccounts,
    BusinessActivities,
    CompanyProfiles,
    ContactGroups,
    Contacts,
    ContactSectors,
    Currencies,
    DocumentSettings,
    Invoices,
    Languages,
    PaymentTypes,
    Payroll,
    Projects,
    ProjectStates,
    ProjectTypes,
    Taxes,
    Timesheets,
    TimesheetStatuses,
    Units,
    Users,
)
from bexio.scopes import required_scope
from bexio.search import Criterion, search_body

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: bexio's maximum page size; fewer calls for the same data.
MAX_PAGE_SIZE = 2000

_ID_SEGMENT = re.compile(
    r"/(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?=/|$)"
)
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def route_template(path: str) -> str:
    """``/2.0/kb_invoice/12/pdf`` → ``/2.0/kb_invoice/{id}/pdf``: the key for per-route stats."""
    return _ID_SEGMENT.sub("/{id}", path)


def is_write(method: str, path: str) -> bool:
    """Everything but GET changes data, except ``POST …/search``."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    return not (method == "POST" and path.rstrip("/").endswith("/search"))


@dataclass
class ClientStats:
    """What the client did, for benches and tests (calls are counted per attempt)."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    waited_seconds: float = 0.0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()
        self.retries = self.rate_limited = self.bytes_sent = self.bytes_received = 0
        self.waited_seconds = 0.0


class BexioClient:
    """Async client for one bexio company. Use as ``async with BexioClient(...) as client:``.

    ``base_url`` is ``https://api.bexio.com`` in production or the sandbox's URL in tests;
    ``auth_url`` is where the OpenID userinfo endpoint lives (the sandbox serves it too).
    """

    def __init__(
        self,
        base_url: str,
        auth: BexioAuth,
        *,
        timeout: float = 30,
        max_retries: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
        pacer: Pacer | None = None,
        sleep: Sleep = asyncio.sleep,
        auth_url: str = DEFAULT_AUTH_URL,
        page_size: int = MAX_PAGE_SIZE,
        max_rate_limit_waits: int = 20,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            transport=transport,
            verify=_tls_context(),
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "bxhours"},
        )
        self._auth = auth
        self._sleep = sleep
        self._pacer = pacer if pacer is not None else Pacer(sleep=sleep)
        self._max_retries = max_retries
        self._max_rate_limit_waits = max_rate_limit_waits
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng or random.Random()
        self.page_size = page_size
        self.auth_url = auth_url.rstrip("/")
        self.stats = ClientStats()

        self.users = Users(self)
        self.contacts = Contacts(self)
        self.contact_groups = ContactGroups(self)
        self.contact_sectors = ContactSectors(self)
        self.projects = Projects(self)
        self.project_states = ProjectStates(self)
        self.project_types = ProjectTypes(self)
        self.business_activities = BusinessActivities(self)
        self.timesheets = Timesheets(self)
        self.timesheet_statuses = TimesheetStatuses(self)
        self.accounts = Accounts(self)
        self.account_groups = AccountGroups(self)
        self.taxes = Taxes(self)
        self.units = Units(self)
        self.currencies = Currencies(self)
        self.languages = Languages(self)
        self.payment_types = PaymentTypes(self)
        self.bank_accounts = BankAccounts(self)
        self.company_profile = CompanyProfiles(self)
        self.document_settings = DocumentSettings(self)
        self.invoices = Invoices(self)
        self.payroll = Payroll(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- typed helpers used by the resources -----------------------------------------------------

    async def get(self, path: str, adapter: TypeAdapter[T], params: Mapping[str, Any] | None = None) -> T:
        response = await self.request("GET", path, params=params)
        return _parse(response, adapter, "GET", path)

    async def post(self, path: str, adapter: TypeAdapter[T], body: Any) -> T:
        response = await self.request("POST", path, json_body=body)
        return _parse(response, adapter, "POST", path)

    async def action(self, method: str, path: str) -> None:
        """A delete or an action (issue, cancel, archive …): bexio answers ``{"success": true}``."""
        response = await self.request(method, path)
        if response.status_code == 204 or not response.content:
            return
        result = _parse(response, _OPERATION_RESULT, method, path)
        if not result.success:
            raise BexioError(
                "bexio reported the action as not successful",
                method=method,
                path=path,
                status=response.status_code,
            )

    async def pages(
        self,
        path: str,
        adapter: TypeAdapter[list[T]] | PageReader[T],
        *,
        params: Mapping[str, Any] | None = None,
        criteria: Sequence[Criterion] | None = None,
        page_size: int | None = None,
        on_unreadable: Callable[[list[Unreadable]], None] | None = None,
        ahead: int = 0,
    ) -> AsyncGenerator[list[T], None]:
        """Yield one parsed page at a time: ``GET path`` or, with criteria, ``POST path/search``.

        2.0 lists have no total: paging stops on a short page. 3.0 lists send ``X-Total-Count``,
        which ends paging without the extra empty call.

        Up to ``ahead`` pages are requested while the caller works on the current one, so bexio's
        latency hides behind the caller's work — but only once a page came back full (a list that
        fits one page costs one call, as before), one more with each full page (a list of three
        pages wastes at most one call), and never beyond a known total. A 2.0 list's end is only
        known when a short page arrives, so a list read ahead costs at most ``ahead`` calls more
        than the minimum. Pages wait as bytes and are decoded in order when the caller asks for
        them: decoding ahead would only compete with the caller for the GIL.

        With a ``PageReader``, a record that cannot be read is left out of its page and handed to
        ``on_unreadable`` instead of failing the page (``bexio.reading``); paging still counts it,
        so the next offset is bexio's.
        """
        limit = page_size or self.page_size
        body = search_body(criteria) if criteria is not None else None
        method, target = ("POST", f"{path}/search") if body is not None else ("GET", path)

        def fetch(offset: int) -> Awaitable[httpx.Response]:
            query = {**(params or {}), "limit": limit, "offset": offset}
            return self.request(method, target, params=query, json_body=body)

        offset = full_pages = 0
        pending: deque[tuple[int, asyncio.Task[httpx.Response]]] = deque()
        try:
            while True:
                if pending and pending[0][0] == offset:
                    response = await pending.popleft()[1]
                else:  # nothing requested for this offset (yet, or a page was not full after all)
                    await _cancelled(pending)
                    response = await fetch(offset)
                page, listed = self._read(response, adapter, method, target, on_unreadable)
                total = _int_header(response.headers, "x-total-count")
                applied_limit = _int_header(response.headers, "x-limit") or limit
                offset += listed
                done = (
                    not listed
                    or (total is not None and offset >= total)
                    or (total is None and listed < applied_limit)
                )
                if ahead and not done and listed == applied_limit:
                    full_pages += 1
                    window = min(ahead, full_pages)  # ramp up: a short list wastes little
                    following = pending[-1][0] + applied_limit if pending else offset
                    while len(pending) < window and (total is None or following < total):
                        pending.append((following, asyncio.ensure_future(fetch(following))))
                        following += applied_limit
                if page:
                    yield page
                if done:
                    return
        finally:
            await _cancelled(pending)

    def _read(
        self,
        response: httpx.Response,
        adapter: TypeAdapter[list[T]] | PageReader[T],
        method: str,
        target: str,
        on_unreadable: Callable[[list[Unreadable]], None] | None,
    ) -> tuple[list[T], int]:
        """A page's readable records and how many records bexio listed in it."""
        if not isinstance(adapter, PageReader):
            page = _parse(response, adapter, method, target)
            return page, len(page)
        records, unreadable = _read_page(response, adapter, method, target)
        if unreadable:
            if on_unreadable is None:
                logger.warning("bexio %s %s: %d record(s) could not be read", method, target, len(unreadable))
            else:
                on_unreadable(unreadable)
        return records, len(records) + len(unreadable)

    async def userinfo(self) -> UserInfo:
        """The OpenID userinfo of the token's user: ``company_id`` identifies the bexio company."""
        return await self.get(f"{self.auth_url}/protocol/openid-connect/userinfo", _USER_INFO)

    # --- the one place calls go out ---------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        """Send one logical call with pacing, retries and error mapping; returns a 2xx response."""
        method = method.upper()
        url_path = httpx.URL(path).path
        write = is_write(method, url_path)
        route = route_class(url_path)
        stats_key = f"{method} {route_template(url_path)}"
        headers: dict[str, str] = {}
        content: bytes | None = None
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"

        failures = rate_limited = 0
        refreshed = False
        while True:
            self.stats.waited_seconds += await self._pacer.acquire(route)
            token = await self._auth.bearer_token()
            self.stats.calls[stats_key] += 1
            self.stats.bytes_sent += len(content or b"")
            started = time.perf_counter()
            try:
                response = await self._http.request(
                    method,
                    path,
                    params=dict(params) if params else None,
                    content=content,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                )
            except httpx.UnsupportedProtocol:
                raise BexioError("the bexio URL is not http(s)", method=method, path=url_path) from None
            except httpx.TransportError as exc:
                _observed(method, url_path, NO_ANSWER, started, route, None)
                reason = type(exc).__name__
                if write and not isinstance(exc, _NOT_SENT):
                    raise BexioWriteUncertain(
                        f"no answer from bexio ({reason}); the write may have happened",
                        method=method,
                        path=url_path,
                    ) from None
                failures += 1
                if failures > self._max_retries:
                    raise BexioUnavailable(
                        f"bexio unreachable ({reason}) after {failures} attempts",
                        method=method,
                        path=url_path,
                    ) from None
                await self._backoff(failures, f"{stats_key}: {reason}")
                continue

            self.stats.bytes_received += len(response.content)
            # httpx keeps a response and its stream in a reference cycle, so a page (~1 MB for
            # 2000 timesheets) would wait for the cyclic garbage collector — long enough for dozens
            # to pile up during an import. Holding the read body in a plain stream cuts the cycle.
            response.stream = httpx.ByteStream(response.content)
            status = response.status_code
            _observed(method, url_path, str(status), started, route, response.headers)
            if status != 429:  # a 429's wait is decided below (Retry-After first)
                self._pacer.observe(route, response.headers)
            logger.debug("bexio %s → %s in %.3fs", stats_key, status, time.perf_counter() - started)

            if status == 429:
                self.stats.rate_limited += 1
                rate_limited += 1
                if rate_limited > self._max_rate_limit_waits:
                    raise BexioRateLimited(
                        f"still rate limited after {rate_limited} waits",
                        method=method,
                        path=url_path,
                        status=429,
                    )
                wait = self._rate_limit_wait(response, rate_limited)
                logger.warning("bexio %s: rate limited, waiting %.1fs", stats_key, wait)
                self._pacer.hold(route, wait)
                self.stats.retries += 1
                continue
            if status == 401 and not refreshed:
                refreshed = True
                if await self._auth.refresh_after_unauthorized(token):
                    self.stats.retries += 1
                    continue
            if status >= 500:
                message = _error_message(response)[0]
                if write:
                    raise BexioWriteUncertain(
                        f"{message}; the write may have happened", method=method, path=url_path, status=status
                    )
                failures += 1
                if failures > self._max_retries:
                    raise BexioUnavailable(message, method=method, path=url_path, status=status)
                await self._backoff(failures, f"{stats_key}: {status}")
                continue
            if status >= 400:
                raise _error_for(response, method, url_path, write)
            return response

    def _rate_limit_wait(self, response: httpx.Response, attempt: int) -> float:
        wait = _retry_after(response.headers.get("retry-after"))
        if wait is None:
            reset = _int_header(response.headers, "ratelimit-reset")
            wait = float(reset) if reset is not None else self._backoff_delay(attempt)
        # The reset is given in whole seconds, rounded down; never hammer within the same second.
        return max(wait, 1.0)

    def _backoff_delay(self, attempt: int) -> float:
        ceiling: float = min(self._backoff_cap, self._backoff_base * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + self._rng.random() / 2)

    async def _backoff(self, attempt: int, what: str) -> None:
        delay = self._backoff_delay(attempt)
        logger.warning("bexio %s, retry %d/%d in %.2fs", what, attempt, self._max_retries, delay)
        self.stats.retries += 1
        self.stats.waited_seconds += delay
        await self._sleep(delay)


def _observed(
    method: str, path: str, status: str, started: float, route: str, headers: Mapping[str, str] | None
) -> None:
    """Tell whoever watches this process's bexio calls about one attempt (``bexio.observe``)."""
    if watched():
        report(
            BexioCall(
                method=method,
                family=endpoint_family(path),
                status=status,
                seconds=time.perf_counter() - started,
                route=str(route),
                remaining=remaining_of(headers) if headers is not None else None,
            )
        )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs ~20 ms, and a client is
    built per job (a change notification re-reads one record in a few milliseconds)."""
    return httpx.create_ssl_context()  # httpx's own default (certifi, or SSL_CERT_FILE/SSL_CERT_DIR)


_OPERATION_RESULT = TypeAdapter(OperationResult)
_USER_INFO = TypeAdapter(UserInfo)


def _parse(response: httpx.Response, adapter: TypeAdapter[T], method: str, path: str) -> T:
    try:
        if is_write(method, path) and response.is_success:
            # bexio did it: a field we cannot read must not make a done write look uncertain.
            record, given_up = read_written(adapter, response.content)
            if given_up:
                logger.warning(
                    "bexio %s %s: answer read without field(s) %s", method, path, ", ".join(given_up)
                )
            return record
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BexioUnexpectedResponse(
            f"unexpected answer ({exc.error_count()} problem(s), first at {where}: {first['msg']})",
            method=method,
            path=httpx.URL(path).path,
            status=response.status_code,
        ) from None


async def _cancelled(pending: deque[tuple[int, asyncio.Task[httpx.Response]]]) -> None:
    """Give up pages requested ahead that will not be read (the list ended, or the caller stopped)."""
    tasks = [task for _offset, task in pending]
    pending.clear()
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


def _read_page(
    response: httpx.Response, reader: PageReader[T], method: str, path: str
) -> tuple[list[T], list[Unreadable]]:
    try:
        return reader.read(response.content)
    except NotAPage as exc:
        raise BexioUnexpectedResponse(
            f"unexpected answer ({exc})",
            method=method,
            path=httpx.URL(path).path,
            status=response.status_code,
        ) from None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_message(response: httpx.Response) -> tuple[str, list[str]]:
    """bexio's message and ``errors`` list from a 2.0/3.0 body or a 4.0 problem+json body."""
    fallback = f"HTTP {response.status_code}"
    try:
        payload = response.json()
    except ValueError:
        return fallback, []
    if not isinstance(payload, dict):
        return fallback, []
    message = payload.get("message") or payload.get("title") or fallback
    detail = payload.get("detail")
    if isinstance(detail, str) and detail and detail != message:
        message = f"{message}: {detail}"
    errors = payload.get("errors")
    error_list = [str(item) for item in errors] if isinstance(errors, list) else []
    return str(message), error_list


def _error_for(response: httpx.Response, method: str, path: str, write: bool) -> BexioError:
    status = response.status_code
    message, errors = _error_message(response)
    if status == 401:
        return BexioAuthError(method=method, path=path)
    if status == 403:
        return BexioPermissionError(
            message, method=method, path=path, missing_scope=required_scope(path, write=write)
        )
    if status in (404, 410):
        return BexioNotFound(message, method=method, path=path, status=status)
    if status == 422:
        return BexioValidationError(message, method=method, path=path, errors=errors)
    return BexioError(message, method=method, path=path, status=status)
