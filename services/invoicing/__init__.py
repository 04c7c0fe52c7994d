"""Invoicing (issue 6): billable work becomes exactly one draft invoice in bexio.

One module per concern:

* ``selection`` — what is billable and unbilled, read into ``core``'s shapes;
* ``preview`` — lines, problems and totals (money rules only from ``core``), and a fingerprint;
* ``submit`` — the one transaction that creates the invoice, reserves its items and enqueues the push;
* ``push`` — the ``invoice.push`` job: search by ``api_reference`` first, else create; record the result;
* ``drafts`` — the bexio create body (positions net with VAT added);
* ``numbering`` — bexio's automatic numbering or bxhours' own numbers, consumed only by real drafts;
* ``customers`` / ``bexio_customers`` — customers with unbilled work, customers created in bxhours,
  and their bexio contact, created at most once;
* ``accounts`` — account mapping of activities and expense categories to income accounts;
* ``read_only`` — invoiced entries and expenses cannot be changed;
* ``reporting`` — how outcomes reach people (implemented by the bot);
* ``service`` — ``InvoicingService``, the facade the entry points call.
"""

from services.invoicing.reporting import DraftOutcome, InvoiceReporter, NullReporter
from services.invoicing.selection import Selection
from services.invoicing.service import InvoicingService, Numbering
from services.invoicing.submit import (
    INVOICE_PUSH,
    Field,
    InvoiceRefused,
    InvoiceRequest,
    PreviewChanged,
    Submitted,
)

__all__ = [
    "INVOICE_PUSH",
    "DraftOutcome",
    "Field",
    "InvoiceRefused",
    "InvoiceReporter",
    "InvoiceRequest",
    "InvoicingService",
    "NullReporter",
    "Numbering",
    "PreviewChanged",
    "Selection",
    "Submitted",
]
