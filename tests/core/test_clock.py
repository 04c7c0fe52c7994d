from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.clock import ManualClock, SystemClock, local_today, to_local


def test_system_clock_is_aware_utc_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(90.5)
    assert clock.now() == datetime(2026, 11, 23, 8, 1, 30, 500000, tzinfo=UTC)
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2027, 1, 1, tzinfo=UTC)


def test_manual_clock_normalises_to_utc() -> None:
    clock = ManualClock(datetime(2026, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_manual_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 1, 1))


def test_local_today_is_the_companys_day_not_utcs() -> None:
    # 23:30 UTC on New Year's Eve is already 00:30 on 1 January in Zurich (UTC+1 in winter).
    clock = ManualClock(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert local_today(clock, "Europe/Zurich") == date(2027, 1, 1)
    assert local_today(clock, "UTC") == date(2026, 12, 31)
    # Summer time: UTC+2.
    clock.set(datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
    assert local_today(clock, "Europe/Zurich") == date(2026, 7, 2)


def test_to_local_keeps_the_instant() -> None:
    instant = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # the DST switch night
    local = to_local(instant, "Europe/Zurich")
    assert local == instant
    assert local.hour == 3
    assert local.utcoffset() == timedelta(hours=2)


def test_to_local_refuses_naive_and_unknown_zones() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_local(datetime(2026, 1, 1), "Europe/Zurich")
    with pytest.raises(ValueError, match="Unknown time zone 'Mars/Olympus'"):
        to_local(datetime(2026, 1, 1, tzinfo=UTC), "Mars/Olympus")
