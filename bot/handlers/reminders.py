"""The buttons of the missing-hours reminder DM (issue 17 §1) and the App Home's reminder select.

Thin: each handler reads the button, lets ``services.reminders`` check that the reminder is the
clicker's and that the index names a combination it offered, and says what became of it.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import hours_modal
from bot.handlers.replies import Tell
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import log_hours, payload
from bot.views import reminder as view
from services.entry_outcomes import Refusal
from services.reminders import ReminderRefused, RemindersService

REMINDER = Surface("the missing-hours reminder", Permission.ANYONE, messages=True)
YOUR_REMINDER = Surface("your reminder time", Permission.ANYONE, home=True)


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    def reminders() -> RemindersService:
        assert services.reminders is not None
        return services.reminders

    async def ephemeral(tell: Tell, text: str) -> None:
        await tell(text=text, response_type="ephemeral", replace_original=False)

    @surfaces.action(view.LOG_PATTERN, REMINDER)
    async def log_offer(
        ack: AsyncAck, body: dict[str, Any], tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        """1 h / 2 h: log the offered combination on the reminder's day."""
        await ack()
        action_id = str(body["actions"][0].get("action_id"))
        minutes = view.MINUTES[action_id.partition(".")[0]]
        nudge_id, index = view.parse_value(payload.action_value(body), with_index=True)
        assert index is not None
        try:
            outcome = await reminders().log_offer(tenant_id, user_id, nudge_id, index, minutes)
        except ReminderRefused as exc:
            await ephemeral(tell, exc.message)
            return
        if isinstance(outcome, Refusal):
            await ephemeral(tell, outcome.message)
            return
        await ephemeral(tell, log_hours.confirmation_line(outcome))
        await services.notifier.refresh_home(tenant_id, user_id)

    @surfaces.action(view.OTHER_PATTERN, REMINDER)
    @surfaces.action(view.OPEN_FORM_ACTION, REMINDER)
    async def other(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        """Other… opens the log form with the day, the combination and the hours still missing."""
        await ack()
        with_index = str(body["actions"][0].get("action_id")) != view.OPEN_FORM_ACTION
        nudge_id, index = view.parse_value(payload.action_value(body), with_index=with_index)
        trigger = payload.trigger_id(body)
        try:
            request, combination = await reminders().form_request(tenant_id, user_id, nudge_id, index)
        except ReminderRefused as exc:
            await ephemeral(tell, exc.message)
            return
        await hours_modal.open_modal(
            client, services, tenant_id, user_id, trigger, request=request, combination=combination
        )

    @surfaces.action(view.SNOOZE_ACTION, REMINDER)
    async def snooze(ack: AsyncAck, body: dict[str, Any], tell: Tell, tenant_id: int, user_id: str) -> None:
        await ack()
        nudge_id, _index = view.parse_value(payload.action_value(body), with_index=False)
        try:
            await reminders().snooze(tenant_id, user_id, nudge_id)
        except ReminderRefused as exc:
            await ephemeral(tell, exc.message)

    @surfaces.action(view.DAY_OFF_ACTION, REMINDER)
    async def day_off(ack: AsyncAck, body: dict[str, Any], tell: Tell, tenant_id: int, user_id: str) -> None:
        await ack()
        nudge_id, _index = view.parse_value(payload.action_value(body), with_index=False)
        try:
            problem = await reminders().day_off(tenant_id, user_id, nudge_id)
        except ReminderRefused as exc:
            problem = exc.message
        if problem:
            await ephemeral(tell, problem)
            return
        await services.notifier.refresh_home(tenant_id, user_id)

    @surfaces.action(view.HOME_ACTION, YOUR_REMINDER)
    async def choose_time(ack: AsyncAck, body: dict[str, Any], tenant_id: int, user_id: str) -> None:
        """Off, or a time of day: checked against what the select offered this person."""
        await ack()
        current, _opted_out = await reminders().preference(tenant_id, user_id)
        chosen = view.home_value(payload.selected_value(body), current)
        await reminders().choose(tenant_id, user_id, chosen)
        await services.notifier.refresh_home(tenant_id, user_id)
