"""What an import changed, what it is doing right now, and the `bxhours sync --json` contract."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bexio.reading import Problem
from core.customers_rule import RuleMode
from core.i18n import N_, _, ngettext

#: Resources in the order they are imported (issue 4 §1), with the names people read.
RESOURCE_LABELS: Mapping[str, str] = {
    "users": N_("Users"),
    "contact_groups": N_("Contact groups"),
    "customers": N_("Customers"),
    "projects": N_("Projects"),
    "activities": N_("Business activities"),
    "account_groups": N_("Account groups"),
    "accounts": N_("Accounts"),
    "taxes": N_("Sales taxes"),
    "units": N_("Units"),
    "currencies": N_("Currencies"),
    "languages": N_("Languages"),
    "document_settings": N_("Document settings"),
    "timesheets": N_("Historic hours"),
}

#: Each resource as named in the middle of a sentence ("… while reading customers").
RESOURCE_READING: Mapping[str, str] = {
    "company": N_("the company profile"),
    "users": N_("users"),
    "contact_groups": N_("contact groups"),
    "customers": N_("customers"),
    "projects": N_("projects"),
    "activities": N_("business activities"),
    "account_groups": N_("account groups"),
    "accounts": N_("accounts"),
    "taxes": N_("sales taxes"),
    "units": N_("units"),
    "currencies": N_("currencies"),
    "languages": N_("languages"),
    "document_settings": N_("document settings"),
    "timesheets": N_("historic hours"),
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


def _could_not_be_read(resource: str, n: int, records: str) -> str:
    """ "1 customer could not be read: …", in the person's language (one sentence per resource, so
    every language can decline the noun and agree the verb)."""
    sentences: Mapping[str, Callable[[int], str]] = {
        "company": lambda n: ngettext(
            "{n} company profile could not be read: {records}",
            "{n} company profiles could not be read: {records}",
            n,
            records=records,
        ),
        "users": lambda n: ngettext(
            "{n} user could not be read: {records}",
            "{n} users could not be read: {records}",
            n,
            records=records,
        ),
        "contact_groups": lambda n: ngettext(
            "{n} contact group could not be read: {records}",
            "{n} contact groups could not be read: {records}",
            n,
            records=records,
        ),
        "customers": lambda n: ngettext(
            "{n} customer could not be read: {records}",
            "{n} customers could not be read: {records}",
            n,
            records=records,
        ),
        "projects": lambda n: ngettext(
            "{n} project could not be read: {records}",
            "{n} projects could not be read: {records}",
            n,
            records=records,
        ),
        "project_states": lambda n: ngettext(
            "{n} project state could not be read: {records}",
            "{n} project states could not be read: {records}",
            n,
            records=records,
        ),
        "project_types": lambda n: ngettext(
            "{n} project type could not be read: {records}",
            "{n} project types could not be read: {records}",
            n,
            records=records,
        ),
        "activities": lambda n: ngettext(
            "{n} business activity could not be read: {records}",
            "{n} business activities could not be read: {records}",
            n,
            records=records,
        ),
        "account_groups": lambda n: ngettext(
            "{n} account group could not be read: {records}",
            "{n} account groups could not be read: {records}",
            n,
            records=records,
        ),
        "accounts": lambda n: ngettext(
            "{n} account could not be read: {records}",
            "{n} accounts could not be read: {records}",
            n,
            records=records,
        ),
        "taxes": lambda n: ngettext(
            "{n} tax could not be read: {records}",
            "{n} taxes could not be read: {records}",
            n,
            records=records,
        ),
        "units": lambda n: ngettext(
            "{n} unit could not be read: {records}",
            "{n} units could not be read: {records}",
            n,
            records=records,
        ),
        "currencies": lambda n: ngettext(
            "{n} currency could not be read: {records}",
            "{n} currencies could not be read: {records}",
            n,
            records=records,
        ),
        "languages": lambda n: ngettext(
            "{n} language could not be read: {records}",
            "{n} languages could not be read: {records}",
            n,
            records=records,
        ),
        "document_settings": lambda n: ngettext(
            "{n} document setting could not be read: {records}",
            "{n} document settings could not be read: {records}",
            n,
            records=records,
        ),
        "timesheets": lambda n: ngettext(
            "{n} timesheet could not be read: {records}",
            "{n} timesheets could not be read: {records}",
            n,
            records=records,
        ),
    }
    sentence = sentences.get(resource)
    if sentence is None:
        return _("{n} {resource} could not be read: {records}", n=n, resource=resource, records=records)
    return sentence(n)


@dataclass(frozen=True)
class SkippedRecord:
    """A bexio record the import could not read (issue 11 §2): skipped, named, never treated as gone."""

    resource: str
    """The summary's name of its resource (``customers``, ``timesheets`` …)."""
    id: int | None
    """bexio's id, None when the record had no usable one."""
    reason: str
    """In English: the log, the command line and `bxhours sync --json`."""
    problem: Problem | None = field(default=None, compare=False)
    """The reason in parts, told to people in their language (``reason`` when there is none);
    the same record whether or not its parts are known."""

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "id": self.id, "reason": self.reason}

    def to_record(self) -> dict[str, Any]:
        found = self.to_json()
        if self.problem is not None:
            found["problem"] = self.problem.to_json()
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SkippedRecord:
        record_id = data.get("id")
        return cls(
            str(data.get("resource") or ""),
            record_id if isinstance(record_id, int) else None,
            str(data.get("reason") or ""),
            Problem.from_json(data.get("problem")),
        )

    @property
    def said(self) -> str:
        """Why it could not be read, in the current language when its parts are known."""
        return self.reason if self.problem is None else problem_text(self.problem)


_PROBLEMS: Mapping[str, str] = {
    "missing": N_("{field}: missing"),
    "integer": N_("{field}: not a whole number"),
    "number": N_("{field}: not a number"),
    "text": N_("{field}: not text"),
    "boolean": N_("{field}: not true or false"),
    "date": N_("{field}: not a date"),
    "range": N_("{field}: out of range"),
    "length": N_("{field}: wrong length"),
    "shape": N_("{field}: not in the expected form"),
    "value": N_("{field}: a value bxhours cannot read"),
}


def problem_text(problem: Problem) -> str:
    """ "postcode: not a whole number (got 'abc')", in the current language; the field keeps
    bexio's name (it is what an admin finds in bexio's API and support answers)."""
    said = _(_PROBLEMS[problem.kind], field=problem.field or _("the record"))
    if problem.value is not None:
        said = _("{problem} (got {value})", problem=said, value=problem.value)
    if problem.more:
        said = ngettext(
            "{problem}; {n} more problem", "{problem}; {n} more problems", problem.more, problem=said
        )
    return said


SKIPPED_SHOWN = 3
"""Unreadable records named one by one in a message; the rest are counted."""


def skipped_lines(skipped: list[SkippedRecord]) -> list[str]:
    """ "1 customer could not be read: id 17 — postcode: …", one line per resource, for people."""
    by_resource: dict[str, list[SkippedRecord]] = {}
    for record in skipped:
        by_resource.setdefault(record.resource, []).append(record)
    lines = []
    for resource, records in by_resource.items():
        shown = "; ".join(
            _("id {id} — {reason}", id=record.id, reason=record.said)
            if record.id is not None
            else _("a record without an id — {reason}", reason=record.said)
            for record in records[:SKIPPED_SHOWN]
        )
        if len(records) > SKIPPED_SHOWN:
            shown = _("{records}; and {count} more", records=shown, count=len(records) - SKIPPED_SHOWN)
        lines.append(_could_not_be_read(resource, len(records), shown))
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
            "skipped": [record.to_record() for record in self.skipped],
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
