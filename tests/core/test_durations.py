from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.durations import MAX_MINUTES, DurationError, format_duration, hours_decimal, parse_duration

valid_minutes = st.integers(min_value=1, max_value=MAX_MINUTES)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2h", 120),
        ("2h30", 150),
        ("2h30m", 150),
        ("2h05", 125),
        ("2h5", 125),
        ("2.5h", 150),
        ("2,5h", 150),
        ("90m", 90),
        ("1:30", 90),
        ("0:45", 45),
        ("2", 120),
        ("1.5", 90),
        ("2H30M", 150),
        ("2h 30m", 150),
        ("2 h", 120),
        ("90 min", 90),
        ("1 Std", 60),
        ("  45m ", 45),
        ("24h", 1440),
        ("24:00", 1440),
        ("1.333h", 80),  # 79.98 minutes
        ("0.0084h", 1),  # 0.504 minutes round half-up to 1
        ("1.0125h", 61),  # 60.75
        ("0.025h", 2),  # exactly 1.5 minutes: half-up, not to even
        ("0.075h", 5),  # exactly 4.5 minutes
    ],
)
def test_accepted_forms(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0", "at least one minute"),
        ("0h", "at least one minute"),
        ("0:00", "at least one minute"),
        ("0.008h", "at least one minute"),
        ("-2h", "must be positive"),
        ("25h", "more than 24 hours"),
        ("24:01", "more than 24 hours"),
        ("1441m", "more than 24 hours"),
        ("9" * 5000 + "m", "more than 24 hours"),
        ("99999999999999999999999999999999999h", "more than 24 hours"),
        ("2h90", "below 60"),
        ("2.5h30", "either decimal hours"),
        ("1:5", "not a duration"),
        ("2h 30", "not a duration"),  # the 30 would belong to the project name
        ("1.5m", "not a duration"),
        ("1e5", "not a duration"),
        ("abc", "not a duration"),
        ("", "not a duration"),
        ("٣h", "not a duration"),
    ],
)
def test_refused_with_a_clear_message(text: str, fragment: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert fragment in caught.value.message


def test_long_input_is_shortened_in_the_message() -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration("x" * 500)
    assert len(caught.value.message) < 120


def test_format_duration() -> None:
    assert format_duration(150) == "2:30"
    assert format_duration(5) == "0:05"
    assert format_duration(0) == "0:00"
    assert format_duration(1440) == "24:00"
    assert format_duration(3005) == "50:05"
    assert format_duration(-5) == "-0:05"


@pytest.mark.parametrize(
    ("minutes", "hours"), [(150, "2.50"), (125, "2.08"), (1, "0.02"), (20, "0.33"), (50, "0.83"), (0, "0.00")]
)
def test_hours_decimal_two_places_half_up(minutes: int, hours: str) -> None:
    assert hours_decimal(minutes) == Decimal(hours)
    assert str(hours_decimal(minutes)) == hours


@given(valid_minutes)
def test_every_accepted_form_round_trips(minutes: int) -> None:
    hours, rest = divmod(minutes, 60)
    forms = [format_duration(minutes), f"{minutes}m", f"{minutes} min", f"{hours}h{rest}m"]
    forms.append(f"{hours}h{rest:02d}")
    if rest == 0:
        forms += [f"{hours}h", f"{hours}", f"{hours} h"]
    else:
        forms.append(f"{hours}h {rest}m")
    exact_hours = Decimal(minutes) / 60
    if exact_hours == exact_hours.quantize(Decimal("0.0001")):  # finite decimal: 1.5, 0.25, 2.05 …
        forms += [f"{exact_hours.normalize():f}h", f"{exact_hours.normalize():f}".replace(".", ",") + "h"]
    for form in forms:
        assert parse_duration(form) == minutes, form


def test_format_then_parse_for_every_minute_of_a_day() -> None:
    for minutes in range(1, MAX_MINUTES + 1):
        assert parse_duration(format_duration(minutes)) == minutes
        assert parse_duration(f"{minutes}m") == minutes
        assert parse_duration(f"{minutes // 60}h{minutes % 60:02d}") == minutes


@given(valid_minutes)
def test_decimal_hours_round_to_the_nearest_minute(minutes: int) -> None:
    assert parse_duration(f"{hours_decimal(minutes)}h") in range(minutes - 1, minutes + 2)


@given(st.text(max_size=30))
def test_arbitrary_text_raises_only_duration_error(text: str) -> None:
    try:
        minutes = parse_duration(text)
    except DurationError as exc:
        error = exc
    else:
        assert 1 <= minutes <= MAX_MINUTES
        return
    assert error.message


@given(st.from_regex(r"\A-?[0-9]{0,6}([.,:][0-9]{0,4})?\s?(h|m|min|std)?([0-9]{0,3})?(m)?\Z", fullmatch=True))
def test_near_miss_inputs_raise_only_duration_error(text: str) -> None:
    try:
        minutes = parse_duration(text)
    except DurationError as exc:
        error = exc
    else:
        assert 1 <= minutes <= MAX_MINUTES
        return
    assert error.message
