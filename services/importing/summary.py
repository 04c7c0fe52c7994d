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
