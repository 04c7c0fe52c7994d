from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.durations import format_duration
from core.quick_entry import (
    LOG_EXPENSE_USAGE,
    LOG_HOURS_USAGE,
    MAX_NOTE_LENGTH,
    LogExpenseInput,
    LogHoursInput,
    ParseError,
    is_future,
    parse_log_expense,
    parse_log_hours,
)

TODAY = date(2026, 11, 25)  # a Wednesday


def hours(text: str) -> LogHoursInput:
    result = parse_log_hours(text, TODAY)
    assert isinstance(result, LogHoursInput), result
    return result


def expense(text: str) -> LogExpenseInput:
    result = parse_log_expense(text, TODAY)
    assert isinstance(result, LogExpenseInput), result
    return result


def hours_error(text: str) -> str:
    result = parse_log_hours(text, TODAY)
    assert isinstance(result, ParseError), result
    return result.message


def expense_error(text: str) -> str:
    result = parse_log_expense(text, TODAY)
    assert isinstance(result, ParseError), result
    return result.message


# --- /log-hours: the examples from the issue ---------------------------------------------


def test_duration_project_activity_note() -> None:
    assert hours("2h30 Website Relaunch / Umsetzung: checkout bug") == LogHoursInput(
        minutes=150,
        billable=None,
        day=TODAY,
        project_query="Website Relaunch",
        activity_query="Umsetzung",
        note="checkout bug",
    )


def test_decimal_hours_yesterday_and_a_project_number() -> None:
    assert hours("1.5h yesterday 000042") == LogHoursInput(90, None, date(2026, 11, 24), "000042", None, "")


def test_day_month_date_and_note_without_activity() -> None:
    assert hours("45m 20.11. website: call with client") == LogHoursInput(
        45, None, date(2026, 11, 20), "website", None, "call with client"
    )


def test_non_billable_german_date_and_quoted_project() -> None:
    assert hours('2h nb heute "A / B: test" / Meeting: x') == LogHoursInput(
        120, False, TODAY, "A / B: test", "Meeting", "x"
    )


def test_note_is_kept_verbatim_including_words_like_payload() -> None:
    assert (
        hours("1h Website: send the payload; retry {json} at 14:00").note
        == "send the payload; retry {json} at 14:00"
    )


def test_note_is_decoded_from_slack_escaping() -> None:
    entry = hours("1h Website: Tom &amp; Jerry &lt;3 <@U1|anna> <https://x.example/a:b|ticket>")
    assert entry.note == "Tom & Jerry <3 @anna ticket"


def test_names_are_decoded_too() -> None:
    assert hours("1h H&amp;M Kampagne / Design").project_query == "H&M Kampagne"


# --- /log-hours: the grammar's corners ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2h 30m Website", 150),
        ("2 h Website", 120),
        ("90 min Website", 90),
        ("1:30 Website", 90),
        ("2 Website", 120),
    ],
)
def test_durations_may_span_tokens(text: str, minutes: int) -> None:
    entry = hours(text)
    assert (entry.minutes, entry.project_query) == (minutes, "Website")


def test_minutes_without_unit_after_a_space_belong_to_the_project() -> None:
    assert (hours("2h 30 Grad").minutes, hours("2h 30 Grad").project_query) == (120, "30 Grad")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1h mo X", date(2026, 11, 23)),
        ("1h mi X", TODAY),
        ("1h gestern X", date(2026, 11, 24)),
        ("1h 2026-11-02 X", date(2026, 11, 2)),
        ("1h 02.11.2026 X", date(2026, 11, 2)),
        ("1h 26.11. X", date(2025, 11, 26)),
    ],
)
def test_dates(text: str, day: date) -> None:
    assert hours(text).day == day


def test_future_dates_are_returned_for_the_service_to_decide() -> None:
    entry = hours("1h 2026-12-24 X")
    assert entry.day == date(2026, 12, 24)
    assert is_future(entry.day, TODAY)
    assert not is_future(TODAY, TODAY)


def test_nb_and_date_in_either_order() -> None:
    assert hours("2h heute nb X") == hours("2h nb heute X")
    assert hours("2h NB X").billable is False


def test_a_second_nb_is_part_of_the_project() -> None:
    assert hours("2h nb nb X").project_query == "nb X"


def test_slash_without_spaces_stays_in_the_name() -> None:
    entry = hours("2h A/B Test / Dev")
    assert (entry.project_query, entry.activity_query) == ("A/B Test", "Dev")


@pytest.mark.parametrize("quote", ['"{}"', "“{}”", "„{}“", "«{}»"])
def test_quote_styles_of_phones_and_swiss_keyboards(quote: str) -> None:
    entry = hours(f"1h {quote.format('Kunde / A: B')} / Dev: n")
    assert (entry.project_query, entry.activity_query, entry.note) == ("Kunde / A: B", "Dev", "n")


def test_quoted_activity_and_separators_without_spaces() -> None:
    entry = hours('1h "A"/"Dev: Ops":n')
    assert (entry.project_query, entry.activity_query, entry.note) == ("A", "Dev: Ops", "n")


def test_a_colon_inside_a_slack_link_in_the_name_does_not_start_the_note() -> None:
    entry = hours("2h <https://a.example/x|a: b> X: n")
    assert (entry.project_query, entry.note) == ("a: b X", "n")


def test_empty_note_after_colon() -> None:
    assert hours("2h Website:").note == ""


def test_note_of_exactly_the_limit_is_accepted() -> None:
    assert len(hours("2h W: " + "x" * MAX_NOTE_LENGTH).note) == MAX_NOTE_LENGTH


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Nothing to log"),
        ("2h", "Which project?"),
        ("2h heute", "Which project?"),
        ("2h nb", "Which project?"),
        ("2h : note", "Which project?"),
        ("2h / Dev", "Which project?"),
        ('2h "" / Dev', "Which project?"),
        ("2h Website /", "activity after “/” is missing"),
        ("2h Website / : x", "activity after “/” is missing"),
        ('2h "Website', "closing quote"),
        ('2h "A" B', "expected “/” or “:”"),
        ('2h A / "Dev" x', "expected “:”"),
        ("3h 31.02. X", "“31.02.” is not a valid date"),
        ("Website 2h", "“Website” is not a duration"),
        ("25h X", "more than 24 hours"),
        ("0h X", "at least one minute"),
        ("-1h X", "must be positive"),
        ("2h W: " + "x" * (MAX_NOTE_LENGTH + 1), "at most 1000"),
    ],
)
def test_errors_say_what_is_wrong(text: str, fragment: str) -> None:
    assert fragment in hours_error(text)


def test_missing_project_shows_the_syntax() -> None:
    assert LOG_HOURS_USAGE in hours_error("2h")


@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(text: str) -> None:
    result = parse_log_hours(text, TODAY)
    if isinstance(result, ParseError):
        assert result.message
    else:
        assert 1 <= result.minutes <= 1440
        assert result.project_query
        assert len(result.note) <= MAX_NOTE_LENGTH


line_parts = st.lists(
    st.sampled_from(
        ["2h", "1:30", "nb", "heute", "20.11.", "31.02.", '"', "“", "/", " / ", ":", "<", ">", "&amp;", "X"]
    ),
    max_size=10,
)


@given(line_parts)
def test_grammar_shaped_noise_never_raises(parts: list[str]) -> None:
    result = parse_log_hours(" ".join(parts), TODAY)
    assert isinstance(result, LogHoursInput | ParseError)


plain_names = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9 .\-]{0,20}[A-Za-z0-9]\Z")


@given(
    st.integers(min_value=1, max_value=1440),
    st.booleans(),
    plain_names,
    st.one_of(st.none(), plain_names),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="<>&"), max_size=60
    ),
)
def test_composed_lines_parse_back(
    minutes: int, non_billable: bool, project: str, activity: str | None, note: str
) -> None:
    line = format_duration(minutes) + (" nb" if non_billable else "") + f' gestern "{project}"'
    if activity is not None:
        line += f" / {activity}"
    line += f": {note}"
    entry = hours(line)
    assert entry.minutes == minutes
    assert entry.billable is (False if non_billable else None)
    assert entry.day == date(2026, 11, 24)
    assert entry.project_query == " ".join(project.split())
    assert entry.activity_query == (None if activity is None else " ".join(activity.split()))
    assert entry.note == note.strip()


# --- /log-expense ---------------------------------------------------------------------------


def test_expense_example_from_the_issue() -> None:
    assert expense("84.50 yesterday Website Relaunch / Reisekosten: train Bern–Zürich") == LogExpenseInput(
        amount=Decimal("84.50"),
        day=date(2026, 11, 24),
        project_query="Website Relaunch",
        category_query="Reisekosten",
        note="train Bern–Zürich",
    )


@pytest.mark.parametrize(
    "text", ["CHF 84.50 Web", "84.50 CHF Web", "CHF84.50 Web", "84.50CHF Web", "chf 84,50 Web", "84.5 Web"]
)
def test_chf_before_or_after_the_amount(text: str) -> None:
    entry = expense(text)
    assert (entry.amount, entry.project_query, entry.category_query) == (Decimal("84.50"), "Web", None)


def test_swiss_thousands_and_date() -> None:
    entry = expense("1'234.50 heute Web / Material")
    assert (entry.amount, entry.day, entry.category_query) == (Decimal("1234.50"), TODAY, "Material")


def test_three_letter_words_that_are_no_currency_stay_in_the_project() -> None:
    assert expense("12 SBB Reise").project_query == "SBB Reise"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("EUR 12 Web", "EUR"),
        ("12 USD Web", "USD"),
        ("eur12 Web", "EUR"),
        ("€12 Web", "EUR"),
        ("12 £ Web", "GBP"),
    ],
)
def test_other_currencies_are_refused(text: str, code: str) -> None:
    message = expense_error(text)
    assert "only chf for now" in message.lower()
    assert code in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Nothing to log"),
        ("CHF", "Which amount?"),
        ("84.50", "Which project?"),
        ("84.505 Web", "more than two decimals"),
        ("0 Web", "more than 0.00"),
        ("-5 Web", "must be positive"),
        ("abc Web", "“abc” is not an amount"),
        ("CHF EUR 12", "“EUR” is not an amount"),
        ("12 31.02. Web", "not a valid date"),
        ("12 Web /", "category after “/” is missing"),
    ],
)
def test_expense_errors(text: str, fragment: str) -> None:
    assert fragment in expense_error(text)


def test_expense_errors_show_the_expense_syntax() -> None:
    assert LOG_EXPENSE_USAGE in expense_error("84.50")


@given(st.text(max_size=80))
def test_expense_arbitrary_text_never_raises(text: str) -> None:
    result = parse_log_expense(text, TODAY)
    if isinstance(result, ParseError):
        assert result.message
    else:
        assert result.amount > 0
        assert result.project_query
