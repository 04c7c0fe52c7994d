"""bxhours' own invoice numbers, for companies that turned bexio's automatic numbering off.

The format is a Python format string with exactly two fields, `{year}` and `{seq}`
(`RE-{year}-{seq:04}` → `RE-2026-0042`). It is validated when the setting is saved, so a
typo is reported to the admin instead of failing the first invoice of the month.
"""

from string import Formatter

ALLOWED_FIELDS = frozenset({"year", "seq"})
DEFAULT_INVOICE_NUMBER_FORMAT = "RE-{year}-{seq:04}"


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
        if conversion or (spec and "{" in spec):
            raise refuse(f"decorates {{{name}}} in a way that is not supported")
    try:
        fmt.format(year=2026, seq=42)
    except (ValueError, TypeError) as exc:
        raise refuse(f"is malformed ({exc})") from None
    return fmt
