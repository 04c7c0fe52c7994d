"""``POST /slack/events``: the one way in for Slack's requests, in this order —

1. **Verify** the signature over the raw bytes (``bot.requests``), with the current signing secret or
   the previous one. Not verified: 401 ``{"error": "invalid request"}``, and nothing else happens —
   no outbound call, no row, no job; the refusal is logged as a sampled WARNING without a traceback,
   so a flood of forged requests costs one line a minute (issue 12 §1).
2. **Parse**: a verified body that cannot be read is 400 (§2).
3. **Write it down** (``bot.inbox``): a replay is 200 and does nothing (§3); the row is committed
   before any handler runs, so before any acknowledgement; a database that cannot take it within 2 s
   means an honest "busy" answer (§9). Requests that cannot write skip this step (their replays are
   refused in memory).
4. **Dispatch** the verified request to Bolt, marked verified (Bolt's own check is replaced by one
   that only lets marked requests through) with the request id, the run its writes are guarded by,
   and a ``respond`` that reaches the person by DM when the response_url cannot. Bolt routes the
   request while its row is written; the handler waits for the commit (``InFlightListeners.gate``),
   and Slack gets the acknowledgement the moment the handler gives it (not at Bolt's next 10 ms poll).

The row is marked done when the handler finished. Rows of a process that died are taken over by
``recover`` (``bxhours serve`` runs it every few seconds): the request runs again through the same
Bolt app; whatever the handler acknowledges is passed on to the person (a command's reply, a form's
errors), since Slack's own wait for the acknowledgement ended long ago; a write committed before the
crash is not repeated (``storage.inbox``), and the person is told it went through.

Every verified request ends in one line on ``bot.interactions`` — which command, button, form or
event, for whom, how it ended and how long the acknowledgement and the whole took, with the request
id of its inbox row (``bot.interactions``); never what the person typed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_listener_error_handler import AsyncListenerErrorHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.ack_first import AckFirst
from bot.in_flight import InFlightListeners
from bot.inbox import (
    REPLAYED,
    InboxWriter,
    NotTaken,
    Outcome,
    RecentSignatures,
    Taken,
    describe,
    needs_row,
    utc,
)
from bot.interactions import BUSY, ERROR, INVALID, REPLAY, UNVERIFIED, Interaction, InteractionLog
from bot.notifier import SlackNotifier
from bot.request_context import RECOVERY, REQUEST_ID, RUN, PersonRespond
from bot.requests import (
    INVALID_REQUEST,
    SIGNATURE_HEADER,
    SlackSignatures,
    Unreadable,
    VerifiedRequest,
    bolt_request,
    content_type_of,
    parse,
    to_aiohttp_response,
)
from core.i18n import N_, _
from storage.inbox import FAILED, ClaimedRequest, InboxStore, RequestRun, current_request
from storage.tenant_context import current_tenant

log = logging.getLogger(__name__)

_TAKING = "bxhours_taking"
"""The future of the request's row being committed (live requests; a re-run's row exists)."""
REQUEST_ID_KEY: web.RequestKey[str] = web.RequestKey("bxhours_request_id")
"""The aiohttp request's inbox id, for the access log line."""
INTERACTION = "bxhours_interaction"
"""The request's ``bot.interactions.Interaction``: ended once answered and handled."""
_FAILED = "bxhours_handler_failed"
"""Set when the handler raised (Bolt ran the error handler)."""

BUSY_TEXT = N_(
    "⏳ bxhours is busy right now and could not take this — nothing was saved. Please try again in a moment."
)
RECOVERY_INTERVAL = 2.0
RECOVERY_CONCURRENCY = 4
MAX_RECOVERY_ATTEMPTS = 3


class AnsweredAck(AsyncAck):
    """Bolt's ``ack`` that also says when it was called: Bolt itself checks for an acknowledgement
    every 10 ms, which under a burst put most answers one such step later than needed."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        try:
            return await super().__call__(*args, **kwargs)
        finally:
            if self.response is not None and not self.answered.done():
                self.answered.set_result(None)


@dataclass
class _Dispatch:
    """A request handed to Bolt: ``answer`` is its acknowledgement, as soon as a handler gave it."""

    finished: asyncio.Future[BoltResponse]
    ack: AnsweredAck
    context: AsyncBoltContext

    async def answer(self) -> BoltResponse:
        if not self.finished.done():
            await asyncio.wait({self.finished, self.ack.answered}, return_when=asyncio.FIRST_COMPLETED)
        if self.finished.done() or self.ack.response is None:
            return await self.finished
        return self.ack.response  # Bolt notices at its next 10 ms poll; Slack need not wait for it


class _NotingFailures(AsyncListenerErrorHandler):
    """Bolt's error handler, noting in the request's context that its handler failed."""

    def __init__(self, inner: AsyncListenerErrorHandler) -> None:
        self.inner = inner

    async def handle(
        self, error: Exception, request: AsyncBoltRequest, response: BoltResponse | None
    ) -> None:
        request.context[_FAILED] = True
        await self.inner.handle(error=error, request=request, response=response)


class SampledLog:
    """At most one line per ``every`` seconds about a kind of request, with how many there were:
    whoever can send those (anyone, for a forgery) cannot flood the log."""

    def __init__(
        self,
        what: str,
        level: int = logging.WARNING,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.level = level
        self.every = every
        self.clock = clock
        self._count = 0
        self._next = 0.0

    def note(self, latest: str) -> None:
        self._count += 1
        now = self.clock()
        if now < self._next:
            return
        log.log(self.level, "%s %d request(s) to /slack/events %s", self.what, self._count, latest)
        self._count = 0
        self._next = now + self.every


class SlackFrontDoor:
    def __init__(
        self,
        bolt: AsyncApp,
        signatures: SlackSignatures,
        store: InboxStore,
        tenant_id: int,
        client: AsyncWebClient,
        *,
        ack_first: AckFirst,
        in_flight: InFlightListeners,
        now: Callable[[], datetime] | None = None,
        busy_after: float | None = None,
        envelope_problem: Callable[[dict[str, Any]], str | None] | None = None,
        tenant_of: Callable[[dict[str, Any]], Awaitable[int | None]] | None = None,
    ) -> None:
        self.bolt = bolt
        self.tenant_of = tenant_of
        """Multi-workspace mode: the tenant of a verified request's workspace (None: not installed)."""
        self.signatures = signatures
        self.store = store
        self.client = client
        self.notifier = SlackNotifier(client)
        self.ack_first = ack_first
        self.now = now or store.now
        self.inbox = InboxWriter(store, tenant_id, now=self.now)
        if busy_after is not None:
            self.inbox.busy_after = busy_after
        self.envelope_problem = envelope_problem
        """What makes a verified body unusable for Bolt (the handlers' rule); 400 with the reason."""
        self.recent = RecentSignatures()
        self.refusals = SampledLog("refused", logging.WARNING)
        """Requests whose signature was not verified."""
        self.replays = SampledLog("ignored", logging.INFO)
        """Verified requests taken before (replays, Slack's retries of an event)."""
        self._completions: dict[str, asyncio.Future[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._recovery: asyncio.Task[None] | None = None
        self.interactions = InteractionLog(tenant_id)
        """One line per interaction; its ``on_end`` feeds the metrics (``bxhours.observe``)."""
        runner = bolt.listener_runner
        runner.listener_error_handler = _NotingFailures(runner.listener_error_handler)
        in_flight.on_finished = self._listener_finished
        in_flight.gate = self._row_committed
        self.in_flight = in_flight

    # -- the live path ------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        started = self.interactions.clock()
        async with self.ack_first.answering():
            raw = await request.read()
            problem = self.signatures.problem(request.headers, raw)
            if problem is not None:
                self.refusals.note(
                    f"that were not verified (latest: {problem}, from {request.remote or '?'})"
                )
                # Counted, never logged one by one: anyone can send these.
                self.interactions.end(self.interactions.begin({}, started=started), UNVERIFIED, logged=False)
                return web.json_response(INVALID_REQUEST, status=401)
            content_type = content_type_of(request)
            body: dict[str, Any] = {}
            try:
                text, body = parse(raw, content_type)
                problem = self.envelope_problem(body) if self.envelope_problem is not None else None
                if problem is not None:
                    raise Unreadable(f"malformed request: {problem}")
            except Unreadable as exc:
                log.warning("refused a signed request to /slack/events: %s", exc)
                self.interactions.end(self.interactions.begin(body, started=started), INVALID)
                return web.json_response({"error": str(exc)}, status=400)
            verified = VerifiedRequest(
                raw=text,
                body=body,
                content_type=content_type,
                signature=request.headers[SIGNATURE_HEADER],
                headers=dict(request.headers),
                query=request.query_string,
            )
            tenant_id = self.inbox.tenant_id
            if self.tenant_of is not None and body.get("type") not in _NO_WORKSPACE:
                found = await self.tenant_of(body)
                if found is None:
                    return _not_installed(body)
                tenant_id = found
            current_tenant.set(tenant_id)  # this request's task only; Bolt's tasks inherit it
            interaction = self.interactions.begin(body, started=started)
            interaction.tenant = tenant_id
            if not needs_row(body):
                if self.recent.seen(verified.signature):
                    self.replays.note("taken before (replays; latest: a click that only shows something)")
                    self.interactions.end(interaction, REPLAY, logged=False)
                    return web.Response(status=200)
                return await self._answer(
                    interaction, self._start(verified, {INTERACTION: interaction}, self.now())
                )
            new = self.inbox.new_row(body, text, content_type, verified.signature, tenant_id=tenant_id)
            interaction.request_id = new.request_id
            # Bolt routes the request while its row is written (Bolt's own work costs about as long
            # as the commit); its handler starts once the row is committed (``_row_committed``).
            taking = self.inbox.submit(new)
            dispatch = self._start_with_row(
                verified, new.request_id, new.received_at, taking=taking, interaction=interaction
            )
            taken = await taking
            if not isinstance(taken, Taken):
                self._in_background(dispatch.finished)  # its handler does not run (NotTaken)
                if taken is REPLAYED:
                    self.replays.note(
                        f"taken before (replays or retries; latest: {describe(body)[1] or '?'})"
                    )
                    self.interactions.end(interaction, REPLAY, logged=False)
                    return web.Response(status=200)
                self.interactions.end(interaction, BUSY)
                return await self._busy(verified)
            request[REQUEST_ID_KEY] = new.request_id
            return await self._answer(interaction, dispatch)

    async def _answer(self, interaction: Interaction, dispatch: _Dispatch) -> web.Response:
        """The acknowledgement, as soon as the handler gave it; the interaction notes when."""
        try:
            response = await dispatch.answer()
        except BaseException:
            self.interactions.end(interaction, ERROR)
            raise
        self.interactions.answered(interaction, response.status, response.body)
        return to_aiohttp_response(response)

    def _start_with_row(
        self,
        verified: VerifiedRequest,
        request_id: str,
        received_at: datetime,
        *,
        recovery: bool = False,
        taking: asyncio.Future[Outcome] | None = None,
        interaction: Interaction | None = None,
    ) -> _Dispatch:
        """Dispatch a request that has a row (or is getting it: ``taking``), its writes guarded by it."""
        run = RequestRun(request_id)
        context: dict[str, Any] = {REQUEST_ID: request_id, RUN: run, RECOVERY: recovery}
        if taking is not None:
            context[_TAKING] = taking
        if interaction is not None:
            context[INTERACTION] = interaction
        token = current_request.set(run)  # the dispatch and its handler inherit it
        try:
            dispatch = self._start(verified, context, received_at)
        finally:
            current_request.reset(token)

        def ended(_task: asyncio.Future[BoltResponse]) -> None:
            # No handler started (none matched, or Bolt refused it): nothing more to wait for. A
            # handler's task is scheduled before Bolt returns, so it has marked itself by now.
            if not self.in_flight.started(dispatch.context):
                self._finish(request_id)

        dispatch.finished.add_done_callback(ended)
        return dispatch

    def _start(self, verified: VerifiedRequest, context: dict[str, Any], received_at: datetime) -> _Dispatch:
        bolt_req = bolt_request(verified, context)
        self._install_respond(bolt_req, received_at)
        ack = AnsweredAck()
        bolt_req.context["ack"] = ack
        dispatch = _Dispatch(asyncio.ensure_future(self.bolt.async_dispatch(bolt_req)), ack, bolt_req.context)
        interaction = context.get(INTERACTION)
        if isinstance(interaction, Interaction):

            def no_handler(_task: asyncio.Future[BoltResponse]) -> None:
                # None started (none matched, or Bolt refused it): it ends with the answer.
                if not self.in_flight.started(dispatch.context):
                    self.interactions.handled(interaction)

            dispatch.finished.add_done_callback(no_handler)
        return dispatch

    def _install_respond(self, bolt_req: AsyncBoltRequest, received_at: datetime) -> None:
        ctx = bolt_req.context
        ctx["respond"] = PersonRespond(
            response_url=ctx.response_url,
            user_id=ctx.user_id or describe(bolt_req.body)[2],
            notifier=self.notifier,
            received_at=received_at,
            now=self.now,
        )

    @staticmethod
    async def _row_committed(request: AsyncBoltRequest) -> None:
        """Before a handler starts (``InFlightListeners.gate``): its row must be committed."""
        taking = request.context.get(_TAKING)
        if taking is not None and not isinstance(await taking, Taken):
            raise NotTaken()

    def _listener_finished(self, request: AsyncBoltRequest) -> None:
        interaction = request.context.get(INTERACTION)
        if isinstance(interaction, Interaction):
            self.interactions.handled(interaction, failed=bool(request.context.get(_FAILED)))
        request_id = request.context.get(REQUEST_ID)
        if isinstance(request_id, str):
            self._finish(request_id)

    def _finish(self, request_id: str) -> None:
        self.inbox.finished(request_id)
        waiter = self._completions.pop(request_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _busy(self, verified: VerifiedRequest) -> web.Response:
        """The row could not be written: say so, in the way this kind of request can show it."""
        body = verified.body
        kind, name, user_id = describe(body)
        log.warning("Slack request %s (%s) answered busy: the database did not take it in time", name, kind)
        if kind == "command":
            return web.Response(text=_(BUSY_TEXT), content_type="text/plain")
        if kind == "view_submission":
            view = body.get("view") if isinstance(body.get("view"), dict) else {}
            blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
            first_input = next(
                (b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("type") == "input"), None
            )
            if isinstance(first_input, str) and first_input:
                return web.json_response({"response_action": "errors", "errors": {first_input: _(BUSY_TEXT)}})
            return web.json_response({"error": "busy, try again"}, status=503)
        if kind == "block_actions":
            respond = PersonRespond(
                response_url=body.get("response_url") if isinstance(body.get("response_url"), str) else None,
                user_id=user_id,
                notifier=self.notifier,
                received_at=self.now(),
                now=self.now,
            )
            self._in_background(respond(text=_(BUSY_TEXT), response_type="ephemeral", replace_original=False))
            return web.Response(status=200)
        # Events and anything else: not 2xx, so Slack delivers it again later.
        return web.json_response({"error": "busy, try again"}, status=503)

    def _in_background(self, work: Any) -> None:
        async def guarded() -> None:
            try:
                await asyncio.wait_for(work, 10)
            except Exception:
                log.warning("background work of a Slack request failed", exc_info=True)

        task = asyncio.get_running_loop().create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- after a restart ------------------------------------------------------------------------

    def start_recovery(self, interval: float = RECOVERY_INTERVAL) -> None:
        """Finish, every ``interval`` seconds, the requests of processes that died (``bxhours serve``)."""
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.get_running_loop().create_task(
                self._recover_forever(interval), name="slack-inbox-recovery"
            )

    async def stop_recovery(self) -> None:
        """At shutdown, before the handlers in flight are drained: take over nothing more."""
        if self._recovery is not None:
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
            self._recovery = None

    async def _recover_forever(self, interval: float) -> None:
        while True:
            try:
                while await self.recover_once():
                    pass
            except Exception:
                log.exception("finishing Slack requests after a restart failed; trying again")
            await asyncio.sleep(interval)

    async def recover_once(self, limit: int = 20) -> int:
        """Take over up to ``limit`` requests whose process died and finish them; returns how many."""
        claimed = await self.store.claim_lapsed(limit, self.inbox.lease_seconds)
        if not claimed:
            return 0
        log.info("finishing %d Slack request(s) acknowledged before a restart", len(claimed))
        slots = asyncio.Semaphore(RECOVERY_CONCURRENCY)

        async def one(row: ClaimedRequest) -> None:
            async with slots:
                await self.recover(row)

        await asyncio.gather(*(one(row) for row in claimed))
        return len(claimed)

    async def recover(self, row: ClaimedRequest, *, wait: float = 60.0) -> None:
        self.inbox.adopt(row.id)
        current_tenant.set(row.tenant_id)  # recover_once runs each row in a task of its own
        if row.attempts > MAX_RECOVERY_ATTEMPTS:
            await self._give_up(row)
            return
        try:
            text, body = parse(row.body.encode("utf-8"), row.content_type)
        except Unreadable:
            await self._give_up(row)
            return
        verified = VerifiedRequest(
            raw=text, body=body, content_type=row.content_type, signature="", headers={}
        )
        log.info("request %s (%s %s) is finished after a restart", row.id, row.kind, row.name or "")
        done = asyncio.get_running_loop().create_future()
        self._completions[row.id] = done
        received_at = utc(row.received_at)
        interaction = self.interactions.begin(body, request_id=row.id, recovery=True)
        interaction.tenant = row.tenant_id
        try:
            response = await self._start_with_row(
                verified, row.id, received_at, recovery=True, interaction=interaction
            ).answer()
            self.interactions.answered(interaction, response.status, response.body)
            await self._pass_on_acknowledgement(verified, response, received_at)
        except Exception:
            log.exception("request %s could not be finished after a restart", row.id)
            self.interactions.end(interaction, ERROR)
            self._finish(row.id)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, wait)
        self._completions.pop(row.id, None)

    async def _pass_on_acknowledgement(
        self, verified: VerifiedRequest, response: BoltResponse, received_at: datetime
    ) -> None:
        """What the handler acknowledged went nowhere (Slack stopped waiting long ago): tell the person."""
        if response.status != 200 or not response.body:
            return
        message = acknowledgement_message(verified.body, response.body)
        if message is None:
            return
        respond = PersonRespond(
            response_url=verified.body.get("response_url") if "command" in verified.body else None,
            user_id=describe(verified.body)[2],
            notifier=self.notifier,
            received_at=received_at,
            now=self.now,
        )
        await respond(**message)

    async def _give_up(self, row: ClaimedRequest) -> None:
        log.error(
            "request %s (%s %s) could not be finished after %d restarts; giving up",
            row.id,
            row.kind,
            row.name,
            row.attempts - 1,
        )
        async with self.store.transaction() as session:
            await self.store.finish(session, [row.id], FAILED)
        self.inbox.finished(row.id)
        if row.user_id:
            with contextlib.suppress(Exception):
                await self.client.chat_postMessage(
                    channel=row.user_id,
                    text=_give_up_text(row.kind, row.name, row.id),
                )

    async def close(self) -> None:
        await self.stop_recovery()
        for task in list(self._background):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)
        await self.inbox.close()


def _give_up_text(kind: str, name: str | None, reference: object) -> str:
    if kind == "command":
        return _(
            "Sorry — bxhours could not finish your `{command}` after a restart. "
            "If it did not happen, please do it again (reference `{reference}`).",
            command=name,
            reference=reference,
        )
    if kind == "view_submission":
        return _(
            "Sorry — bxhours could not finish your form after a restart. "
            "If it did not happen, please do it again (reference `{reference}`).",
            reference=reference,
        )
    if kind == "block_actions":
        return _(
            "Sorry — bxhours could not finish your click after a restart. "
            "If it did not happen, please do it again (reference `{reference}`).",
            reference=reference,
        )
    return _(
        "Sorry — bxhours could not finish your request after a restart. "
        "If it did not happen, please do it again (reference `{reference}`).",
        reference=reference,
    )


def acknowledgement_message(body: dict[str, Any], ack_body: str) -> dict[str, Any] | None:
    """The message that tells a person what an acknowledgement said, when Slack could not show it."""
    try:
        parsed = json.loads(ack_body) if ack_body.startswith("{") else None
    except ValueError:
        parsed = None
    if "command" in body:
        if parsed is None:
            return {"text": ack_body, "response_type": "ephemeral"}
        if isinstance(parsed, dict) and (parsed.get("text") or parsed.get("blocks")):
            return {
                "text": parsed.get("text") or "",
                "blocks": parsed.get("blocks"),
                "response_type": "ephemeral",
            }
        return None
    if body.get("type") != "view_submission" or not isinstance(parsed, dict):
        return None
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    title = _plain(view.get("title")) or _("form")
    if parsed.get("response_action") == "errors" and isinstance(parsed.get("errors"), dict):
        problems = "; ".join(str(v) for v in parsed["errors"].values())
        return {"text": _("Your “{title}” was not saved: {problems}", title=title, problems=problems)}
    shown = parsed.get("view")
    if parsed.get("response_action") in ("update", "push") and isinstance(shown, dict):
        lines = [_plain(block.get("text")) for block in shown.get("blocks") or [] if isinstance(block, dict)]
        text = "\n".join(line for line in lines if line)
        return {"text": f"*{_plain(shown.get('title')) or title}*\n{text}".strip()}
    return None


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        text = value.get("text")
        return text if isinstance(text, str) else ""
    return value if isinstance(value, str) else ""


_NO_WORKSPACE = frozenset({"url_verification", "ssl_check"})
"""Requests Slack sends while the app is being set up: answered without a workspace."""


def _not_installed(body: dict[str, Any]) -> web.Response:
    """A verified request from a workspace bxhours is not (or no longer) installed in."""
    kind, name, _user = describe(body)
    log.info("Slack request %s (%s) from a workspace bxhours is not installed in: ignored", name, kind)
    if kind == "command":
        return web.Response(
            text=_("bxhours is not installed in this workspace (any more). An admin can add it again."),
            content_type="text/plain",
        )
    return web.Response(status=200)
