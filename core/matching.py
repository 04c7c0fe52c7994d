"""Find the project, activity or customer a person means from what they typed.

The rules, in order: a number matches bexio's project number ignoring leading zeros; then an
exact name; then a unique prefix; otherwise say which names were meant or came close.
Inactive candidates still match, so the caller can refuse them *with the reason* instead of
claiming they do not exist — but at each step an active candidate wins over inactive ones.
"""

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

MAX_SUGGESTIONS = 3
_SIMILARITY_CUTOFF = 0.6


@dataclass(frozen=True, slots=True)
class Candidate:
    key: int
    name: str
    nr: str | None = None
    active: bool = True


class MatchKind(Enum):
    EXACT = "exact"
    UNIQUE_PREFIX = "unique_prefix"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Match:
    kind: MatchKind
    found: tuple[Candidate, ...]
    suggestions: tuple[str, ...] = ()

    @property
    def unique(self) -> Candidate | None:
        """The one candidate meant, when there is exactly one."""
        if self.kind in (MatchKind.EXACT, MatchKind.UNIQUE_PREFIX):
            return self.found[0]
        return None


def normalise_name(text: str) -> str:
    """Case- and whitespace-insensitive form used for every comparison."""
    return " ".join(text.split()).casefold()


def match(query: str, candidates: Sequence[Candidate]) -> Match:
    """Resolve a typed query against candidates (see the module docstring for the rules)."""
    wanted = normalise_name(query)
    if not wanted:
        return Match(MatchKind.NONE, ())
    if wanted.isascii() and wanted.isdigit():
        number = wanted.lstrip("0")
        by_nr = [c for c in candidates if c.nr is not None and c.nr.strip().lstrip("0") == number]
        if by_nr:
            return _result(MatchKind.EXACT, by_nr)
    exact = [c for c in candidates if normalise_name(c.name) == wanted]
    if exact:
        return _result(MatchKind.EXACT, exact)
    prefixed = [c for c in candidates if normalise_name(c.name).startswith(wanted)]
    if prefixed:
        return _result(MatchKind.UNIQUE_PREFIX, prefixed)
    return Match(MatchKind.NONE, (), _suggestions(wanted, candidates))


def _result(kind: MatchKind, matched: list[Candidate]) -> Match:
    active = [c for c in matched if c.active]
    chosen = active or matched
    if len(chosen) == 1:
        return Match(kind, (chosen[0],))
    return Match(MatchKind.AMBIGUOUS, tuple(chosen))


def _suggestions(wanted: str, candidates: Sequence[Candidate]) -> tuple[str, ...]:
    """Names that contain the query first (people often type a word from the middle), then the
    closest spellings; only active candidates, since suggesting an inactive one leads nowhere."""
    names: dict[str, str] = {}
    for c in candidates:
        if c.active:
            names.setdefault(normalise_name(c.name), c.name)
    containing = [name for key, name in names.items() if wanted in key]
    close = difflib.get_close_matches(wanted, list(names), n=MAX_SUGGESTIONS, cutoff=_SIMILARITY_CUTOFF)
    picked: list[str] = []
    for name in [*containing, *(names[key] for key in close)]:
        if name not in picked:
            picked.append(name)
    return tuple(picked[:MAX_SUGGESTIONS])
