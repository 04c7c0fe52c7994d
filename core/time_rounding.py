"""Optional rounding of each entry's minutes before invoicing (setting `time_rounding`).

Rounding applies per entry, before entries are summed into a line, because that is how a
firm's billing rule ("every call is billed in 15-minute steps") is meant.
"""

from dataclasses import dataclass
from typing import Literal, cast, get_args

RoundingMode = Literal["up", "nearest", "down"]
INCREMENTS = (1, 5, 6, 15, 30)
_MODES: tuple[str, ...] = get_args(RoundingMode)
_SYNTAX = "write it as INCREMENT:MODE, e.g. 15:up, 6:nearest or 30:down (increments: 1, 5, 6, 15, 30 minutes)"


@dataclass(frozen=True, slots=True)
class TimeRounding:
    increment: int
    mode: RoundingMode

    def __post_init__(self) -> None:
        if self.increment not in INCREMENTS:
            raise ValueError(f"Time rounding increment {self.increment} is not allowed — {_SYNTAX}.")
        if self.mode not in _MODES:
            raise ValueError(f"Time rounding mode {self.mode!r} is not allowed — {_SYNTAX}.")

    def apply(self, minutes: int) -> int:
        """Minutes rounded to a multiple of the increment; `nearest` rounds halves up."""
        step = self.increment
        if self.mode == "up":
            return -(-minutes // step) * step
        if self.mode == "down":
            return minutes // step * step
        return (2 * minutes + step) // (2 * step) * step

    def __str__(self) -> str:
        """The setting's text; every mode of a 1-minute increment is "none" (minutes are whole)."""
        return "none" if self.increment == 1 else f"{self.increment}:{self.mode}"


NO_ROUNDING = TimeRounding(1, "nearest")


def parse_time_rounding(text: str) -> TimeRounding:
    """Read `15:up` / `6:nearest` / `30:down`; `none` or `off` mean no rounding."""
    raw = text.strip().lower()
    if raw in ("none", "off"):
        return NO_ROUNDING
    increment, colon, mode = raw.partition(":")
    if not colon or not increment.isascii() or not increment.isdigit() or mode not in _MODES:
        raise ValueError(f"{text.strip()!r} is not a time rounding — {_SYNTAX}.")
    return TimeRounding(int(increment), cast(RoundingMode, mode))
