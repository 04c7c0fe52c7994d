"""`/log-absence`: one line, the form, the listing; Edit and Delete on its replies; the App Home's
"Log absence" button (issue 16 §6).

Thin: the line is read by ``core.absences``, everything else — who may log for whom, overlaps,
sending to bexio payroll — is ``services.absences``. Anything that needs the database is
acknowledged empty first and answered through ``tell``.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import modal_flow
from bot.handlers.replies import Tell
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import absence as views
from bot.views import payload
from bot.views.blocks import notice_modal
from core.absences import AbsenceKind, Half, range_problem
from core.i18n import N_, _
from core.keywords import keyword
from core.quick_entry import ParseError
from services.absences import AbsenceRequest, AbsenceService, StoredAbsence
from services.container import Services
from services.entry_outcomes import Refusal

HELP = N_("""*`/log-absence` — log vacation, sickness and other absences*
`/log-absence KIND DAY[-DAY] [morning|afternoon]`
• `/log-absence vacation 21.12.2026-23.12.2026`
• `/log-absence krank heute` · `/log-absence malade hier après-midi`
KIND: vacation, sick, accident, military (or civil service), parental, other — in German, French or Italian too (`Ferien`, `vacances`, `vacanze`, `Unfall`, `Militär` …)
DAY: as `/log-hours` reads it, and `tomorrow`; a range is `DAY-DAY`
Admins: `/log-absence @person KIND DAY` for someone else
`/log-absence` alone opens a form · `/log-absence list` shows yours with Edit and Delete
Absences go to bexio payroll when the payroll module is active; they always stay in bxhours.""")
COMMAND = "/log-absence"
LIST_WORDS = frozenset({"list", "liste", "lista", "elenco"})
_UNAVAILABLE = N_("Absences are not available right now.")

COMMAND_SURFACE = Surface(COMMAND, Permission.ANYONE)
REPLIES = Surface(f"{COMMAND} replies", Permission.ANYONE, messages=True)
FORM = Surface("the absence form", Permission.ANYONE, views=frozenset({views.CALLBACK_ID}))
HOME_BUTTON = Surface("the App Home's absence button", Permission.ANYONE, home=True)


def _service(services: Services) -> AbsenceService:
    service = services.absences
    if service is None:
        raise RuntimeError("the absence service is not wired")
    return service


async def open_modal(
    client: AsyncWebClient,
    services: Services,
    tenant_id: int,
    user_id: str,
    trigger_id: str,
    *,
    absence_id: int | None = None,
) -> None:
    """Open at once (the trigger dies after 3 s), then fill in what needs the database: whether
    the person picker is shown (admins), or the absence being changed."""
    service = _service(services)
    today = service.today()
    first = views.build(today=today, admin=False, person=user_id)

    async def fill() -> dict[str, Any]:
        if absence_id is not None:
            existing = await service.get(tenant_id, user_id, absence_id)
            if isinstance(existing, Refusal):
                return notice_modal(_(views.EDIT_TITLE), existing.message)
            return views.build(today=today, admin=False, person=user_id, existing=existing)
        admin = await services.people.is_admin(tenant_id, user_id)
        return views.build(today=today, admin=admin, person=user_id)

    await modal_flow.open_then_fill(client, trigger_id, first, fill)


def _form_request(form: views.AbsenceForm) -> AbsenceRequest | dict[str, str]:
    """The form's values re-checked one by one (Slack echoes whatever it was sent)."""
    errors: dict[str, str] = {}
    kind = form.kind if form.kind in {k.value for k in AbsenceKind} else None
    if kind is None:
        errors[views.KIND_BLOCK] = _("Pick a kind of absence.")
    half: Half | None = None
    if form.half not in (None, views.WHOLE_DAY):
        if form.half in {h.value for h in Half}:
            half = Half(form.half)
        else:
            errors[views.HALF_BLOCK] = _("Pick the whole day, the morning or the afternoon.")
    if form.first_day is None:
        errors[views.FROM_BLOCK] = _("Pick the first day.")
    if errors or kind is None or form.first_day is None:
        return errors
    last = form.last_day or form.first_day
    problem = range_problem(form.first_day, last, half)
    if problem is not None:
        block = views.HALF_BLOCK if half is not None and last != form.first_day else views.TO_BLOCK
        return {block: problem}
    return AbsenceRequest(AbsenceKind(kind), form.first_day, last, half, form.person)


THE_ABSENCE = N_("the absence")
"""What a damaged Edit/Delete button names (translated when read, like the other handlers' `what`)."""


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    @surfaces.command(COMMAND, COMMAND_SURFACE)
    async def handle(
        ack: AsyncAck,
        command: dict[str, str],
        tell: Tell,
        client: AsyncWebClient,
        tenant_id: int,
        user_id: str,
    ) -> None:
        text = command.get("text", "").strip()
        words = [keyword(word) for word in text.split()]
        if words == ["help"]:
            await ack(_(HELP))
            return
        if services.absences is None:
            await ack(_(_UNAVAILABLE))
            return
        service = services.absences
        if not words:
            await ack()
            await open_modal(client, services, tenant_id, user_id, payload.trigger_id(command))
            return
        if len(words) == 1 and words[0] in LIST_WORDS:
            await ack()
            listed = await service.listing(tenant_id, user_id)
            await tell(
                **(views.refusal(listed.message) if isinstance(listed, Refusal) else views.listing(listed))
            )
            return
        parsed = service.parse_line(text)
        if isinstance(parsed, ParseError):
            await ack(parsed.message)
            return
        await ack()
        async with deps.ack_first.turn():
            outcome = await service.log(tenant_id, user_id, AbsenceRequest.from_input(parsed))
            await tell(**_reply(outcome))

    @surfaces.action(views.EDIT_ACTION, REPLIES)
    async def edit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        absence_id = payload.action_int(body, THE_ABSENCE)
        await open_modal(
            client, services, tenant_id, user_id, payload.trigger_id(body), absence_id=absence_id
        )

    @surfaces.action(views.DELETE_ACTION, REPLIES)
    async def delete(ack: AsyncAck, body: dict[str, Any], tell: Tell, tenant_id: int, user_id: str) -> None:
        await ack()
        absence_id = payload.action_int(body, THE_ABSENCE)
        removed = await _service(services).delete(tenant_id, user_id, absence_id)
        if isinstance(removed, Refusal):
            await tell(**views.refusal(removed.message, replace=True))
        else:
            await tell(**views.deleted(removed.summary))

    @surfaces.action(views.OPEN_FORM_ACTION, HOME_BUTTON)
    async def open_from_home(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        await open_modal(client, services, tenant_id, user_id, payload.trigger_id(body))

    @modal_flow.on_submission(surfaces, deps, views.CALLBACK_ID, FORM)
    async def submit(submission: modal_flow.Submission) -> None:
        form, absence_id = views.submitted(submission.view)
        request = _form_request(form)
        if isinstance(request, dict):
            await submission.ack(response_action="errors", errors=request)
            return
        service = _service(services)
        tenant_id, user_id = submission.tenant_id, submission.user_id
        if absence_id is None:
            outcome = await service.log(tenant_id, user_id, request)
        else:
            outcome = await service.change(tenant_id, user_id, absence_id, request)
        if isinstance(outcome, Refusal):
            has_picker = any(
                isinstance(block, dict) and block.get("block_id") == views.PERSON_BLOCK
                for block in submission.view.get("blocks", [])
            )
            if has_picker and form.person not in (None, user_id) and absence_id is None:
                await submission.ack(response_action="errors", errors={views.PERSON_BLOCK: outcome.message})
            else:
                await submission.ack(
                    response_action="update", view=notice_modal(_(views.TITLE), outcome.message)
                )
            return
        await submission.ack(
            response_action="update", view=views.done(outcome, changed=absence_id is not None)
        )


def _reply(outcome: StoredAbsence | Refusal) -> dict[str, Any]:
    if isinstance(outcome, Refusal):
        return views.refusal(outcome.message)
    return views.reply(outcome)
