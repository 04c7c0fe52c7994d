"""What logging hours or an expense can come to, as plain values the Slack handlers render.

A request either ends stored, refused with a sentence for the person, or needs one more choice
(which project, which activity, which category) — in which case the request travels along with
the choice so that a click can finish it without the person typing the line again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

Request = TypeVar("Request")
ChoiceKind = Literal["project", "activity", "category"]

MAX_PROJECT_CHOICES = 5
"""Ambiguous projects offered as buttons; beyond that the form's type-ahead is quicker."""
MAX_DETAIL_CHOICES = 10
"""Activities or categories offered as buttons."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Nothing was stored; ``message`` says why and what to do instead."""

    message: str


@dataclass(frozen=True, slots=True)
class Invalid(Refusal, Generic[Request]):
    """Nothing was stored because the request breaks a rule of ``core.entry_rules`` (a day before
    2000, more than 24 hours in a day, a control character in the note …). ``problems`` are by form
    field; ``request`` is what was asked, so the reply can offer it again in the form and nothing the
    person typed is lost."""

    problems: dict[str, str]
    request: Request


@dataclass(frozen=True, slots=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True, slots=True)
class ChooseOne(Generic[Request]):
    """The request is fine except for one thing only the person can decide."""

    what: ChoiceKind
    query: str | None
    """What was typed, when the choice comes from an ambiguous name (None: nothing was typed)."""
    choices: tuple[Choice, ...]
    more: bool
    """There were more candidates than choices: offer the form as well."""
    request: Request
    subject: str | None = None
    """What the choice is for, e.g. the project whose activity is asked for."""


@dataclass(frozen=True, slots=True)
class FieldErrors:
    """A form submission with problems, by form field (``day``, ``project``, ``duration``, …)."""

    errors: dict[str, str]


@dataclass(frozen=True, slots=True)
class Removed:
    """An entry or expense was deleted; ``summary`` describes what it was."""

    summary: str
