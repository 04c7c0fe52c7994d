"""Column types that keep money and time exact on both SQLite and PostgreSQL.

SQLAlchemy's ``Numeric`` goes through float on SQLite, and SQLite has no time zones; both would
silently corrupt an invoice. Money is therefore stored as integer Rappen (sums in SQL stay exact),
other decimals as text, and datetimes as naive UTC that are made aware again on the way out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator

_CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """A Decimal amount with at most two decimals, stored as integer Rappen.

    A value with more precision is refused instead of being rounded here: rounding is a business
    rule and belongs in ``core``, where it is visible and tested.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, got {type(value).__name__}")
        if value != value.quantize(_CENT):
            raise ValueError(f"money {value} has more than two decimals")
        return int(value * 100)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # Exactly Decimal(value) / 100 with two decimals, in one step: previews read 10k of these.
        return Decimal(value).scaleb(-2)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal kept verbatim as text (tax percentages, round factors); never summed in SQL."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"expected a Decimal, got {type(value).__name__}")
        return str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = (
            datetime.fromisoformat(value) if isinstance(value, str) else value
        )  # raw SQL on SQLite
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
