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


def as_text(value: Any) -> Any:
    """Text that bexio may send as a number: its API description types company ``postcode`` as an
    integer (``8640``), older contact samples do too, and invoice ``pos`` is ``1`` in samples but
    ``"1"`` in recorded answers. Numbers become their digits; ``""`` becomes None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return blank_to_none(value)


def as_name(value: Any) -> Any:
    """A required name: numbers read as text, but ``""`` stays ``""`` (a stand-in replaces it)."""
    if isinstance(value, str):
        return value
    return as_text(value)


def as_date(value: Any) -> Any:
    """A date that bexio may type as date-time: ``"2019-07-12 08:30:00"`` is the 12th, whatever
    the time of day (projects' ``start_date``/``end_date``); ``0000-00-00`` and ``""`` are none."""
    value = blank_to_none(value)
    if isinstance(value, str) and len(value) > 10 and value[10] in " T":
        return value[:10]
    if isinstance(value, datetime):
        return value.date()
    return value


def as_id(value: Any) -> int | None:
    """An id as bexio's fast-path readers meet it: ``17`` or ``"17"``; anything else is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


_TRUE = frozenset({"1", "true", "yes", "on", "t", "y"})


def as_flag(value: Any) -> bool:
    """A boolean as bexio documents it (``true``) or as integrations send it (``1``, ``"1"``,
    ``"true"``); anything else — ``0``, ``null``, ``""`` — is false."""
    if value is True:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return False


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

# Every read type takes each shape bexio documents, shows in a sample or is seen to send (issue 11
# §1): text as numbers, ids and numbers as digit strings (pydantic's lax mode), booleans as
# true/false, 1/0, "1"/"0", "true"/"false" (lax mode), dates with any time of day, and "",
# "0000-00-00" or null for none.

Text = Annotated[str | None, BeforeValidator(as_text)]
Name = Annotated[str, BeforeValidator(as_name)]
"""A name bexio requires; a model puts a readable stand-in where it is empty (``Projekt 12``)."""
OptInt = Annotated[int | None, BeforeValidator(blank_to_none)]
OptBool = Annotated[bool | None, BeforeValidator(blank_to_none)]
Money = Decimal
OptMoney = Annotated[Decimal | None, BeforeValidator(blank_to_none)]
OptDate = Annotated[date | None, BeforeValidator(as_date)]
Unused = Any
"""A field bexio sends that bxhours does not use: kept as sent, never validated (issue 11 §1) —
what bexio puts there cannot cost a record."""
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
