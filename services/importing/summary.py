"""What an import changed, what it is doing right now, and the `bxhours sync --json` contract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.customers_rule import RuleMode

#: Resources in the order they are imported (issue 4 §1), with the names people read.
RESOURCE_LABELS: Mapping[str, str] = {
    "users": "Users",
    "contact_groups": "Contact groups",
    "customers": "Customers",
    "projects": "Projects",
    "activities": "Business activities",
    "account_groups": "Account groups",
    "accounts": "Accounts",
    "taxes": "Sales taxes",
    "units": "Units",
    "currencies": "Currencies",
    "document_settings": "Document settings",
    "timesheets": "Historic hours",
}

#: The resources `bxhours sync --json` reports, and nothing else (issue 4 §7).
JSON_RESOURCES = ("users", "customers", "projects", "activities", "accounts", "taxes", "timesheets")


@dataclass
class ResourceChanges:
    """``total`` counts the active records of the resource after the import."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    total: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deactivated

    def to_json(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "total": self.total,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResourceChanges:
        return cls(
            int(data.get("created", 0)),
            int(data.get("updated", 0)),
            int(data.get("deactivated", 0)),
            int(data.get("total", 0)),
        )


#: One record of a resource, as people read it ("1 customer could not be read").
RESOURCE_SINGULAR: Mapping[str, tuple[str, str]] = {
    "company": ("company profile", "company profiles"),
    "users": ("user", "users"),
    "contact_groups": ("contact group", "contact groups"),
    "customers": ("customer", "customers"),
    "projects": ("project", "projects"),
    "project_states": ("project state", "project states"),
    "project_types": ("project type", "project types"),
    "activities": ("business activity", "business activities"),
    "account_groups": ("account group", "account groups"),
    "accounts": ("account", "accounts"),
    "taxes": ("tax", "taxes"),
    "units": ("unit", "units"),
    "currencies": ("currency", "currencies"),
    "document_settings": ("document setting", "document settings"),
    "timesheets": ("timesheet", "timesheets"),
}


@dataclass(frozen=True)
class SkippedRecord:
    """A bexio record the import could not read (issue 11 §2): skipped, named, never treated as gone."""

    resource: str
    """The summary's name of its resource (``customers``, ``timesheets`` …)."""
    id: int | None
    """bexio's id, None when the record had no usable one."""
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "id": self.id, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SkippedRecord:
        record_id = data.get("id")
        return cls(
            str(data.get("resource") or ""),
            record_id if isinstance(record_id, int) else None,
            str(data.get("reason") or ""),
        )


SKIPPED_SHOWN = 3
"""Unreadable records named one by one in a message; the rest are counted."""


def skipped_lines(skipped: list[SkippedRecord]) -> list[str]:
    """ "1 customer could not be read: id 17 — postcode: …", one line per resource, for people."""
    by_resource: dict[str, list[SkippedRecord]] = {}
    for record in skipped:
        by_resource.setdefault(record.resource, []).append(record)
    lines = []
    for resource, records in by_resource.items():
        one, many = RESOURCE_SINGULAR.get(resource, (resource, resource))
        shown = "; ".join(
            f"{'id ' + str(record.id) if record.id is not None else 'a record without an id'} — {record.reason}"
            for record in records[:SKIPPED_SHOWN]
        )
        more = f"; and {len(records) - SKIPPED_SHOWN} more" if len(records) > SKIPPED_SHOWN else ""
        noun = one if len(records) == 1 else many
        lines.append(f"{len(records)} {noun} could not be read: {shown}{more}")
    return lines


@dataclass(frozen=True)
class UnmatchedPerson:
    """An active bexio user no Slack account could be found for."""

    name: str
    email: str | None


@dataclass
class ImportSummary:
    company_name: str | None = None
    company_id: str | None = None
    resources: dict[str, ResourceChanges] = field(default_factory=dict)
    customer_rule: RuleMode = "no-category"
    customer_rule_reason: str = ""
    unmatched: list[UnmatchedPerson] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Things an admin should know that did not stop the import (e.g. Slack's user list was unavailable)."""
    seconds: float = 0.0
    bexio_calls: int = 0
    skipped: list[SkippedRecord] = field(default_factory=list)
    """Records bexio sent that could not be read; their local rows were left as they were."""

    @property
    def changed(self) -> int:
        return sum(changes.changed for changes in self.resources.values())

    def to_json(self) -> dict[str, Any]:
        """Exactly the object `bxhours sync --json` prints (issue 4 §7)."""
        result: dict[str, Any] = {
            name: self.resources.get(name, ResourceChanges()).to_json() for name in JSON_RESOURCES
        }
        result["customer_rule"] = self.customer_rule
        result["unmatched_users"] = [person.email for person in self.unmatched if person.email]
        result["seconds"] = round(self.seconds, 3)
        result["skipped"] = [record.to_json() for record in self.skipped]
        return result

    def to_record(self) -> dict[str, Any]:
        """Everything, for ``sync_runs.summary`` (read back by `/bx-sync status` and the App Home)."""
        return {
            "company_name": self.company_name,
            "company_id": self.company_id,
            "resources": {name: changes.to_json() for name, changes in self.resources.items()},
            "customer_rule": self.customer_rule,
            "customer_rule_reason": self.customer_rule_reason,
            "unmatched": [{"name": p.name, "email": p.email} for p in self.unmatched],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
            "bexio_calls": self.bexio_calls,
            "skipped": [record.to_json() for record in self.skipped],
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> ImportSummary:
        rule = data.get("customer_rule")
        return cls(
            company_name=data.get("company_name"),
            company_id=data.get("company_id"),
            resources={
                name: ResourceChanges.from_json(changes)
                for name, changes in (data.get("resources") or {}).items()
            },
            customer_rule=rule if rule in ("all", "tagged", "no-category") else "no-category",
            customer_rule_reason=str(data.get("customer_rule_reason") or ""),
            unmatched=[
                UnmatchedPerson(str(item.get("name") or ""), item.get("email"))
                for item in data.get("unmatched") or []
            ],
            notes=[str(note) for note in data.get("notes") or []],
            seconds=float(data.get("seconds") or 0.0),
            bexio_calls=int(data.get("bexio_calls") or 0),
            skipped=[
                SkippedRecord.from_json(item)
                for item in data.get("skipped") or []
                if isinstance(item, Mapping)
            ],
        )


@dataclass(frozen=True)
class ImportProgress:
    """A snapshot of a running import, for the progress message and the command line."""

    phase: str
    """The resource being read, as people read it ("Customers")."""
    step: int
    steps: int
    read: Mapping[str, int]
    """Records read from bexio so far, per resource, in import order."""
    elapsed: float

    @property
    def records_read(self) -> int:
        return sum(self.read.values())
