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

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers.replies import Tell
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import choices, payload
from core.i18n import LANGUAGE_NAMES, N_, _, language_scope, normalise_language
from core.keywords import keyword
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
    """The view's ``reply(outcome, *, seal, replace=False, typed=None)``."""
    request_from_dict: Callable[[dict[str, Any]], Request]
    choice_actions: choices.ChoiceActions
    undo_action: str
    open_modal: OpenModal[Request]
    words: Mapping[str, WordReply] = field(default_factory=dict)


def register(surfaces: Surfaces, deps: BotDeps, spec: EntryCommand[Any, Any]) -> None:
    services = deps.services
    service = spec.service
    command_surface = Surface(spec.command, Permission.ANYONE)
    replies = Surface(f"{spec.command} replies", Permission.ANYONE, messages=True)

    def seal_for(user_id: str) -> choices.Seal:
        return lambda payload: deps.seal.seal(payload, user_id=user_id)

    @surfaces.command(spec.command, command_surface)
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
            await ack(_(spec.help_text))
            return
        if not words:
            await ack()
            await spec.open_modal(client, services, tenant_id, user_id, payload.trigger_id(command))
            return
        if words[0] == "language" and len(words) <= 2:
            await ack(
                await _choose_language(services, tenant_id, user_id, words[1] if len(words) == 2 else None)
            )
            return
        if len(words) == 1 and words[0] in spec.words:
            await ack()
            await tell(**await spec.words[words[0]](services, tenant_id, user_id))
            return
        parsed = service.parse_line(text)
        if isinstance(parsed, ParseError):
            await ack(parsed.message)
            return
        await ack()
        async with deps.ack_first.turn():
            outcome = await service.log(tenant_id, user_id, spec.from_input(parsed))
            await tell(**spec.reply(outcome, seal=seal_for(user_id), typed=f"{spec.command} {text}"))

    what_by_action = {action_id: what for what, action_id in spec.choice_actions.pick.items()}

    async def pick(ack: AsyncAck, body: dict[str, Any], tell: Tell, tenant_id: int, user_id: str) -> None:
        """A candidate was clicked: the request its sealed button carries is logged with that choice."""
        await ack()
        what = what_by_action[choices.pick_stem(body["actions"][0]["action_id"])]
        opened = deps.seal.open(payload.action_value(body), user_id=user_id)
        request = choices.picked(opened, what, spec.request_from_dict)
        async with deps.ack_first.turn():
            outcome = await service.log(tenant_id, user_id, request)
            await tell(**spec.reply(outcome, seal=seal_for(user_id), replace=True))

    for stem in what_by_action:
        surfaces.action(choices.pick_pattern(stem), replies)(pick)

    @surfaces.action(spec.choice_actions.open_form, replies)
    async def open_form(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        value = payload.action_value(body)
        request = (
            choices.carried(deps.seal.open(value, user_id=user_id), spec.request_from_dict) if value else None
        )
        await spec.open_modal(client, services, tenant_id, user_id, payload.trigger_id(body), request=request)

    @surfaces.action(spec.undo_action, replies)
    async def undo(ack: AsyncAck, body: dict[str, Any], tell: Tell, tenant_id: int, user_id: str) -> None:
        await ack()
        removed = await service.delete(tenant_id, user_id, payload.action_int(body, N_("the entry")))
        if isinstance(removed, Refusal):
            await tell(**choices.refusal(removed, replace=True))
        else:
            await tell(**choices.undone(removed.summary))


LANGUAGE_USAGE = N_(
    "Choose the language bxhours speaks to you: `{command} language de`, `fr`, `it` or `en` — or "
    "`{command} language auto` for the language of your Slack account."
)


async def _choose_language(services: Services, tenant_id: int, user_id: str, word: str | None) -> str:
    """`/log-hours language fr`: the person's own language, kept in their preferences (issue 14 §2)."""
    languages = services.languages
    if languages is None or word is None:
        return _(LANGUAGE_USAGE, command="/log-hours")
    if word.casefold() == "auto":
        await languages.choose(tenant_id, user_id, None)
        chosen = await languages.for_person(tenant_id, user_id)
        with language_scope(chosen):
            return _(
                "bxhours now speaks to you in the language of your Slack account ({language}).",
                language=LANGUAGE_NAMES[chosen],
            )
    language = normalise_language(word)
    if language is None:
        return _(LANGUAGE_USAGE, command="/log-hours")
    await languages.choose(tenant_id, user_id, language)
    with language_scope(language):
        return _("bxhours now speaks {language} to you.", language=LANGUAGE_NAMES[language])
