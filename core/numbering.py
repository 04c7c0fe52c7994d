"""bxhours' own invoice numbers, for companies that turned bexio's automatic numbering off.

The format is a Python format string with exactly two fields, `{year}` and `{seq}`
(`RE-{year}-{seq:04}` → `RE-2026-0042`). It is validated when the setting is saved, so a
typo is reported to the admin instead of failing the first invoice of the month.
"""

import re
from string import Formatter

ALLOWED_FIELDS = frozenset({"year", "seq"})
DEFAULT_INVOICE_NUMBER_FORMAT = "RE-{year}-{seq:04}"
MAX_NUMBER_LENGTH = 64
"""Characters an invoice number may have: what the invoices table stores (``own_number``)."""
_WIDTH = re.compile(r"0?[1-9]?\d?d?")
"""The specs a field may carry: an optional zero-padded width below 100 (``04``), nothing else."""


def format_invoice_number(fmt: str, *, year: int, seq: int) -> str:
    """The invoice number for a year and sequence number; ValueError with a message for a bad format."""
    validate_invoice_number_format(fmt)
    return fmt.format(year=year, seq=seq)


def validate_invoice_number_format(fmt: str) -> str:
    """Return the format unchanged if it is usable, else raise ValueError saying what is wrong."""

    def refuse(problem: str) -> ValueError:
        return ValueError(
            f"Invoice number format {fmt!r} {problem} — use {{year}} and {{seq}}, "
            f"e.g. {DEFAULT_INVOICE_NUMBER_FORMAT}."
        )

    try:
        fields = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(fmt) if name is not None]
    except ValueError as exc:
        raise refuse(f"is malformed ({exc})") from None
    names = {name for name, _, _ in fields}
    unknown = names - ALLOWED_FIELDS
    if unknown:
        shown = ", ".join(f"{{{name}}}" for name in sorted(unknown))
        raise refuse(f"uses {shown}; only {{year}} and {{seq}} exist")
    if "seq" not in names:
        raise refuse("has no {seq}, so every number would repeat")
    for name, spec, conversion in fields:
        if conversion or (spec and not _WIDTH.fullmatch(spec)):
            raise refuse(f"decorates {{{name}}} in a way that is not supported")
    try:
        longest = fmt.format(year=9999, seq=9_999_999)
    except (ValueError, TypeError) as exc:
        raise refuse(f"is malformed ({exc})") from None
    if len(longest) > MAX_NUMBER_LENGTH:
        raise refuse(f"makes numbers of up to {len(longest)} characters; at most {MAX_NUMBER_LENGTH} fit")
    return fmt
