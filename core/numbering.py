"""bxhours' own invoice numbers, for companies that turned bexio's automatic numbering off.

The format is a Python format string with exactly two fields, `{year}` and `{seq}`
(`RE-{year}-{seq:04}` → `RE-2026-0042`). It is validated when the setting is saved, so a
typo is reported to the admin instead of failing the first invoice of the month.
"""

import re
from string import Formatter

from core.i18n import N_, _

ALLOWED_FIELDS = frozenset({"year", "seq"})
DEFAULT_INVOICE_NUMBER_FORMAT = "RE-{year}-{seq:04}"
MAX_NUMBER_LENGTH = 64
"""Characters an invoice number may have: what the invoices table stores (``own_number``)."""
_WIDTH = re.compile(r"0?[1-9]?\d?d?")
"""The specs a field may carry: an optional zero-padded width below 100 (``04``), nothing else."""
_MALFORMED = N_(
    "Invoice number format {typed} is malformed ({detail}) — use {{year}} and {{seq}}, e.g. {example}."
)


def format_invoice_number(fmt: str, *, year: int, seq: int) -> str:
    """The invoice number for a year and sequence number; ValueError with a message for a bad format."""
    validate_invoice_number_format(fmt)
    return fmt.format(year=year, seq=seq)


def validate_invoice_number_format(fmt: str) -> str:
    """Return the format unchanged if it is usable, else raise ValueError saying what is wrong
    (a whole sentence per problem, in the reader's language: the settings modal shows it)."""
    said = {"typed": repr(fmt), "example": DEFAULT_INVOICE_NUMBER_FORMAT}
    try:
        fields = [
            (name, spec, conv) for _text, name, spec, conv in Formatter().parse(fmt) if name is not None
        ]
    except ValueError as exc:
        raise ValueError(_(_MALFORMED, detail=exc, **said)) from None
    names = {name for name, _spec, _conv in fields}
    unknown = names - ALLOWED_FIELDS
    if unknown:
        shown = ", ".join(f"{{{name}}}" for name in sorted(unknown))
        raise ValueError(
            _(
                "Invoice number format {typed} uses {fields}; only {{year}} and {{seq}} exist — "
                "use {{year}} and {{seq}}, e.g. {example}.",
                fields=shown,
                **said,
            )
        )
    if "seq" not in names:
        raise ValueError(
            _(
                "Invoice number format {typed} has no {{seq}}, so every number would repeat — "
                "use {{year}} and {{seq}}, e.g. {example}.",
                **said,
            )
        )
    for name, spec, conversion in fields:
        if conversion or (spec and not _WIDTH.fullmatch(spec)):
            raise ValueError(
                _(
                    "Invoice number format {typed} decorates {field} in a way that is not supported — "
                    "use {{year}} and {{seq}}, e.g. {example}.",
                    field=f"{{{name}}}",
                    **said,
                )
            )
    try:
        longest = fmt.format(year=9999, seq=9_999_999)
    except (ValueError, TypeError) as exc:
        raise ValueError(_(_MALFORMED, detail=exc, **said)) from None
    if len(longest) > MAX_NUMBER_LENGTH:
        raise ValueError(
            _(
                "Invoice number format {typed} makes numbers of up to {length} characters; at most "
                "{limit} fit — use {{year}} and {{seq}}, e.g. {example}.",
                length=len(longest),
                limit=MAX_NUMBER_LENGTH,
                **said,
            )
        )
    return fmt
