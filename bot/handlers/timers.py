"""Timers and recents in Slack (issue 17 §3–4): `/log-hours start|stop|again`, the App Home's
▶ / ■ / “Log…” buttons, the choice buttons of an ambiguous start, and the midnight question.

`/log-hours` itself stays ``bot.handlers.entry_command``'s: ``HoursCommand`` is the logging service
it is given, which reads `start …`, `stop` and `again` before a duration line and hands everything
else to ``TimeEntryService`` unchanged, so help, the form, `week` and the 3-second rule stay one
code path. Handlers stay thin: read the click, ask ``services.timers``, render ``bot.views.timers``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import hours_modal, modal_flow, refresh
from bot.handlers.replies import Tell
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import choices, entry_form, form_state, log_hours, payload
from bot.views import timers as views
from bot.views import week as week_view
from bot.views.blocks import notice_modal
from bot.views.form_state import ModalContext
from bot.views.payload import PayloadError, record_id
from core.i18n import N_, _
from core.keywords import keyword
from core.quick_entry import LogHoursInput, ParseError
from core.timers import TimerStartInput, parse_timer_start
from services import recents
from services.container import Services
from services.entry_outcomes import ChooseOne, FieldErrors, Refusal, Removed
from services.time_entries import HoursRequest
from services.timers import AlreadyRunning, Asked, NoTimer, Started, Stopped, TooShort

log = logging.getLogger(__name__)

START_WORD, STOP_WORD, AGAIN_WORD = "start", "stop", "again"
DAMAGED = N_("That button is out of date or damaged, so nothing was done. Open the App Home again.")
TIMERS = Surface("timers and recents", Permission.ANYONE, home=True, messages=True)
START_FORM = Surface("the start-a-timer form", Permission.ANYONE, views=frozenset({views.START_CALLBACK_ID}))
ANSWER_FORM = Surface(
    "the timer question's form", Permission.ANYONE, views=frozenset({views.ANSWER_CALLBACK_ID})
)
THE_TIMER = N_("the timer")
"""What a damaged timer button names, in the reader's language."""
_SEALED_FOR = "timer"
"""Marks a sealed start choice, so a log line's choice button cannot be replayed as one."""


# -- `/log-hours start|stop|again` -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimerStart:
    """`/log-hours start PROJECT [/ ACTIVITY] [: NOTE]`, read."""

    typed: TimerStartInput


@dataclass(frozen=True, slots=True)
class Word:
    """`/log-hours stop` or `/log-hours again` (any language's alias)."""

    word: str


@dataclass(frozen=True, slots=True)
class StartChoice:
    """An ambiguous start: which project (activity) — answered by ``timer_pick_*`` buttons."""

    outcome: ChooseOne[HoursRequest]


class HoursCommand:
    """The logging service `/log-hours` is given: timers and `again` first, else hours."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def parse_line(self, text: str) -> LogHoursInput | TimerStart | Word | ParseError:
        first, *rest = text.split(maxsplit=1)
        word = keyword(first)
        tail = rest[0] if rest else ""
        if word == START_WORD and self.services.timers is not None:
            parsed = parse_timer_start(tail)
            return parsed if isinstance(parsed, ParseError) else TimerStart(parsed)
        if word in (STOP_WORD, AGAIN_WORD) and not tail.strip():
            return Word(word)
        return self.services.time_entries.parse_line(text)

    async def log(self, tenant_id: int, slack_user_id: str, request: Any) -> Any:
        services = self.services
        if isinstance(request, TimerStart) and services.timers is not None:
            typed = request.typed
            started = await services.timers.start(
                tenant_id,
                slack_user_id,
                start_request(services, typed.project_query, typed.activity_query, typed.note),
            )
            return StartChoice(started) if isinstance(started, ChooseOne) else started
        if isinstance(request, Word) and request.word == STOP_WORD and services.timers is not None:
            return await services.timers.stop(tenant_id, slack_user_id)
        if isinstance(request, Word) and request.word == AGAIN_WORD and services.recents is not None:
            return await services.recents.again(tenant_id, slack_user_id)
        if isinstance(request, Word):
            return Refusal(_("Timers are not available here."))
        return await services.time_entries.log(tenant_id, slack_user_id, request)

    async def delete(self, tenant_id: int, slack_user_id: str, record_id: int) -> Removed | Refusal:
        return await self.services.time_entries.delete(tenant_id, slack_user_id, record_id)


def from_input(parsed: Any) -> Any:
    """A typed hours line becomes an ``HoursRequest``; timer words pass as they are."""
    return HoursRequest.from_input(parsed) if isinstance(parsed, LogHoursInput) else parsed


def start_request(
    services: Services,
    project_query: str | None,
    activity_query: str | None,
    note: str = "",
    *,
    project_id: int | None = None,
    activity_id: int | None = None,
) -> HoursRequest:
    """A start as an ``HoursRequest`` (how project and activity are resolved and carried in a
    sealed choice); its minutes and day are placeholders — the timer decides them when it stops."""
    return HoursRequest(
        minutes=1,
        day=services.time_entries.today(),
        billable=None,
        note=note,
        project_query=project_query,
        project_id=project_id,
        activity_query=activity_query,
        activity_id=activity_id,
    )


def reply(
    outcome: Any, *, seal: choices.Seal, replace: bool = False, typed: str | None = None
) -> dict[str, Any]:
    """What a `/log-hours` line came to: a timer's outcome here, an hours outcome as always."""
    if isinstance(outcome, StartChoice):
        return views.choose(outcome.outcome, seal=_timer_seal(seal), replace=replace)
    if isinstance(outcome, Stopped):
        return views.stopped(outcome, seal=seal, replace=replace)
    rendered = _rendered(outcome)
    if rendered is not None:
        text, blocks = rendered
        return choices.reply(text, blocks, replace=replace)
    return log_hours.reply(outcome, seal=seal, replace=replace, typed=typed)


def _rendered(outcome: Any) -> tuple[str, list[dict[str, Any]]] | None:
    if isinstance(outcome, Started):
        return views.started(outcome)
    if isinstance(outcome, AlreadyRunning):
        return views.already_running(outcome)
    if isinstance(outcome, NoTimer):
        return views.no_timer(outcome)
    if isinstance(outcome, TooShort):
        return views.too_short(outcome)
    if isinstance(outcome, Asked):
        return views.asked(outcome)
    return None


def _timer_seal(seal: choices.Seal) -> choices.Seal:
    return lambda sealed: seal({**sealed, "for": _SEALED_FOR})


# -- buttons ------------------------------------------------------------------------------------------


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services
    if services.timers is None:
        return
    timers = services.timers

    def seal_for(user_id: str) -> choices.Seal:
        return lambda sealed: deps.seal.seal(sealed, user_id=user_id)

    async def show_home(client: AsyncWebClient, tenant_id: int, user_id: str) -> None:
        """Best effort: what changed is stored, the App Home shows it next time anyway."""
        try:
            await refresh.publish_home(client, services, tenant_id, user_id)
        except Exception as exc:
            log.info("could not refresh the App Home of %s: %s", user_id, type(exc).__name__)

    def from_home(body: dict[str, Any]) -> bool:
        return (body.get("view") or {}).get("type") == "home"

    def pair_of(body: dict[str, Any]) -> tuple[int, int]:
        pair = recents.chosen(payload.action_value(body))
        if pair is None:
            raise PayloadError(_(DAMAGED), "a recent combination value that names none")
        return pair

    @surfaces.action(views.START_ACTION, TIMERS)
    async def start_recent(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        """▶ on a recent combination: both ids are looked up again by the service."""
        await ack()
        project_id, activity_id = pair_of(body)
        request = start_request(services, None, None, project_id=project_id, activity_id=activity_id)
        outcome = await timers.start(tenant_id, user_id, request)
        if not (isinstance(outcome, Started) and from_home(body)):
            wrapped = StartChoice(outcome) if isinstance(outcome, ChooseOne) else outcome
            await tell(**reply(wrapped, seal=seal_for(user_id)))
        await show_home(client, tenant_id, user_id)

    @surfaces.action(views.STOP_ACTION, TIMERS)
    async def stop(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        outcome = await timers.stop(tenant_id, user_id, payload.action_int(body, THE_TIMER))
        await tell(**reply(outcome, seal=seal_for(user_id)))
        await show_home(client, tenant_id, user_id)

    @surfaces.action(views.RECENT_LOG_ACTION, TIMERS)
    async def log_recent(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        """“Log…” on a recent combination: the form with project and activity filled in (the
        form's own checks apply when it is submitted)."""
        await ack()
        pair = pair_of(body)
        view = body.get("view") or {}
        ctx = ModalContext(
            week=week_view.week_of(view.get("private_metadata"), services.week.today()).isoformat()
        )
        await hours_modal.open_modal(
            client, services, tenant_id, user_id, payload.trigger_id(body), ctx=ctx, combination=pair
        )

    def pick_handler(what: str) -> Any:
        async def pick(
            ack: AsyncAck,
            body: dict[str, Any],
            client: AsyncWebClient,
            tell: Tell,
            tenant_id: int,
            user_id: str,
        ) -> None:
            """A candidate of an ambiguous start was clicked: the sealed start, with that choice."""
            await ack()
            opened = deps.seal.open(payload.action_value(body), user_id=user_id)
            if opened.get("for") != _SEALED_FOR:
                raise PayloadError(_(DAMAGED), "a choice button that was not sealed for a timer")
            request = choices.picked(opened, what, log_hours.request_from_dict)
            request = dataclasses.replace(request, day=services.time_entries.today(), minutes=1)
            outcome = await timers.start(tenant_id, user_id, request)
            wrapped = StartChoice(outcome) if isinstance(outcome, ChooseOne) else outcome
            await tell(**reply(wrapped, seal=seal_for(user_id), replace=True))
            await show_home(client, tenant_id, user_id)

        return pick

    for what, stem in views.PICK_ACTIONS.items():
        surfaces.action(choices.pick_pattern(stem), TIMERS)(pick_handler(what))

    @surfaces.action(views.ANSWER_ACTION, TIMERS)
    async def open_answer(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        found = await timers.question(tenant_id, user_id, payload.action_int(body, THE_TIMER))
        if isinstance(found, Refusal):
            await client.views_open(
                trigger_id=payload.trigger_id(body), view=notice_modal(_("Timer"), found.message)
            )
            return
        await client.views_open(
            trigger_id=payload.trigger_id(body), view=views.answer_modal(found, timers.timezone)
        )

    @surfaces.action(views.DISCARD_ACTION, TIMERS)
    async def discard(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        found = await timers.discard(tenant_id, user_id, payload.action_int(body, THE_TIMER))
        if isinstance(found, Refusal):
            await tell(**choices.refusal(found))
        else:
            text, blocks = views.discarded(found)
            await tell(**choices.reply(text, blocks, replace=True))
        await show_home(client, tenant_id, user_id)

    @surfaces.action(views.START_FORM_ACTION, TIMERS)
    async def open_start_form(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        """“▶ Start a timer…”: any project and activity (the person's default preselected)."""
        await ack()
        defaults = await services.time_entries.form_defaults(tenant_id, user_id, None)
        view = (
            notice_modal(_("Start a timer"), defaults.message)
            if isinstance(defaults, Refusal)
            else views.start_modal(defaults.activities, defaults.activity_id)
        )
        await client.views_open(trigger_id=payload.trigger_id(body), view=view)

    modal_flow.register_project_options(surfaces, deps, views.START_PROJECT_ACTION, START_FORM)

    @modal_flow.on_submission(surfaces, deps, views.START_CALLBACK_ID, START_FORM)
    async def start_from_form(submission: modal_flow.Submission) -> None:
        """The form's project and activity are ids the service looks up again (active, this
        workspace's); what it refuses is said in the form, nothing is started."""
        values = submission.view.get("state", {}).get("values", {})
        project_id = form_state.selected_id(values, entry_form.PROJECT_BLOCK, views.START_PROJECT_ACTION)
        activity_id = form_state.selected_id(values, views.START_ACTIVITY_BLOCK, views.START_ACTIVITY_ACTION)
        note = form_state.text(values, entry_form.NOTE_BLOCK, entry_form.NOTE_ACTION)
        errors = {}
        if project_id is None:
            errors["project"] = _("Pick a project.")
        if activity_id is None:
            errors["activity"] = _("Pick an activity.")
        placed = views.start_errors(errors)
        if placed:
            await submission.ack(response_action="errors", errors=placed)
            return
        request = start_request(services, None, None, note, project_id=project_id, activity_id=activity_id)
        outcome = await timers.start(submission.tenant_id, submission.user_id, request)
        if isinstance(outcome, Started):
            text, _blocks = views.started(outcome)
        elif isinstance(outcome, AlreadyRunning):
            text, _blocks = views.already_running(outcome)
        elif isinstance(outcome, Refusal):
            text = outcome.message
        else:  # a choice cannot come from two ids; say so rather than guess
            text = _("Pick the activity in the form.")
        await submission.ack(response_action="update", view=notice_modal(_("Start a timer"), text))
        await show_home(submission.client, submission.tenant_id, submission.user_id)

    @modal_flow.on_submission(surfaces, deps, views.ANSWER_CALLBACK_ID, ANSWER_FORM)
    async def answer(submission: modal_flow.Submission) -> None:
        view = submission.view
        timer_id = record_id(view.get("private_metadata"))
        if timer_id is None:
            raise PayloadError(_(DAMAGED), "a timer question form that names no timer")
        duration = form_state.text(
            view.get("state", {}).get("values", {}), views.DURATION_BLOCK, views.DURATION_ACTION
        )
        result = await timers.answer(submission.tenant_id, submission.user_id, timer_id, duration)
        if isinstance(result, FieldErrors):
            await submission.ack(
                response_action="errors",
                errors={views.DURATION_BLOCK: " ".join(result.errors.values())[:2000]},
            )
            return
        if isinstance(result, Refusal):
            await submission.ack(response_action="update", view=notice_modal(_("Timer"), result.message))
            return
        await submission.ack(response_action="update", view=views.answered_modal(result))
        await show_home(submission.client, submission.tenant_id, submission.user_id)
