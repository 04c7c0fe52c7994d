"""bexio's invoice statuses (``kb_item_status_id``) and what people read for them.

bexio documents the ids, not their wording; the labels are ours (issue 7: "RE-00042 paid ✓").
"""

from __future__ import annotations

from core.i18n import N_, _

DRAFT = 7
ISSUED = 8
PAID = 9
PARTIALLY_PAID = 16
CANCELLED = 19
UNPAID = 31

BEXIO_STATUS_LABELS: dict[int, str] = {
    DRAFT: N_("draft"),
    ISSUED: N_("issued"),
    PAID: N_("paid ✓"),
    PARTIALLY_PAID: N_("partially paid"),
    CANCELLED: N_("cancelled"),
    UNPAID: N_("overdue/unpaid"),
}

#: bxhours' own invoice statuses (``Invoice.status``) that say more than bexio's id can.
LOCAL_STATUS_LABELS: dict[str, str] = {
    "pending": N_("being created in bexio…"),
    "failed": N_("refused by bexio"),
    "deleted": N_("deleted in bexio"),
    "cancelled": N_("cancelled"),
}


def invoice_status_label(status: str, bexio_status_id: int | None) -> str:
    """The word for an invoice: bxhours' status while it is not a live draft, else bexio's."""
    if status != "created":
        label = LOCAL_STATUS_LABELS.get(status)
        return _(label) if label else status
    if bexio_status_id is None:
        return _("draft")
    label = BEXIO_STATUS_LABELS.get(bexio_status_id)
    return _(label) if label else _("status {id} in bexio", id=bexio_status_id)
