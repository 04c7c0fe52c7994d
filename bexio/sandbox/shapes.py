"""How the sandbox *shows* its records: the shapes bexio recorded, or every shape it documents.

bexio's recorded answers show one shape per field, but its API description and samples show
others, and a client meets them on real accounts (shared/bexio-api.md §11): a company
profile's `postcode` is an integer, contacts' `postcode` and `nr` may be integers, a project's
`start_date` has a time of day, `positions[].pos` is an integer, empty text is `""` as often as
`null`, booleans come as `0`/`1`. A sandbox that only ever answers the recorded shape lets a
brittle reader pass every test and fail on the first real company.

With `shapes="documented"` (`bxhours sandbox --shapes documented`, or the environment variable
`BXHOURS_SANDBOX_SHAPES=documented`, which `build_state` reads so the test suite's fixtures
pick it up) every answer is passed through `present` when it is serialised. The stored state
stays canonical — handlers, searches and tests that poke `state.tables` see the usual shapes —
and the choice is deterministic: records with an odd id are shown in the documented shapes,
records with an even id as recorded, so every list mixes both and a test can tell which
shape a record will have.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final, Literal

from bexio.sandbox.json_cache import Record

Shapes = Literal["usual", "documented"]
SHAPES: Final[tuple[Shapes, ...]] = ("usual", "documented")
#: The environment variable `build_state` reads when no shapes are asked for explicitly.
SHAPES_ENV: Final = "BXHOURS_SANDBOX_SHAPES"

#: The 2.0 resources: bexio's PHP backend is where `""`/`null` and `0`/`1` mix. The 3.0
#: resources (users, taxes, currencies, bank accounts) come from a typed serialiser.
_V2_TABLES: Final = frozenset(
    {
        "contact",
        "contact_group",
        "contact_branch",
        "pr_project",
        "client_service",
        "timesheet",
        "account",
        "account_group",
        "company_profile",
        "kb_item_setting",
        "kb_invoice",
        "kb_invoice_payment",
    }
)

#: Text fields that may come as `""` where the recording has `null` (and vice versa).
_TEXT_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "contact": frozenset(
        {
            "name_2",
            "address",
            "street_name",
            "house_number",
            "address_addition",
            "postcode",
            "city",
            "mail",
            "mail_second",
            "phone_fixed",
            "phone_fixed_second",
            "phone_mobile",
            "fax",
            "url",
            "skype_name",
            "remarks",
        }
    ),
    "pr_project": frozenset({"comment"}),
    "timesheet": frozenset({"text"}),
    "kb_invoice": frozenset(
        {"title", "reference", "api_reference", "template_slug", "network_link", "header", "footer"}
    ),
    "company_profile": frozenset(
        {
            "address",
            "address_nr",
            "city",
            "mail",
            "phone_fixed",
            "phone_mobile",
            "fax",
            "url",
            "skype_name",
            "facebook_name",
            "twitter_name",
            "description",
            "ust_id_nr",
            "mwst_nr",
            "trade_register_nr",
        }
    ),
    "kb_invoice_payment": frozenset({"kb_credit_voucher_text"}),
}

#: Digit strings bexio's samples show as JSON integers.
_INTEGER_TEXT: Final[Mapping[str, tuple[str, ...]]] = {
    "contact": ("postcode", "nr"),
    "company_profile": ("postcode",),
    "bank_account": ("owner_zip", "bc_nr"),
}

#: Ids some integrations see as digit strings ("user_id": "17").
_ID_TEXT: Final[Mapping[str, tuple[str, ...]]] = {
    "timesheet": (
        "user_id",
        "status_id",
        "client_service_id",
        "contact_id",
        "sub_contact_id",
        "pr_project_id",
        "pr_package_id",
        "pr_milestone_id",
    ),
}

#: Project dates are typed date-time; the time of day shown instead of midnight.
_PROJECT_TIMES: Final = {"start_date": "08:30:00", "end_date": "17:45:00"}
_MIDNIGHT: Final = " 00:00:00"


def parse_shapes(value: str | None) -> Shapes:
    """`"usual"` / `"documented"` (any case, surrounding blanks ignored); empty or None → usual."""
    text = (value or "").strip().lower() or "usual"
    if text not in SHAPES:
        raise ValueError(f"unknown sandbox shapes {value!r}; choose one of {', '.join(SHAPES)}")
    return text


def shapes_from_env(environ: Mapping[str, str] | None = None) -> Shapes:
    """The shapes `BXHOURS_SANDBOX_SHAPES` asks for (usual when unset)."""
    return parse_shapes((os.environ if environ is None else environ).get(SHAPES_ENV))


def shows_documented(record: Record) -> bool:
    """Whether `present` shows this record in the documented shapes: odd ids do."""
    record_id = record.get("id")
    return isinstance(record_id, int) and not isinstance(record_id, bool) and record_id % 2 == 1


def _integer(value: Any) -> Any:
    """A digit string as an integer — only when nothing is lost ("8001" yes, "000001" → 1 too,
    as bexio's samples number contacts; "D-79539" and "" stay text)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


def _numeric_booleans(record: Record) -> None:
    for name, value in record.items():
        if isinstance(value, bool):
            record[name] = int(value)


def _swap_empty(record: Record, text_fields: frozenset[str]) -> None:
    for name, value in record.items():
        if value == "" and isinstance(value, str):
            record[name] = None
        elif value is None and name in text_fields:
            record[name] = ""


def _with_time(value: Any, time_of_day: str) -> Any:
    if isinstance(value, str) and value.endswith(_MIDNIGHT):
        return value[: -len(_MIDNIGHT)] + " " + time_of_day
    return value


def _invoice_positions(positions: Any) -> Any:
    if not isinstance(positions, list):
        return positions
    shown = []
    for position in positions:
        item = dict(position)
        if "pos" in item:
            item["pos"] = _integer(item["pos"])
        _numeric_booleans(item)
        shown.append(item)
    return shown


def present(table: str, record: Record) -> Record:
    """`record` as bexio may show it (documented shapes) — a new dict, the stored one untouched.

    Records `shows_documented` does not pick are returned as they are.
    """
    if not shows_documented(record):
        return record
    shown = dict(record)
    if table in _V2_TABLES:
        _swap_empty(shown, _TEXT_FIELDS.get(table, frozenset()))
        _numeric_booleans(shown)
    for name in _INTEGER_TEXT.get(table, ()):
        if name in shown:
            shown[name] = _integer(shown[name])
    for name in _ID_TEXT.get(table, ()):
        value = shown.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            shown[name] = str(value)
    if table == "pr_project":
        for name, time_of_day in _PROJECT_TIMES.items():
            if name in shown:
                shown[name] = _with_time(shown[name], time_of_day)
    if table == "kb_invoice" and "positions" in shown:
        shown["positions"] = _invoice_positions(shown["positions"])
    return shown
