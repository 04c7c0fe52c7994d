"""bexio's invoice statuses (``kb_item_status_id``) and what people read for them.

bexio documents the ids, not their wording; the labels are ours (issue 7: "RE-00042 paid ✓").
"""

from __future__ import annotations

DRAFT = 7
ISSUED = 8
PAID = 9
PARTIALLY_PAID = 16
CANCELLED = 19
UNPAID = 31

BEXIO_STATUS_LABELS: dict[int, str] = {
    DRAFT: "draft",
    ISSUED: "issued",
    PAID: "paid ✓",
    PARTIALLY_PAID: "partially paid",
    CANCELLED: "cancelled",
    UNPAID: "overdue/unpaid",
}

#: bxhours' own invoice statuses (``Invoice.status``) that say more than bexio's id can.
LOCAL_STATUS_LABELS: dict[str, str] = {
    "pending": "being created in bexio…",
    "failed": "refused by bexio",
    "deleted": "deleted in bexio",
    "cancelled": "cancelled",
}


def invoice_status_label(status: str, bexio_status_id: int | None) -> str:
    """The word for an invoice: bxhours' status while it is not a live draft, else bexio's."""
    if status != "created":
        return LOCAL_STATUS_LABELS.get(status, status)
    if bexio_status_id is None:
        return "draft"
    return BEXIO_STATUS_LABELS.get(bexio_status_id, f"status {bexio_status_id} in bexio")
