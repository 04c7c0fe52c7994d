import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.time_rounding import INCREMENTS, NO_ROUNDING, TimeRounding, parse_time_rounding


@pytest.mark.parametrize(
    ("setting", "minutes", "expected"),
    [
        ("15:up", 1, 15),
        ("15:up", 15, 15),
        ("15:up", 16, 30),
        ("15:down", 29, 15),
        ("15:down", 14, 0),
        ("15:nearest", 7, 0),
        ("15:nearest", 8, 15),
        ("6:nearest", 3, 6),  # exactly half: up
        ("6:nearest", 2, 0),
        ("6:nearest", 9, 12),
        ("30:up", 31, 60),
        ("5:down", 59, 55),
        ("1:up", 37, 37),
    ],
)
def test_apply(setting: str, minutes: int, expected: int) -> None:
    assert parse_time_rounding(setting).apply(minutes) == expected


def test_parse_is_case_and_space_tolerant() -> None:
    assert parse_time_rounding(" 15:UP ") == TimeRounding(15, "up")


@pytest.mark.parametrize("text", ["none", "off", "None"])
def test_none_means_no_rounding(text: str) -> None:
    assert parse_time_rounding(text) == NO_ROUNDING
    assert NO_ROUNDING.apply(37) == 37


@pytest.mark.parametrize(
    "text", ["15", "15:sideways", "7:up", "0:up", "-15:up", "up:15", "", "15:up:x", "١٥:up"]
)
def test_bad_settings_are_refused_with_the_syntax(text: str) -> None:
    with pytest.raises(ValueError, match="15:up, 6:nearest or 30:down"):
        parse_time_rounding(text)


def test_constructor_validates_too() -> None:
    with pytest.raises(ValueError, match="increment 7"):
        TimeRounding(7, "up")


def test_str_is_the_setting_text() -> None:
    assert str(TimeRounding(15, "up")) == "15:up"
    assert str(NO_ROUNDING) == "none"
    assert parse_time_rounding(str(TimeRounding(6, "nearest"))) == TimeRounding(6, "nearest")


@given(
    st.sampled_from(INCREMENTS),
    st.sampled_from(["up", "nearest", "down"]),
    st.integers(min_value=0, max_value=2000),
)
def test_result_is_a_multiple_within_one_step(increment: int, mode: str, minutes: int) -> None:
    rounding = parse_time_rounding(f"{increment}:{mode}")
    result = rounding.apply(minutes)
    assert result % increment == 0
    assert abs(result - minutes) < increment
    if mode == "up":
        assert result >= minutes
    if mode == "down":
        assert result <= minutes
    if mode == "nearest":
        assert abs(result - minutes) * 2 <= increment
