"""What a change notification says, independent of where it came from.

The webhook endpoint (a customer's automation) and the change poller (bxhours looking itself) both
turn "this changed in bexio" into the same ``change.process`` job, with the same payload and the
same dedup key, so a webhook and a poll about one contact coalesce into one re-read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Resource = Literal[
    "contact", "project", "business_activity", "user", "timesheet", "account", "tax", "invoice"
]
Action = Literal["created", "updated", "deleted"]
RESOURCES: tuple[str, ...] = Resource.__args__  # type: ignore[attr-defined]
CHANGE_JOB = "change.process"


def change_dedup_key(resource: str, record_id: int | None) -> str:
    """One pending job per entity, or per whole resource (``contact:*``)."""
    return f"{resource}:{record_id if record_id is not None else '*'}"


@dataclass(frozen=True)
class Change:
    """One changed entity (``id`` None: the whole resource) as the ``change.process`` job carries it."""

    resource: Resource
    id: int | None = None
    action: Action = "updated"

    @property
    def dedup_key(self) -> str:
        return change_dedup_key(self.resource, self.id)

    def payload(self) -> dict[str, Any]:
        """Exactly what the webhook endpoint queues for the same notification (``id`` None: all)."""
        return {"resource": self.resource, "id": self.id, "action": self.action}
