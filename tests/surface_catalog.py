"""Everything bxhours registers with Slack, read from the registry itself (``bot.handlers.surfaces``):
each command, action id, options load, view callback id and event, with the surface it belongs to.

The permission and fuzz suites of issue 12 iterate over this, so a surface a later issue adds is
covered without touching them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers import register_all
from bot.handlers.surfaces import Registration, Surface
from bot.views import (
    account_mapping,
    bx_sync,
    choices,
    expense_modal,
    hours_modal,
    invoice_modal,
    log_expense,
    log_hours,
    new_customer,
    reminder,
    settings_modal,
    timers,
    week,
)
from bot.views.sealed import ChoiceSeal
from services.container import Services

_VIEW_MODULES: tuple[ModuleType, ...] = (
    account_mapping,
    bx_sync,
    expense_modal,
    hours_modal,
    invoice_modal,
    log_expense,
    log_hours,
    new_customer,
    reminder,
    settings_modal,
    timers,
    week,
)


@dataclass(frozen=True)
class Entry:
    """One concrete thing Slack can send: ``name`` is the command, action id, callback id or event."""

    kind: str
    name: str
    registration: Registration

    @property
    def surface(self) -> Surface:
        return self.registration.surface


def registrations(services: Services, key: str) -> list[Registration]:
    """The registrations of a real app, built the way ``bxhours.runtime`` builds it."""
    app = AsyncApp(client=AsyncWebClient(token="xoxb-catalog"), signing_secret="catalog")
    surfaces = register_all(app, BotDeps(services, ChoiceSeal(key)))
    return surfaces.registrations


def _known_ids() -> set[str]:
    ids: set[str] = set()
    for module in _VIEW_MODULES:
        for name, value in vars(module).items():
            if name.endswith(("_ACTION", "_ACTIONS", "CALLBACK_ID")):
                values = value if isinstance(value, tuple) else (value,)
                ids |= {v for v in values if isinstance(v, str)}
    for stem in (
        *log_hours.CHOICE_ACTIONS.pick.values(),
        *log_expense.CHOICE_ACTIONS.pick.values(),
        *timers.PICK_ACTIONS.values(),
    ):
        ids |= {choices.pick_action_id(stem, n) for n in range(3)}
    return ids


def catalog(services: Services, key: str) -> list[Entry]:
    """Every concrete name each registration answers to (a pattern: every known id it matches)."""
    known = _known_ids()
    entries: list[Entry] = []
    for registration in registrations(services, key):
        constraint = registration.constraint
        if isinstance(constraint, re.Pattern):
            if registration.kind == "command":
                names = ["/no-such-command"]
            else:
                names = sorted(i for i in known if constraint.fullmatch(i))
                assert names, f"no known id matches {constraint.pattern}"
        else:
            names = [constraint]
        entries += [Entry(registration.kind, name, registration) for name in names]
    return entries
