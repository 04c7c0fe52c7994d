"""One log line per Slack interaction, and what the metrics count of it.

``bot.front_door`` begins an ``Interaction`` for each verified request, notes when Slack got its
acknowledgement and when the handler finished, and ``InteractionLog`` ends it in exactly one line on
the ``bot.interactions`` logger::

    slack interaction kind=command action=/log-hours tenant=1 team=T0DEMO user=U01ANDREA outcome=ok
        ack_ms=14.2 ms=61.0 request=5f0c…

(``LOG_FORMAT=json``: the same fields as JSON keys.) Never what a person typed: no command text, no
note, no form values — only which command, button, form or event it was. Replays of a request taken
before and refused forgeries get no line of their own (they are sampled elsewhere); they are only
counted.

Outcomes: ``ok``; ``rejected`` (a form answered with field errors); ``error`` (the handler failed);
``unhandled`` (no handler for it); ``invalid`` (a verified body that cannot be read); ``busy`` (the
database did not take the request in time); ``replay`` (taken before; not logged); ``unverified``
(the signature did not verify; not logged).

Metric labels must stay bounded, so ``ActionLabels`` maps a request's command, action id, callback
id or event type to the name it was registered under (``bot.handlers.surfaces``) — a pattern's
readable form for ids with a dynamic part — or ``other``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("bot.interactions")

OK, REJECTED, ERROR, UNHANDLED, INVALID, BUSY, REPLAY, UNVERIFIED = (
    "ok",
    "rejected",
    "error",
    "unhandled",
    "invalid",
    "busy",
    "replay",
    "unverified",
)
OTHER = "other"

_KINDS = {
    "command": "command",
    "block_actions": "block_actions",
    "block_suggestion": "options",
    "view_submission": "view_submission",
    "view_closed": "view_closed",
    "event_callback": "event",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "url_verification": "url_verification",
}
"""Slack's request types, as the ``kind`` of lines and metrics (anything else: ``other``)."""

_REGISTERED_AS = {
    "command": "command",
    "block_actions": "action",
    "options": "options",
    "view_submission": "view",
    "view_closed": "view",
    "event": "event",
}
"""A request kind → the kind of registration that answers it (``bot.handlers.surfaces``)."""

_LITERALS = re.compile(r"\(?[\w/:-]+(?:\|[\w/:-]+)*\)?")
_NUMBERED = re.compile(r"(.+)\\\.\\d\+")
_STEMS = re.compile(r"\(\?:([\w-]+(?:\|[\w-]+)+)\)")
_UNESCAPE = re.compile(r"\\(.)")


def kind_of(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    return _KINDS.get(str(body.get("type")), OTHER)


def name_of(body: dict[str, Any], kind: str) -> str | None:
    """Which command, action id, callback id or event type: never anything a person typed."""
    value: Any = None
    if kind == "command":
        value = body.get("command")
    elif kind in ("block_actions", "options"):
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        value = first.get("action_id") if isinstance(first, dict) else body.get("action_id")
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        value = view.get("callback_id") if isinstance(view, dict) else None
    elif kind == "event":
        event = body.get("event")
        value = event.get("type") if isinstance(event, dict) else None
    elif kind == "shortcut":
        value = body.get("callback_id")
    return _short(value)


def user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return _short(user.get("id"))
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str):
        return _short(event.get("user"))
    return _short(body.get("user_id"))


def team_of(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, dict):
        return _short(team.get("id"))
    return _short(body.get("team_id"))


def _short(value: Any) -> str | None:
    """An id from a request, fit for a log line: text without control characters, at most 80."""
    if not isinstance(value, str) or not value:
        return None
    return "".join(ch if ch.isprintable() else "?" for ch in value[:80])


@dataclass(eq=False)
class Interaction:
    kind: str
    name: str | None
    user: str | None
    team: str | None
    started: float
    request_id: str | None = None
    tenant: int | None = None
    """The tenant of the request's workspace, once the front door knows it."""
    recovery: bool = False
    ack_seconds: float | None = None
    seconds: float | None = None
    outcome: str | None = None
    """Set early by what decides it (a rejection, a failure); ``ok`` when nothing did."""
    _waiting: set[str] = field(default_factory=lambda: {"answer", "handler"})
    _ended: bool = False


class InteractionLog:
    """Ends each interaction in one line on ``bot.interactions`` and hands it to ``on_end``."""

    def __init__(self, tenant_id: int | None = None, clock: Callable[[], float] = time.perf_counter) -> None:
        self.tenant_id = tenant_id
        self.clock = clock
        self.on_end: Callable[[Interaction], None] | None = None
        """Told about every interaction that ended, logged or not (``bxhours.observe``: metrics)."""

    def begin(
        self,
        body: dict[str, Any],
        *,
        started: float | None = None,
        request_id: str | None = None,
        recovery: bool = False,
    ) -> Interaction:
        kind = kind_of(body)
        return Interaction(
            kind=kind,
            name=name_of(body, kind),
            user=user_of(body),
            team=team_of(body),
            started=self.clock() if started is None else started,
            request_id=request_id,
            recovery=recovery,
        )

    def answered(self, interaction: Interaction, status: int, body: str | None = None) -> None:
        """Slack got the acknowledgement (a recovered request: it was passed on)."""
        if "answer" not in interaction._waiting:
            return
        if not interaction.recovery:
            interaction.ack_seconds = self.clock() - interaction.started
        if interaction.outcome is None:
            if status == 404:
                interaction.outcome = UNHANDLED
            elif status == 400:
                interaction.outcome = INVALID
            elif status >= 500:
                interaction.outcome = ERROR
            elif interaction.kind == "view_submission" and _form_errors(body):
                interaction.outcome = REJECTED
        self._step(interaction, "answer")

    def handled(self, interaction: Interaction, *, failed: bool = False) -> None:
        """The handler finished (or none ran)."""
        if failed:
            interaction.outcome = ERROR
        self._step(interaction, "handler")

    def end(self, interaction: Interaction, outcome: str, *, logged: bool = True) -> None:
        """End it now, whatever is still outstanding (busy, invalid, replays, forgeries)."""
        if interaction.outcome is None or outcome in (BUSY, REPLAY, UNVERIFIED):
            interaction.outcome = outcome
        interaction._waiting.clear()
        self._emit(interaction, logged=logged)

    def _step(self, interaction: Interaction, what: str) -> None:
        interaction._waiting.discard(what)
        if not interaction._waiting:
            self._emit(interaction, logged=True)

    def _emit(self, interaction: Interaction, *, logged: bool) -> None:
        if interaction._ended:
            return
        interaction._ended = True
        interaction.seconds = self.clock() - interaction.started
        interaction.outcome = interaction.outcome or OK
        if logged:
            fields: dict[str, Any] = {
                "kind": interaction.kind,
                "action": interaction.name or "-",
                "tenant": interaction.tenant if interaction.tenant is not None else self.tenant_id,
                "team": interaction.team,
                "user": interaction.user,
                "outcome": interaction.outcome,
            }
            if interaction.ack_seconds is not None:
                fields["ack_ms"] = round(interaction.ack_seconds * 1000, 1)
            fields["ms"] = round(interaction.seconds * 1000, 1)
            if interaction.request_id is not None:
                fields["request"] = interaction.request_id
            if interaction.recovery:
                fields["recovered"] = True
            level = logging.WARNING if interaction.outcome in (ERROR, BUSY) else logging.INFO
            log.log(level, "slack interaction", extra=fields)
        if self.on_end is not None:
            try:
                self.on_end(interaction)
            except Exception:
                log.warning("the interaction observer failed", exc_info=True)


def _form_errors(body: str | None) -> bool:
    if not body or not body.startswith("{"):
        return False
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("response_action") == "errors"


class ActionLabels:
    """The bounded ``action`` label of a request: the registered name it matched, or ``other``.

    Built from the registry (``bot.handlers.surfaces.Surfaces.registrations``: anything with
    ``kind`` and ``constraint``). A plain name labels itself. A pattern that is an alternation of
    plain names labels each name; ``stem\\.\\d+`` (the candidate buttons of a choice) labels as
    ``stem.N``; any other pattern (the catch-all of unknown commands) as ``other``.
    """

    def __init__(self, registrations: Iterable[Any]) -> None:
        self._exact: dict[str, set[str]] = {}
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for registration in registrations:
            constraint = registration.constraint
            if isinstance(constraint, re.Pattern):
                self._patterns.append((registration.kind, constraint))
            else:
                self._exact.setdefault(registration.kind, set()).add(str(constraint))

    def __call__(self, kind: str, name: str | None) -> str:
        registered = _REGISTERED_AS.get(kind)
        if registered is None or not name:
            return OTHER
        if name in self._exact.get(registered, ()):
            return name
        for pattern_kind, pattern in self._patterns:
            if pattern_kind == registered and pattern.fullmatch(name):
                return _pattern_label(pattern, name)
        return OTHER


def _pattern_label(pattern: re.Pattern[str], name: str) -> str:
    source = pattern.pattern.removeprefix("^").removesuffix("$")
    if _LITERALS.fullmatch(source):
        return name  # one of the alternatives the pattern spells out
    numbered = _NUMBERED.fullmatch(source)
    if numbered is None:
        return OTHER
    stem = numbered.group(1)
    if not re.search(r"[\[\]()*+?{}|^$]", _UNESCAPE.sub("", stem)):
        return _UNESCAPE.sub(r"\1", stem) + ".N"
    stems = _STEMS.fullmatch(stem)
    if stems is not None:
        # ``(?:a|b)\.\d+``: several numbered button families handled by one listener.
        matched = name.rpartition(".")[0]
        if matched in stems.group(1).split("|"):
            return matched + ".N"
    return OTHER
