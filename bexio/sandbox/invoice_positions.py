"""Invoice positions: one form per position type, bexio's nested 422 messages, and the
stored shape of each type.

bexio numbers position ids per type (a text and a custom position may both have id 1),
counts `pos` over the numbered types only, and accepts on a line only an active *sales* tax
and an active *income* account (`account_type` 1) — anything else is refused as
`positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]`.

A position's `text` is refused above `MAX_POSITION_TEXT` (1000) characters, as sent (escaped
HTML counts in full): bexio documents no limit — UNCONFIRMED; the sandbox enforces the limit
bxhours keeps (issue 15 §2), so a text that grows past it fails here rather than in a customer's
account. `unit_id` must name a unit of the account's units list; the stored position answers
its `unit_name`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from bexio.sandbox.errors import INVALID, REQUIRED, ApiError
from bexio.sandbox.forms import Field, RefCheck, check_form, format_decimal
from bexio.sandbox.invoice_math import Discount, Line, position_total
from bexio.sandbox.json_cache import Record
from bexio.sandbox.state import SandboxState

MAX_POSITION_TEXT: Final = 1000
"""UNCONFIRMED in bexio (see the module docstring)."""

_ITEM_FIELDS: Final = (
    Field("type", "str", required=True, nullable=False),
    Field("amount", "decimal", required=True, nullable=False),
    Field("unit_id", "int", ref="unit"),
    Field("account_id", "int", ref="income_account"),
    Field("tax_id", "int", required=True, nullable=False, ref="sales_tax"),
    Field("text", "str", max_length=MAX_POSITION_TEXT),
    Field("unit_price", "decimal", required=True, nullable=False),
    Field("discount_in_percent", "decimal"),
    Field("is_optional", "bool"),
)
POSITION_FIELDS: Final[dict[str, tuple[Field, ...]]] = {
    "KbPositionCustom": _ITEM_FIELDS,
    "KbPositionArticle": (*_ITEM_FIELDS, Field("article_id", "int", required=True, nullable=False)),
    "KbPositionText": (
        Field("type", "str", required=True, nullable=False),
        Field("text", "str", required=True, nullable=False, max_length=MAX_POSITION_TEXT),
        Field("show_pos_nr", "bool"),
    ),
    "KbPositionSubtotal": (Field("type", "str", required=True, nullable=False), Field("text", "str")),
    "KbPositionDiscount": (
        Field("type", "str", required=True, nullable=False),
        Field("text", "str"),
        Field("is_percentual", "bool", required=True, nullable=False),
        Field("value", "decimal", required=True, nullable=False),
    ),
    "KbPositionPagebreak": (Field("type", "str", required=True, nullable=False), Field("pagebreak", "bool")),
    "KbPositionSubposition": (
        Field("type", "str", required=True, nullable=False),
        Field("text", "str", required=True, nullable=False),
        Field("show_pos_nr", "bool"),
    ),
}
POSITION_READ_ONLY: Final = (
    "id",
    "pos",
    "internal_pos",
    "position_total",
    "unit_name",
    "tax_value",
    "amount_reserved",
    "amount_open",
    "amount_completed",
    "parent_id",
    "discount_total",
)


@dataclass
class BuiltPositions:
    stored: list[Record] = field(default_factory=list)
    #: What the create answer echoes per position instead of the stored precision.
    echoes: list[dict[str, Any]] = field(default_factory=list)


def _position_ref_exists(state: SandboxState) -> RefCheck:
    def exists(table: str, rid: int) -> bool:
        if table == "income_account":
            account = state.tables["account"].get(rid)
            # Invoice lines may only be booked to active income accounts (account_type 1).
            return account is not None and account.get("account_type") == 1 and bool(account.get("is_active"))
        if table == "sales_tax":
            tax = state.tables["tax"].get(rid)
            return tax is not None and tax.get("type") == "sales_tax" and bool(tax.get("is_active"))
        return state.exists(table, rid)

    return exists


def _nest(index: int, message: str) -> str:
    name, sep, text = message.partition(": ")
    if sep and name != "global" and " " not in name:
        return f"positions: {index} [{name} [{text}]]"
    return f"positions: {index} [{text if name == 'global' and sep else message}]"


def next_position_id(state: SandboxState, kind: str) -> int:
    state.position_ids[kind] = state.position_ids.get(kind, 0) + 1
    return state.position_ids[kind]


def _echo(raw: object, default: str) -> str:
    return default if raw is None else str(raw)


Parsed = list[tuple[str, dict[str, Any], dict[str, Any]]]


def check_positions(state: SandboxState, raw_positions: list[Any]) -> tuple[Parsed, list[str]]:
    """Each position against its type's form → (parsed positions, bexio's nested errors)."""
    errors: list[str] = []
    parsed: Parsed = []
    ref_exists = _position_ref_exists(state)
    for index, raw in enumerate(raw_positions):
        if not isinstance(raw, dict):
            errors.append(f"positions: {index} [{INVALID}]")
            continue
        kind = raw.get("type")
        if kind is None:
            errors.append(f"positions: {index} [type [{REQUIRED}]]")
            continue
        if kind not in POSITION_FIELDS:
            errors.append(f"positions: {index} [type [{INVALID}]]")
            continue
        try:
            clean = check_form(
                raw, POSITION_FIELDS[kind], read_only=POSITION_READ_ONLY, creating=True, ref_exists=ref_exists
            )
        except ApiError as exc:
            errors.extend(_nest(index, message) for message in exc.errors or [])
            continue
        parsed.append((kind, clean, raw))
    return parsed, errors


def build_positions(state: SandboxState, parsed: Parsed) -> BuiltPositions:
    """Stored positions (ids per type, GET precision) and what the create answer echoes."""
    built = BuiltPositions()
    running = Decimal(0)
    pos_number = 0
    for internal_pos, (kind, clean, raw) in enumerate(parsed, start=1):
        record: Record = {"id": next_position_id(state, kind), "type": kind}
        echo: dict[str, Any] = {}
        numbered = kind in (
            "KbPositionCustom",
            "KbPositionArticle",
            "KbPositionText",
            "KbPositionSubposition",
        )
        if numbered:
            pos_number += 1
        if kind in ("KbPositionCustom", "KbPositionArticle"):
            amount, price = clean["amount"], clean["unit_price"]
            discount = clean.get("discount_in_percent") or Decimal(0)
            total = position_total(amount, price, discount)
            running += total
            tax = state.tables["tax"][clean["tax_id"]]
            unit = state.tables["unit"].get(clean.get("unit_id") or 0)
            rate = Decimal(str(tax["value"]))
            record.update(
                amount=format_decimal(amount, 6),
                amount_reserved="0.000000",
                amount_open="0.000000",
                amount_completed="0.000000",
                unit_id=clean.get("unit_id"),
                account_id=clean.get("account_id"),
                unit_name=unit["name"] if unit else None,
                tax_id=clean["tax_id"],
                tax_value=format_decimal(rate, 2),
                text=clean.get("text") or "",
                unit_price=format_decimal(price, 6),
                discount_in_percent=format_decimal(discount, 4),
                position_total=format_decimal(total, 6),
            )
            if kind == "KbPositionArticle":
                record["article_id"] = clean["article_id"]
            echo = {
                "amount": _echo(raw.get("amount"), "0"),
                "unit_price": _echo(raw.get("unit_price"), "0"),
                "discount_in_percent": _echo(raw.get("discount_in_percent"), "0"),
            }
        elif kind in ("KbPositionText", "KbPositionSubposition"):
            record.update(text=clean["text"], show_pos_nr=clean.get("show_pos_nr", True))
        elif kind == "KbPositionSubtotal":
            record.update(text=clean.get("text") or "", value=format_decimal(running, 6))
        elif kind == "KbPositionDiscount":
            record.update(
                text=clean.get("text") or "",
                is_percentual=clean["is_percentual"],
                value=format_decimal(clean["value"], 6),
                discount_total=format_decimal(
                    running * clean["value"] / 100 if clean["is_percentual"] else clean["value"], 6
                ),
            )
        else:  # KbPositionPagebreak
            record["pagebreak"] = clean.get("pagebreak", True)
        if numbered:
            record["pos"] = str(pos_number)
        record.update(internal_pos=internal_pos, parent_id=None, is_optional=clean.get("is_optional", False))
        built.stored.append(record)
        built.echoes.append(echo)
    return built


def position_lines(positions: list[Record]) -> tuple[list[Line], list[Discount]]:
    lines: list[Line] = []
    discounts: list[Discount] = []
    for position in positions:
        if position["type"] in ("KbPositionCustom", "KbPositionArticle"):
            rate = Decimal(position["tax_value"]) if position.get("tax_value") is not None else None
            lines.append(Line(Decimal(position["position_total"]), rate))
        elif position["type"] == "KbPositionDiscount":
            discounts.append(Discount(bool(position["is_percentual"]), Decimal(position["value"])))
    return lines, discounts
