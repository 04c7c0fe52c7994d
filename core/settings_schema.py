"""Every tenant setting, validated in one place.

Settings are stored as key/value strings. `validate_setting` turns what an admin typed into the
canonical string to store (or a `SettingError` naming the key and what it expects); the
`parse` of each spec turns a stored string back into a typed value for the services.

Pattern keys carry a name after the colon — `activity_rate:<activity>`, `person_rate:<e-mail>`,
`activity_tax:<activity>`. Names are compared case-insensitively, so store *and* read these
keys through `normalise_setting_key` (or `activity_rate_key` & co.).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core.customers_rule import DEFAULT_CATEGORY_NAMES, parse_category_names
from core.dates import DateError, parse_iso_date
from core.errors import DomainError
from core.i18n import N_, _, normalise_language
from core.invoice_lines import Grouping
from core.money import AmountError, parse_amount
from core.numbering import DEFAULT_INVOICE_NUMBER_FORMAT, validate_invoice_number_format
from core.time_rounding import parse_time_rounding

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_TAX_CODE = re.compile(r"[A-Z]+[0-9]*", re.ASCII)
_SLACK_USER = re.compile(r"<?@?(?P<id>[UW][A-Z0-9]{2,})(?:\|[^>]*)?>?", re.ASCII)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SettingError(DomainError):
    """A setting value or key that cannot be used; the message names the key and what it expects."""


@dataclass(frozen=True, slots=True)
class SettingSpec:
    key: str
    """The key, or for pattern keys its form, e.g. `activity_rate:<name>`."""
    description: str
    default: str | None
    parse: Callable[[str], object]
    """Stored (or typed) string → typed value; raises ValueError with a message when invalid."""
    render: Callable[[Any], str] = str
    """Typed value → the canonical string that is stored."""


# --- value parsers: each raises ValueError with a sentence saying what it expects ---------


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(_("expects true or false (also yes/no, on/off, 1/0)"))


def render_bool(value: bool) -> str:
    return "true" if value else "false"


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        raw = text.strip()
        if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
            raise ValueError(_("expects a whole number of at least {minimum}", minimum=minimum))
        return int(raw)

    return parse


def parse_money_setting(text: str) -> Decimal:
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise ValueError(
            _("expects an amount in CHF like 150 or 142.50 ({problem})", problem=exc.message)
        ) from None


def parse_tax_code(text: str) -> str:
    code = text.strip().upper()
    if not _TAX_CODE.fullmatch(code):
        raise ValueError(_("expects a bexio sales tax code such as UN81 or UR26"))
    return code


_SWISS_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)


def parse_date_setting(text: str) -> date:
    """`31.12.2026` as people write dates here, or `2026-12-31`; stored as the ISO form."""
    swiss = _SWISS_DATE.fullmatch(text.strip())
    try:
        if swiss is not None:
            return date(int(swiss[3]), int(swiss[2]), int(swiss[1]))
        return parse_iso_date(text)
    except (DateError, ValueError):
        raise ValueError(_("expects a date as 31.12.2026 (or 2026-12-31)")) from None


def parse_category_setting(text: str) -> tuple[str, ...]:
    names = parse_category_names(text)
    if not names:
        raise ValueError(_("expects one or more contact group names, separated by commas"))
    return names


def parse_slack_user_ids(text: str) -> tuple[str, ...]:
    """`U1, <@U2|bob>` → ("U1", "U2"): ids typed or pasted as mentions; empty means nobody."""
    ids: dict[str, None] = {}
    for piece in re.split(r"[,\s]+", text.strip()):
        if not piece:
            continue
        m = _SLACK_USER.fullmatch(piece)
        if m is None:
            raise ValueError(
                _(
                    "expects Slack user ids like U012AB3CD, separated by commas (not {typed})",
                    typed=repr(piece),
                )
            )
        ids[m["id"]] = None
    return tuple(ids)


def parse_activity_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise ValueError(_("expects the name of a bexio business activity"))
    return name


def parse_language(text: str) -> str:
    language = normalise_language(text)
    if language is None:
        raise ValueError(_("expects one of de, fr, it, en"))
    return language


def parse_invoice_number_format(text: str) -> str:
    return validate_invoice_number_format(text.strip())


def parse_grouping(text: str) -> Grouping:
    try:
        return Grouping(text.strip().casefold())
    except ValueError:
        raise ValueError(_("expects activity, day or entry")) from None


def parse_hours_setting(text: str) -> Decimal:
    """``1``, ``1.5`` or ``0.75`` hours (more than 0, at most 24), stored as written."""
    raw = text.strip().replace(",", ".")
    try:
        hours = Decimal(raw)
    except ArithmeticError:
        hours = Decimal(-1)
    if not hours.is_finite() or not (0 < hours <= 24) or raw.startswith(("+", "-")):
        raise ValueError(_("expects hours like 1 or 1.5 (more than 0, at most 24)"))
    return hours.normalize() if hours == hours.to_integral() else hours


def parse_canton(text: str) -> str:
    from core.reminder_rules import cantons

    code = text.strip().upper()
    if code not in cantons():
        raise ValueError(_("expects a Swiss canton code such as ZH, BE or TI"))
    return code


SETTINGS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(
            "customer_category",
            N_("Names of the bexio contact group that marks customers, comma-separated, case-insensitive."),
            DEFAULT_CATEGORY_NAMES,
            parse_category_setting,
            ", ".join,
        ),
        SettingSpec(
            "default_activity",
            N_("Business activity used when /log-hours names none and the person has no previous one."),
            None,
            parse_activity_name,
        ),
        SettingSpec(
            "default_sales_tax",
            N_(
                "Sales tax code for lines without their own, e.g. UN81; its kind (UN) picks the rate of the day."
            ),
            "UN81",
            parse_tax_code,
        ),
        SettingSpec(
            "allow_future_dates",
            N_("Whether hours may be logged for days after today."),
            "false",
            parse_bool,
            render_bool,
        ),
        SettingSpec(
            "invoice_imported_hours_since",
            N_(
                "Hours imported from bexio on or after this date are offered for invoicing (unset: none are)."
            ),
            None,
            parse_date_setting,
        ),
        SettingSpec(
            "use_bexio_numbering",
            N_("Default of the invoice modal's “Use bexio invoice number” box."),
            "true",
            parse_bool,
            render_bool,
        ),
        SettingSpec(
            "invoice_number_format",
            N_("bxhours' own invoice numbers: {year} and {seq}, e.g. RE-{year}-{seq:04}."),
            DEFAULT_INVOICE_NUMBER_FORMAT,
            parse_invoice_number_format,
        ),
        SettingSpec(
            "invoice_grouping",
            N_(
                "How a new invoice groups its hours at first: “activity” (one line per project and "
                "activity), “day” (per day) or “entry” (one line per entry)."
            ),
            Grouping.BY_ACTIVITY.value,
            parse_grouping,
        ),
        SettingSpec(
            "time_rounding",
            N_("Rounding of each entry before invoicing: 15:up, 6:nearest, 30:down … (unset: none)."),
            None,
            parse_time_rounding,
        ),
        SettingSpec(
            "billing_users",
            N_("Slack user ids besides the admins who may create invoices, comma-separated."),
            "",
            parse_slack_user_ids,
            ",".join,
        ),
        SettingSpec(
            "write_back_hours",
            N_(
                "Write hours logged in bxhours to bexio as timesheets, never billable there. Advice: "
                "keep one leading system — bxhours for hours, invoices through bxhours' drafts."
            ),
            "false",
            parse_bool,
            render_bool,
        ),
        SettingSpec(
            "daily_norm_hours",
            N_(
                "Hours of a full working day for people bexio payroll does not know (payroll's "
                "hours_per_week × employment_level / 100 / 5 otherwise)."
            ),
            "8.4",
            parse_hours_setting,
            lambda hours: format(hours, "f"),
        ),
        SettingSpec(
            "language",
            N_(
                "The workspace's language (de, fr, it or en) for people who chose none and whose Slack "
                "language bxhours does not speak (unset: BXHOURS_LANGUAGE)."
            ),
            None,
            parse_language,
        ),
        SettingSpec(
            "reminders_enabled",
            N_("Whether people get a DM when they logged too few hours on a working day."),
            "true",
            parse_bool,
            render_bool,
        ),
        SettingSpec(
            "reminder_min_hours",
            N_("Hours a person must have logged on a working day before no reminder is sent."),
            "1",
            parse_hours_setting,
            lambda hours: format(hours, "f"),
        ),
        SettingSpec(
            "holidays_canton",
            N_(
                "Canton whose public holidays are days off for reminders and summaries, e.g. ZH "
                "(unset: national)."
            ),
            None,
            parse_canton,
        ),
        SettingSpec(
            "poll_contacts_seconds",
            N_("Seconds between polls of bexio contacts (at least 10)."),
            "60",
            _int_at_least(10),
        ),
        SettingSpec(
            "poll_full_minutes",
            N_("Minutes between full re-reads of bexio master data (at least 1)."),
            "15",
            _int_at_least(1),
        ),
        SettingSpec(
            "poll_timesheets_full_hours",
            N_("Hours between full re-reads of bexio timesheets (at least 1)."),
            "24",
            _int_at_least(1),
        ),
    )
}

PATTERN_SETTINGS: dict[str, SettingSpec] = {
    "activity_rate": SettingSpec(
        "activity_rate:<name>",
        N_("Hourly rate of a business activity; wins over bexio's default_price_per_hour."),
        None,
        parse_money_setting,
    ),
    "person_rate": SettingSpec(
        "person_rate:<e-mail>",
        N_("Hourly rate of a person, for projects billed per employee (bexio keeps none)."),
        None,
        parse_money_setting,
    ),
    "activity_tax": SettingSpec(
        "activity_tax:<name>",
        N_("Sales tax code for an activity's lines instead of default_sales_tax, e.g. UR26."),
        None,
        parse_tax_code,
    ),
}


def spec_for(key: str) -> SettingSpec:
    """The spec of a key, pattern keys included; SettingError for an unknown key."""
    if key in SETTINGS:
        return SETTINGS[key]
    prefix, colon, _name = key.partition(":")
    if colon and prefix in PATTERN_SETTINGS:
        return PATTERN_SETTINGS[prefix]
    known = ", ".join([*SETTINGS, *(spec.key for spec in PATTERN_SETTINGS.values())])
    raise SettingError(_("There is no setting {key}. Known settings: {known}.", key=repr(key), known=known))


def normalise_setting_key(key: str) -> str:
    """The stored form of a key: pattern names trimmed and case-folded (e-mail addresses and
    activity names are compared case-insensitively)."""
    raw = key.strip()
    spec = spec_for(raw)
    if spec.key == raw:
        return raw
    prefix, _colon, name = raw.partition(":")
    folded = " ".join(name.split()).casefold()
    if not folded:
        raise SettingError(
            _(
                "{prefix}: needs a name after the colon, e.g. {prefix}:{example}.",
                prefix=prefix,
                example=_example_name(prefix),
            )
        )
    if prefix == "person_rate" and not _EMAIL.fullmatch(folded):
        raise SettingError(_("{key}: person_rate needs the person's e-mail after the colon.", key=repr(raw)))
    return f"{prefix}:{folded}"


def activity_rate_key(activity_name: str) -> str:
    return normalise_setting_key(f"activity_rate:{activity_name}")


def person_rate_key(email: str) -> str:
    return normalise_setting_key(f"person_rate:{email}")


def activity_tax_key(activity_name: str) -> str:
    return normalise_setting_key(f"activity_tax:{activity_name}")


def validate_setting(key: str, value: str) -> str:
    """The canonical string to store for `value`, or SettingError naming the key and what it expects."""
    stored_key = normalise_setting_key(key)
    spec = spec_for(stored_key)
    try:
        return spec.render(spec.parse(value))
    except DomainError as exc:
        raise SettingError(f"{key.strip()}: {exc.message}") from None
    except ValueError as exc:
        raise SettingError(f"{key.strip()}: {exc}") from None


def default_for(key: str) -> str | None:
    """The value that applies while a setting is unset."""
    return spec_for(key.strip()).default


def _example_name(prefix: str) -> str:
    return "anna@example.ch" if prefix == "person_rate" else "Umsetzung"
