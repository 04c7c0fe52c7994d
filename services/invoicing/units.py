"""bexio's units for a draft's lines (issue 15 §2): every line has one — bexio's ``h`` for hours,
its piece unit (``Stk`` in a German account) for expenses and fixed prices.

The units come from the imported units list (``Unit``), found by name and tolerant of how an
account spells them (``h``/``Std.``/``Stunden``, ``Stk``/``Stück``/``pce``/``pz``…): bexio lets a
company rename or delete its units, so a unit that is missing is a problem the preview names,
never a position sent without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _
from core.invoice_lines import InvoiceLine, LineKind, LineProblem
from storage.models import Unit

HOURS_NAMES = frozenset(
    {"h", "std", "stunde", "stunden", "hour", "hours", "hr", "hrs", "heure", "heures", "ora", "ore"}
)
PIECE_NAMES = frozenset(
    {
        "stk",
        "stück",
        "stueck",
        "st",
        "piece",
        "pieces",
        "pièce",
        "pièces",
        "pce",
        "pces",
        "pc",
        "pcs",
        "pz",
        "pezzo",
        "pezzi",
        "unit",
        "units",
    }
)
PIECE_KINDS = (LineKind.EXPENSE, LineKind.FIXED)


@dataclass(frozen=True, slots=True)
class DraftUnits:
    """bexio ids of the units a draft's lines use; None when bexio has no such unit."""

    hours: int | None
    piece: int | None

    def of(self, kind: str) -> int | None:
        """The unit of a line of ``kind`` (``LineKind`` value); text lines have none."""
        if kind == LineKind.HOURS.value:
            return self.hours
        if kind in (k.value for k in PIECE_KINDS):
            return self.piece
        return None


def _normalised(name: str) -> str:
    return name.casefold().replace(".", "").strip()


def pick_units(units: list[tuple[int, str]]) -> DraftUnits:
    """The hours and the piece unit among (bexio id, name) pairs; an exact ``h``/``Stk`` wins
    over another spelling, the lowest id over a later duplicate."""
    ordered = sorted(units)

    def find(names: frozenset[str], preferred: str) -> int | None:
        exact = [bexio_id for bexio_id, name in ordered if _normalised(name) == preferred]
        if exact:
            return exact[0]
        return next((bexio_id for bexio_id, name in ordered if _normalised(name) in names), None)

    return DraftUnits(hours=find(HOURS_NAMES, "h"), piece=find(PIECE_NAMES, "stk"))


async def draft_units(session: AsyncSession) -> DraftUnits:
    rows = await session.execute(select(Unit.bexio_id, Unit.name).where(Unit.active.is_(True)))
    return pick_units([(bexio_id, name) for bexio_id, name in rows.all()])


def missing_units(lines: tuple[InvoiceLine, ...], units: DraftUnits) -> tuple[LineProblem, ...]:
    """A problem on each line whose unit bexio does not have (imported)."""
    problems: list[LineProblem] = []
    for line in lines:
        if line.kind is LineKind.HOURS and units.hours is None:
            problems.append(
                LineProblem(
                    line.key,
                    _(
                        "bexio has no unit for hours (h): add it in bexio, then import again with "
                        "/bx-sync — every line needs its unit."
                    ),
                )
            )
        elif line.kind in PIECE_KINDS and units.piece is None:
            problems.append(
                LineProblem(
                    line.key,
                    _(
                        "bexio has no piece unit (Stk) for expenses and fixed prices: add it in bexio, "
                        "then import again with /bx-sync — every line needs its unit."
                    ),
                )
            )
    return tuple(problems)
