"""What `/log-hours` and `/log-expense` do alike, written once: help, the form for an empty line,
a typed line logged after an empty acknowledgement, and the buttons of the reply (pick one of
several candidates, open the form instead, undo).

Only a syntax error or help is answered in the acknowledgement itself; anything that needs the
database is acknowledged empty first and answered through ``respond``, so Slack's 3-second limit
never depends on the database. Keeping that here means both commands honour it the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.views import choices
from core.quick_entry import ParseError
from services.container import Services
from services.entry_outcomes import Refusal, Removed
from services.entry_service import ProjectRequest

Request = TypeVar("Request", bound=ProjectRequest)
Parsed = TypeVar("Parsed")
Parsed_co = TypeVar("Parsed_co", covariant=True)
Request_contra = TypeVar("Request_contra", contravariant=True)


class LoggingService(Protocol[Parsed_co, Request_contra]):
    """The part of ``TimeEntryService`` / ``ExpenseService`` a command uses."""

    def parse_line(self, text: str) -> Parsed_co | ParseError: ...

    async def log(self, tenant_id: int, slack_user_id: str, request: Request_contra) -> Any: ...

    async def delete(self, tenant_id: int, slack_user_id: str, record_id: int) -> Removed | Refusal: ...


class OpenModal(Protocol[Request_contra]):
    """``open_modal`` of the command's form handler."""

    def __call__(
        self,
        client: AsyncWebClient,
        services: Services,
        tenant_id: int,
        user_id: str,
        trigger_id: str,
        *,
        request: Request_contra | None = None,
    ) -> Awaitable[None]: ...


WordReply = Callable[[Services, int, str], Awaitable[dict[str, Any]]]
"""A one-word command beside `help` (`/log-hours week`): the reply for a tenant and a Slack user."""


@dataclass(frozen=True)
class EntryCommand(Generic[Parsed, Request]):
    """What sets one logging command apart: its name, texts, service, request codec and ids."""

    command: str
    help_text: str
    service: LoggingService[Parsed, Request]
    from_input: Callable[[Parsed], Request]
    reply: Callable[..., dict[str, Any]]
    """The view's ``reply(outcome, *, replace=False)``."""
    request_from_dict: Callable[[dict[str, Any]], Request]
    choice_actions: choices.ChoiceActions
    undo_action: str
    open_modal: OpenModal[Request]
    words: Mapping[str, WordReply] = field(default_factory=dict)


def register(app: AsyncApp, deps: BotDeps, spec: EntryCommand[Any, Any]) -> None:
    services = deps.services
    service = spec.service

    @app.command(spec.command)
    async def handle(
        ack: AsyncAck,
        command: dict[str, str],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        text = command.get("text", "").strip()
        words = text.lower().split()
        if words == ["help"]:
            await ack(spec.help_text)
            return
        user_id = command["user_id"]
        if not words:
            await ack()
            tenant_id = await deps.tenant_id(context.get("team_id"))
            await spec.open_modal(client, services, tenant_id, user_id, command["trigger_id"])
            return
        if len(words) == 1 and words[0] in spec.words:
            await ack()
            tenant_id = await deps.tenant_id(context.get("team_id"))
            await respond(**await spec.words[words[0]](services, tenant_id, user_id))
            return
        parsed = service.parse_line(text)
        if isinstance(parsed, ParseError):
            await ack(parsed.message)
            return
        await ack()
        async with deps.ack_first.turn():
            tenant_id = await deps.tenant_id(context.get("team_id"))
            outcome = await service.log(tenant_id, user_id, spec.from_input(parsed))
            await respond(**spec.reply(outcome))

    what_by_action = {action_id: what for what, action_id in spec.choice_actions.pick.items()}

    async def pick(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: dict[str, Any]
    ) -> None:
        """A candidate was clicked: the request it carries is logged with that choice."""
        await ack()
        action = body["actions"][0]
        tenant_id = await deps.tenant_id(context.get("team_id"))
        what = what_by_action[choices.pick_stem(action["action_id"])]
        request = choices.picked(action["value"], what, spec.request_from_dict)
        async with deps.ack_first.turn():
            outcome = await service.log(tenant_id, body["user"]["id"], request)
            await respond(**spec.reply(outcome, replace=True))

    for stem in what_by_action:
        app.action(choices.pick_pattern(stem))(pick)

    @app.action(spec.choice_actions.open_form)
    async def open_form(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        carried = choices.decode(body["actions"][0].get("value") or "{}").get("request")
        request = spec.request_from_dict(carried) if carried else None
        await spec.open_modal(
            client, services, tenant_id, body["user"]["id"], body["trigger_id"], request=request
        )

    @app.action(spec.undo_action)
    async def undo(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: dict[str, Any]
    ) -> None:
        await ack()
        tenant_id = await deps.tenant_id(context.get("team_id"))
        removed = await service.delete(tenant_id, body["user"]["id"], int(body["actions"][0]["value"]))
        if isinstance(removed, Refusal):
            await respond(**choices.refusal(removed, replace=True))
        else:
            await respond(**choices.undone(removed.summary))
