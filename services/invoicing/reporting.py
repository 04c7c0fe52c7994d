"""How the outcome of a push reaches people, without the service knowing about Slack.

The bot implements `InvoiceReporter` (the modal switches to "✓ Draft … created", the person gets
a DM with the totals); the command line prints the same `DraftOutcome` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.invoice_totals import VatLine


@dataclass(frozen=True, slots=True)
class ReportFile:
    """A file to hand to people with the outcome: the draft's timesheet report (PDF)."""

    filename: str
    title: str
    content: bytes


@dataclass(frozen=True, slots=True)
class LineSummary:
    text: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    account_no: str | None
    tax_code: str | None
    kind: str


@dataclass(frozen=True)
class DraftOutcome:
    invoice_id: int
    uuid: str
    customer: str
    title: str
    created: bool
    """True: the draft exists in bexio. False: bexio refused it for good (see ``errors``)."""
    bexio_id: int | None
    document_nr: str | None
    url: str | None
    currency: str
    total_net: Decimal
    total_vat: Decimal
    vat: tuple[VatLine, ...]
    rounding: Decimal
    total: Decimal
    """The preview's grand total."""
    bexio_total: Decimal | None
    lines: tuple[LineSummary, ...]
    errors: tuple[str, ...] = ()
    """bexio's own error messages, verbatim, when it refused the draft."""
    hint: str | None = None
    """What to fix before invoicing again."""
    report: ReportFile | None = None
    """The timesheet report of a created draft, when the push made one for the people it tells."""

    @property
    def difference(self) -> Decimal | None:
        """bexio's total minus the preview's, when bexio computed something else (never hidden)."""
        if self.bexio_total is None or self.bexio_total == self.total:
            return None
        return self.bexio_total - self.total


class InvoiceReporter(Protocol):
    async def finished(
        self, tenant_id: int, outcome: DraftOutcome, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        """The draft was created, or definitely refused."""

    async def waiting(
        self, tenant_id: int, invoice_id: int, reason: str, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        """bexio did not answer for sure; the push is retried later (``reason`` is for people)."""


class NullReporter:
    """For the command line, which reports the outcome itself."""

    async def finished(
        self, tenant_id: int, outcome: DraftOutcome, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        return None

    async def waiting(
        self, tenant_id: int, invoice_id: int, reason: str, *, slack_user_id: str | None, view_id: str | None
    ) -> None:
        return None
