"""The one way handlers reach Slack: every command, action, options load, view and event is
registered here with the surface it belongs to, and this module enforces what that means.

A *surface* is a place people act in — the `/invoice` modal, the App Home's admin buttons, the
reply to `/log-hours` — with the permission it needs (anyone, those who may invoice, admins) and
where its actions may come from (modals of given ``callback_id``s, the App Home, messages).
Before a handler runs, each request is

1. brought into shape (``bot.views.payload.normalize``): a payload without a user, with state
   values that are not objects or with a view that is no object is answered, never crashed on;
2. checked for its origin: an action or options load that arrives from a view of another kind
   (``callback_id``) than its surface's is refused — the invoice modal's refresh cannot turn
   another modal into an invoice preview;
3. checked for the surface's permission — options loads and actions as much as submissions — and
   refused with the surface's sentence in the way the kind of request allows (a command's reply,
   field errors, no options, an ephemeral message or a DM).

And whatever the handler raises: a ``PayloadError`` (a value its button was not given) is answered
as such; anything else after something was stored is reported as saved — with a reference — and
never as "nothing was changed" (``bot.handlers.saved``); the rest goes to the app's error handler,
acknowledged first so Slack never shows a timeout.

``register`` refuses a handler without a surface, an action surface without an origin, and a view
handler whose surface does not name its callback id; ``verify`` refuses an app with a listener
that did not come through here. So a new button cannot forget its permission: the class of
defect "this handler answers anyone" cannot be written.
"""

from __future__ import annotations

import enum
import inspect
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from contextvars import Token
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.response import BoltResponse

from bot.deps import BotDeps
from bot.handlers.errors import SPOKEN
from bot.handlers.replies import Tell
from bot.handlers.saved import LEDGER, Ledger
from bot.views.blocks import notice_modal
from bot.views.payload import Kind, PayloadError, envelope_problem, normalize
from core.i18n import _, current_language
from core.keywords import keyword
from services.tenants import UnknownWorkspace

log = logging.getLogger("bxhours.bot")

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[None]])
Constraint = str | re.Pattern[str]

HELP_WORD = "help"
"""Every command's help is for everyone: it says what the command does and who may use it."""
UNKNOWN_WORKSPACE = "This Slack workspace is not connected to bxhours, so nothing was done."


class Permission(enum.Enum):
    ANYONE = "anyone in the workspace"
    BILLING = "admins and the people in the setting billing_users"
    ADMIN = "admins"


@dataclass(frozen=True)
class Surface:
    """A place people act in, the permission it needs, and where its actions come from."""

    name: str
    permission: Permission
    refusal: str = ""
    """What someone without the permission is told (required unless anyone may act)."""
    views: frozenset[str] = frozenset()
    """The ``callback_id``s of the modals its actions and options loads come from."""
    home: bool = False
    """Its actions come from the App Home."""
    messages: bool = False
    """Its actions come from messages (command replies, DMs)."""

    def __post_init__(self) -> None:
        if not isinstance(self.permission, Permission):
            raise TypeError(f"surface {self.name!r}: permission must be a Permission")
        if self.permission is not Permission.ANYONE and not self.refusal:
            raise ValueError(f"surface {self.name!r} needs a refusal text for who may not use it")

    @property
    def has_origin(self) -> bool:
        return bool(self.views) or self.home or self.messages

    def allows_origin(self, body: dict[str, Any]) -> bool:
        """Whether an action or options load came from where this surface's elements are."""
        view = body.get("view")
        if isinstance(view, dict) and (view.get("type") or view.get("callback_id") or view.get("id")):
            if view.get("type") == "home":
                return self.home
            return view.get("callback_id") in self.views
        return self.messages


PUBLIC_HELP = Surface("a command's help", Permission.ANYONE)


@dataclass(frozen=True)
class Registration:
    kind: Kind
    constraint: Constraint
    surface: Surface
    words: Mapping[str, Surface] = field(default_factory=dict)


class Surfaces:
    """Registers handlers on the Bolt app, each with its surface (see the module docstring)."""

    def __init__(self, app: AsyncApp, deps: BotDeps) -> None:
        self._app = app
        self._deps = deps
        self.registrations: list[Registration] = []

    # -- registering ---------------------------------------------------------------------------

    def command(
        self, name: Constraint, surface: Surface, *, words: Mapping[str, Surface] | None = None
    ) -> Callable[[Handler], Handler]:
        """A slash command; ``words`` give a first word (``""`` for none) a surface of its own."""
        return self._register("command", name, surface, words or {})

    def action(self, action_id: Constraint, surface: Surface) -> Callable[[Handler], Handler]:
        return self._register("action", action_id, surface)

    def options(self, action_id: Constraint, surface: Surface) -> Callable[[Handler], Handler]:
        return self._register("options", action_id, surface)

    def view(self, callback_id: str, surface: Surface) -> Callable[[Handler], Handler]:
        return self._register("view", callback_id, surface)

    def event(self, event_type: str, surface: Surface) -> Callable[[Handler], Handler]:
        return self._register("event", event_type, surface)

    def _register(
        self, kind: Kind, constraint: Constraint, surface: Surface, words: Mapping[str, Surface] | None = None
    ) -> Callable[[Handler], Handler]:
        for checked in (surface, *(words or {}).values()):
            if not isinstance(checked, Surface):
                raise TypeError(f"{kind} {constraint!r}: every handler needs a Surface, got {checked!r}")
        if kind in ("action", "options") and not surface.has_origin:
            raise ValueError(f"{kind} {constraint!r}: surface {surface.name!r} names no origin")
        if kind == "view" and constraint not in surface.views:
            raise ValueError(f"view {constraint!r}: surface {surface.name!r} does not name it")
        registration = Registration(kind, constraint, surface, words or {})

        def decorate(handler: Handler) -> Handler:
            names = list(inspect.signature(handler).parameters)

            async def listener(args: AsyncArgs) -> None:
                await self._run(registration, handler, names, args)

            listener.__name__ = listener.__qualname__ = f"{kind}:{getattr(handler, '__name__', 'handler')}"
            bolt_register = {
                "command": self._app.command,
                "action": self._app.action,
                "options": self._app.options,
                "view": self._app.view_submission,
                "event": self._app.event,
            }[kind]
            bolt_register(constraint)(listener)
            self.registrations.append(registration)
            return handler

        return decorate

    def guard(self) -> None:
        """Refuse, before Bolt routes it, a verified body Bolt itself cannot read (``actions`` that
        are no list of objects, a view without ``callback_id`` …): 400 with the reason, no traceback."""

        async def well_formed(
            body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
        ) -> BoltResponse:
            problem = envelope_problem(body)
            if problem is None:
                return await next()
            log.info("refused a malformed request: %s", problem)
            return BoltResponse(status=400, body=json.dumps({"error": f"malformed request: {problem}"}))

        self._app.middleware(well_formed)

    def verify(self) -> None:
        """Every listener of the app came through here (none registered around the rules)."""
        listeners = len(self._app._async_listeners)  # Bolt keeps no public list
        if listeners != len(self.registrations):
            raise RuntimeError(
                f"{listeners - len(self.registrations)} Slack listener(s) were registered without a "
                "surface; register them through bot.handlers.surfaces.Surfaces"
            )

    # -- running ---------------------------------------------------------------------------------

    async def _run(
        self,
        registration: Registration,
        handler: Callable[..., Awaitable[None]],
        names: list[str],
        args: AsyncArgs,
    ) -> None:
        kind = registration.kind
        body: dict[str, Any] = args.body
        ledger = Ledger()
        token = LEDGER.set(ledger)
        language_token: Token[str] | None = None
        user_id: str | None = None
        tell = Tell(self._respond(args), self._deps.services.notifier, None)
        try:
            try:
                user_id = normalize(body, kind)
                tell = Tell(self._respond(args), self._deps.services.notifier, user_id)
                tenant_id = await self._deps.tenant_id(args.context.get("team_id"))
            except UnknownWorkspace:
                log.info("refused a %s from workspace %s: not connected", kind, args.context.get("team_id"))
                await self._answer(kind, args, None, UNKNOWN_WORKSPACE)
                return
            languages = self._deps.services.languages
            if languages is not None:  # the person's language, for everything said from here on
                language_token = current_language.set(await languages.for_person(tenant_id, user_id))
            surface = self._surface_for(registration, body)
            if kind in ("action", "options") and not surface.allows_origin(body):
                log.warning(
                    "refused %s %r from a %s view: it belongs to %s",
                    kind,
                    _element_id(body),
                    (body.get("view") or {}).get("callback_id") or "message",
                    surface.name,
                )
                await self._answer(kind, args, None, None)
                return
            if user_id is not None and not await self._allowed(surface.permission, tenant_id, user_id):
                log.info(
                    "refused %s %r to %s: %s only", kind, _element_id(body), user_id, surface.permission.value
                )
                await self._answer(kind, args, tell, _(surface.refusal))
                return
            extras: dict[str, Any] = {"tenant_id": tenant_id, "user_id": user_id, "tell": tell}
            await handler(**{name: self._argument(args, name, extras) for name in names})
        except PayloadError as exc:
            log.info("refused a damaged %s %r: %s", kind, _element_id(body), exc.detail)
            await self._answer(kind, args, tell, exc.message)
        except Exception as exc:
            if ledger.saved:
                await self._saved_but_failed(kind, args, tell, ledger, exc)
                return
            await self._ack_blank(kind, args)
            args.context[SPOKEN] = current_language.get()  # the apology speaks it too (report_failure)
            raise
        finally:
            LEDGER.reset(token)
            if language_token is not None:
                current_language.reset(language_token)

    def _surface_for(self, registration: Registration, body: dict[str, Any]) -> Surface:
        if registration.kind != "command":
            return registration.surface
        words = str(body.get("text") or "").split()
        first = keyword(words[0]) if words else ""
        if first == HELP_WORD:
            return PUBLIC_HELP
        return registration.words.get(first, registration.surface)

    async def _allowed(self, permission: Permission, tenant_id: int, user_id: str) -> bool:
        services = self._deps.services
        if permission is Permission.ADMIN:
            return await services.people.is_admin(tenant_id, user_id)
        if permission is Permission.BILLING:
            return await services.invoicing.can_invoice(tenant_id, user_id)
        return True

    @staticmethod
    def _respond(args: AsyncArgs) -> Any:
        return args.respond if isinstance(args.context.get("response_url"), str) else None

    @staticmethod
    def _argument(args: AsyncArgs, name: str, extras: dict[str, Any]) -> Any:
        if name in extras:
            return extras[name]
        if name == "respond":
            return Surfaces._respond(args)
        if hasattr(args, name):
            return getattr(args, name)
        return args.context.get(name)

    async def _answer(self, kind: Kind, args: AsyncArgs, tell: Tell | None, text: str | None) -> None:
        """Refuse in the way the kind of request allows; ``text`` None: silently."""
        ack = args.ack
        acked = ack.response is not None
        if kind == "command" and not acked:
            await ack(text or "")
            return
        if kind == "options" and not acked:
            await ack(options=[])
            return
        if kind == "view" and not acked:
            if not text:
                await ack()
                return
            found = args.body.get("view")
            view: dict[str, Any] = found if isinstance(found, dict) else {}
            first_input = next(
                (
                    b.get("block_id")
                    for b in view.get("blocks", [])
                    if isinstance(b, dict) and b.get("type") == "input" and b.get("block_id")
                ),
                None,
            )
            if first_input:
                await ack(response_action="errors", errors={first_input: text[:2000]})
            else:
                await ack(response_action="update", view=notice_modal("bxhours", text))
            return
        if not acked and kind == "action":
            await ack()
        if text and tell is not None:
            await tell(text=text, response_type="ephemeral", replace_original=False)

    async def _ack_blank(self, kind: Kind, args: AsyncArgs) -> None:
        """Slack gets its acknowledgement even when the handler failed before sending it."""
        if args.ack.response is not None or kind == "event":
            return
        if kind == "options":
            await args.ack(options=[])
        else:
            await args.ack()

    async def _saved_but_failed(
        self, kind: Kind, args: AsyncArgs, tell: Tell, ledger: Ledger, exc: Exception
    ) -> None:
        """Something was stored before the failure: say so — never "nothing was changed"."""
        reference = secrets.token_hex(4)
        log.error(
            "error %s in %s %r after %s was saved: %s",
            reference,
            kind,
            _element_id(args.body),
            ledger.describe(),
            exc,
            exc_info=exc,
        )
        await self._ack_blank(kind, args)
        if tell is not None:
            await tell(
                text=saved_but_failed_text(ledger.said(), reference),
                response_type="ephemeral",
                replace_original=False,
            )


def saved_but_failed_text(what: str, reference: str) -> str:
    return _(
        "✓ {what}: saved. Something went wrong after that, so you may not see the usual confirmation "
        "or your App Home may be behind — there is no need to do it again. If something looks wrong, "
        "give an admin this reference: `{reference}`.",
        what=what[:1].upper() + what[1:],
        reference=reference,
    )


def _element_id(body: dict[str, Any]) -> str:
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return str(actions[0].get("action_id"))
    view = body.get("view")
    if isinstance(view, dict) and body.get("type") == "view_submission":
        return str(view.get("callback_id"))
    return str(body.get("action_id") or body.get("command") or (body.get("event") or {}).get("type"))
