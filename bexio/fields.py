"""Field types that turn bexio's loose JSON into honest Python values, and back.

bexio mixes ``""`` and ``null`` for "no value", sends money as decimal strings of varying
precision on 2.0 but as JSON numbers elsewhere, writes 2.0 datetimes without a zone (they are
Swiss local time) and durations as ``"1:15"``. The models declare their fields with these types so
each quirk is handled once, here.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

#: bexio's 2.0 API writes and reads local datetimes in the company's Swiss time.
BEXIO_TZ = ZoneInfo("Europe/Zurich")

#: bexio rejects more than six decimals on amounts and prices.
MAX_DECIMALS = 6
_SMALLEST_STEP = Decimal(1).scaleb(-MAX_DECIMALS)

# bexio's legacy "no date" markers, seen on old 2.0 records.
_EMPTY_VALUES = frozenset({"", "0000-00-00", "0000-00-00 00:00:00"})
_DURATION = re.compile(r"^(?P<sign>-?)(?P<hours>\d+):(?P<minutes>[0-5]\d)(?::\d\d)?$")


def blank_to_none(value: Any) -> Any:
    """bexio sends ``""`` where it means "empty"; treat it like ``null``."""
    if isinstance(value, str) and value in _EMPTY_VALUES:
        return None
    return value


def _attach_bexio_tz(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=BEXIO_TZ)
    return value


def parse_minutes(value: Any) -> Any:
    """``"1:15"`` / ``"01:40"`` → 75 / 100 whole minutes; ints and None pass through."""
    if not isinstance(value, str):
        return value
    if not value:
        return None
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"not a bexio duration (H:MM): {value!r}")
    minutes = int(match["hours"]) * 60 + int(match["minutes"])
    return -minutes if match["sign"] else minutes


def format_minutes(minutes: int) -> str:
    """Whole minutes → bexio's ``HH:MM`` (``"01:40"``), the form its docs show for writes."""
    if minutes < 0:
        raise ValueError("a duration cannot be negative")
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


BEXIO_LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
"""bexio 2.0's datetimes: Swiss wall-clock time without a zone (``updated_at``)."""


def from_bexio_datetime(value: str) -> datetime:
    """bexio 2.0's ``YYYY-MM-DD HH:MM:SS`` (Swiss wall time) → an aware datetime."""
    return datetime.strptime(value, BEXIO_LOCAL_FORMAT).replace(tzinfo=BEXIO_TZ)


def to_bexio_datetime(value: datetime) -> str:
    """An aware datetime → bexio 2.0's ``YYYY-MM-DD HH:MM:SS`` in Swiss local time.

    Naive datetimes are refused: guessing their zone is how hours end up on the wrong day.
    """
    if value.tzinfo is None:
        raise ValueError("bexio datetimes must be timezone-aware")
    return value.astimezone(BEXIO_TZ).strftime(BEXIO_LOCAL_FORMAT)


def _check_decimals(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    try:
        exact = value == value.quantize(_SMALLEST_STEP)
    except InvalidOperation:
        raise ValueError(f"amount out of range: {value}") from None
    if not exact:
        raise ValueError(f"bexio accepts at most {MAX_DECIMALS} decimals, got {value}")
    return value


def decimal_to_str(value: Decimal) -> str:
    """Plain notation with at most six decimals, never exponent form (bexio would not read ``1E+2``)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        value = value.quantize(_SMALLEST_STEP)
    return format(value, "f")


def _decimal_to_json_number(value: Decimal) -> float:
    # Only for the few fields bexio wants as JSON numbers (default_price_per_hour). A decimal with at
    # most six decimals and fifteen significant digits survives the float round trip digit for digit.
    return float(value)


# --- read types ---------------------------------------------------------------------------------

Text = Annotated[str | None, BeforeValidator(blank_to_none)]
OptInt = Annotated[int | None, BeforeValidator(blank_to_none)]
OptBool = Annotated[bool | None, BeforeValidator(blank_to_none)]
Money = Decimal
OptMoney = Annotated[Decimal | None, BeforeValidator(blank_to_none)]
OptDate = Annotated[date | None, BeforeValidator(blank_to_none)]
LocalDateTime = Annotated[datetime | None, BeforeValidator(blank_to_none), AfterValidator(_attach_bexio_tz)]
Minutes = Annotated[int | None, BeforeValidator(parse_minutes)]

# --- write types --------------------------------------------------------------------------------

DecimalString = Annotated[
    Decimal, AfterValidator(_check_decimals), PlainSerializer(decimal_to_str, return_type=str)
]
DecimalNumber = Annotated[
    Decimal, AfterValidator(_check_decimals), PlainSerializer(_decimal_to_json_number, return_type=float)
]
DurationString = Annotated[int, PlainSerializer(format_minutes, return_type=str)]
BexioDateTime = Annotated[datetime, PlainSerializer(to_bexio_datetime, return_type=str)]
