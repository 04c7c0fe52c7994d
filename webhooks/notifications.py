"""The change-notification format of ``POST /bexio/webhook`` and its validation.

bexio itself pushes nothing; notifications come from whatever the customer connects (an automation
platform, a partner hook, another system). They are only hints: the worker re-reads bexio and never
trusts data in the payload, so the format carries nothing but what changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from core.changes import CHANGE_JOB, RESOURCES, Action, Resource, change_dedup_key
from storage.jobs import Debounce

__all__ = ["CHANGE_JOB", "RESOURCES", "Batch", "Notification", "NotificationError", "parse_notifications"]

MAX_NOTIFICATIONS = 1000
CHANGE_DEBOUNCE = Debounce(quiet=1.0, max_wait=30.0)
"""A notification's re-read starts after 1 s without another one about the same entity, at most 30 s
after the first: a flood about 50 contacts makes 50 bexio reads even while the worker is running."""


class Notification(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    resource: Resource
    id: StrictInt | None = Field(default=None, gt=0, lt=2**63)
    """bexio's ids are positive 64-bit integers: anything larger can name no record."""
    action: Action = "updated"

    @property
    def dedup_key(self) -> str:
        """One pending job per entity (or per whole resource): a burst about one contact is one re-read."""
        return change_dedup_key(self.resource, self.id)


class NotificationError(ValueError):
    """The body is not a valid notification; the message says what is wrong (for the 400 answer)."""


@dataclass(frozen=True)
class Batch:
    notifications: tuple[Notification, ...]


def parse_notifications(raw: bytes) -> Batch:
    try:
        data: Any = json.loads(raw)
    except RecursionError:
        raise NotificationError("the body is nested too deeply to be a notification") from None
    except ValueError as exc:  # not JSON, not UTF-8, or a number of thousands of digits
        raise NotificationError(f"the body is not valid JSON ({exc.__class__.__name__}: {exc})") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise NotificationError("the array is empty: send at least one notification")
    if len(items) > MAX_NOTIFICATIONS:
        raise NotificationError(
            f"too many notifications in one request: {len(items)} (at most {MAX_NOTIFICATIONS})"
        )
    parsed: list[Notification] = []
    for index, item in enumerate(items):
        where = f"notification {index}" if isinstance(data, list) else "the notification"
        if not isinstance(item, dict):
            raise NotificationError(f"{where} must be a JSON object with resource, id and action")
        try:
            parsed.append(Notification.model_validate(item))
        except ValidationError as exc:
            raise NotificationError(f"{where}: {_describe(exc)}") from None
    return Batch(tuple(parsed))


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "body"
    if field == "resource":
        return f"resource must be one of {', '.join(RESOURCES)}"
    if field == "action":
        return "action must be created, updated or deleted"
    if field == "id":
        return "id must be a positive integer below 2^63 (or left out to mean the whole resource)"
    return f"{field}: {error['msg']}"
