"""What a change notification says, independent of where it came from.

The webhook endpoint (a customer's automation) and the change poller (bxhours looking itself) both
turn "this changed in bexio" into the same ``change.process`` job, with the same payload and the
same dedup key, so a webhook and a poll about one contact coalesce into one re-read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

Resource = Literal[
    "contact", "project", "business_activity", "user", "timesheet", "account", "tax", "invoice"
]
Action = Literal["created", "updated", "deleted"]
RESOURCES: tuple[str, ...] = Resource.__args__  # type: ignore[attr-defined]
ACTIONS: tuple[str, ...] = Action.__args__  # type: ignore[attr-defined]
CHANGE_JOB = "change.process"
#: Resources bexio cannot read one record of (no GET by id for ``client_service``) or whose lists are
#: small: the worker re-reads them whole, so all notifications about one of them share one job.
WHOLE_RESOURCES: frozenset[str] = frozenset({"business_activity", "user", "account", "tax"})


def change_dedup_key(resource: str, record_id: int | None) -> str:
    """One pending job per entity, or per whole resource (``contact:*``).

    Resources that are re-read whole anyway get one key per resource, so a burst about many
    activities is one job too; the payload keeps its id (the format stays the same).
    """
    whole = record_id is None or resource in WHOLE_RESOURCES
    return f"{resource}:{'*' if whole else record_id}"


@dataclass(frozen=True)
class Change:
    """One changed entity (``id`` None: the whole resource) as the ``change.process`` job carries it."""

    resource: Resource
    id: int | None = None
    action: Action = "updated"

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Change:
        """Read a queued job's payload back. The endpoint validated it and the poller built it —
        still, a job is data from the database, so anything else is refused rather than guessed."""
        resource, record_id = payload.get("resource"), payload.get("id")
        action = payload.get("action", "updated")
        if resource not in RESOURCES:
            raise ValueError(f"not a change notification: unknown resource {resource!r}")
        if record_id is not None and (type(record_id) is not int or record_id <= 0):
            raise ValueError(f"not a change notification: id {record_id!r} is not a positive integer")
        if action not in ACTIONS:
            raise ValueError(f"not a change notification: unknown action {action!r}")
        return cls(cast(Resource, resource), record_id, cast(Action, action))

    @property
    def dedup_key(self) -> str:
        return change_dedup_key(self.resource, self.id)

    def payload(self) -> dict[str, Any]:
        """Exactly what the webhook endpoint queues for the same notification (``id`` None: all)."""
        return {"resource": self.resource, "id": self.id, "action": self.action}
