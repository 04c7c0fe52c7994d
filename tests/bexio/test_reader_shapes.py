"""The shape contract (issue 11 §6): every reader bxhours parses bexio with takes every shape bexio
documents, and reads the same values from each.

Readers are discovered, not listed: every ``BexioModel`` subclass, and every model or TypedDict
that a module of bxhours reads bexio with through a ``TypeAdapter`` or ``PageReader``. Each must
have samples in ``SAMPLES`` — recorded real answers from ``../shared/bexio-recorded`` where there
are any, bexio's documented samples where there are none (timesheets, payroll) — so a new reader
without a test fails the suite. From every sample record the test generates variants (int ↔
digit string, null ↔ "", each optional field left out, booleans as 0/1, "1"/"0", "true"/"false",
dates with a time of day) and asserts each reads the values the sample reads. Fields bxhours does
not use (``bexio.fields.Unused``) are not compared: they are not validated at all.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from typing_extensions import is_typeddict

from bexio import models
from bexio.fields import as_flag, as_text
from bexio.reading import PageReader
from services.changes.poller import _STAMPED, _STAMPED_INVOICES
from services.importing import timesheets as timesheet_import
from tests.bexio.recorded import RECORDED

PACKAGES = ("bexio", "services", "bot", "bxhours", "webhooks", "storage", "core")
NOT_READERS = ("bexio.payloads", "bexio.sandbox")
"""Write models and the sandbox's own parsing: they do not read bexio's answers."""


def _project_modules() -> Iterator[Any]:
    for package in PACKAGES:
        root = importlib.import_module(package)
        yield root
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if info.name.startswith(NOT_READERS) or ".__main__" in info.name or ".migrations" in info.name:
                continue
            yield importlib.import_module(info.name)


def _read_types(annotation: Any) -> Iterator[Any]:
    """The models and TypedDicts inside an adapter's type (``list[X]``, ``_Envelope[X]`` …)."""
    if isinstance(annotation, type) and (is_typeddict(annotation) or issubclass(annotation, BaseModel)):
        metadata = getattr(annotation, "__pydantic_generic_metadata__", None) or {}
        if metadata.get("args"):
            for arg in metadata["args"]:
                yield from _read_types(arg)
            return
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _read_types(arg)


def discover_readers() -> set[Any]:
    found: set[Any] = set()
    pending = list(models.BexioModel.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    for module in _project_modules():
        for value in vars(module).values():
            if isinstance(value, PageReader):
                found.update(_read_types(value.item))
            elif isinstance(value, TypeAdapter):
                found.update(_read_types(value._type))
    return {reader for reader in found if not reader.__module__.startswith(NOT_READERS)}


# --- samples ----------------------------------------------------------------------------------------

Record = dict[str, Any]


def recorded(name: str) -> list[Record]:
    data = json.loads(json.loads((RECORDED / name).read_text(encoding="utf-8"))["data"])
    return data if isinstance(data, list) else [data]


# bexio's documented timesheet answer (bexio-api.md §3.6, from bexio's API description): no recording.
TIMESHEET_SAMPLE: Record = {
    "id": 2,
    "user_id": 1,
    "status_id": 4,
    "client_service_id": 1,
    "text": "",
    "allowable_bill": True,
    "charge": None,
    "contact_id": 2,
    "sub_contact_id": None,
    "pr_project_id": None,
    "pr_package_id": None,
    "pr_milestone_id": None,
    "travel_time": None,
    "travel_charge": None,
    "travel_distance": 0,
    "estimated_time": "02:30",
    "date": "2019-05-20",
    "duration": "01:40",
    "running": False,
    "tracking": {"type": "duration", "date": "2019-05-20", "duration": "01:40"},
}
EMPLOYEE_SAMPLE: Record = {
    "id": "0d0f2d5c-8ae5-4a2f-9a39-7f4a2e7f1b7e",
    "first_name": "Andrea",
    "last_name": "Keller",
    "date_of_birth": "1985-03-14",
    "gender": "female",
    "language": "de",
    "email": "andrea.keller@example.ch",
    "hours_per_week": 42,
    "employment_level": 80,
    "annual_vacation_days_total": 25,
    "address": {"street_name": "Bahnhofstrasse", "house_number": "12", "zip_code": "8001", "city": "Zürich"},
}
ABSENCE_SAMPLE: Record = {
    "id": "8b1c6d0e-3e0e-4a37-9d0f-1d6f0f0b5c11",
    "reason": "Vacation",
    "start_date": "2026-12-21",
    "end_date": "2026-12-23",
    "half_day": False,
    "continued_pay": 100,
    "disability": None,
    "paid_hours": "8.4",
}


@dataclass(frozen=True)
class Samples:
    records: Callable[[], list[Record]]
    expect: dict[str, Any] | None = None
    """Values the first record must read (beyond "every variant reads alike")."""


def _invoice_positions(kind: str) -> Callable[[], list[Record]]:
    def positions() -> list[Record]:
        invoice = recorded("Invoices/fetch-an-invoice.json")[0]
        return [position for position in invoice["positions"] if position["type"] == kind]

    return positions


def _with_type(sample: Record) -> Callable[[], list[Record]]:
    return lambda: [sample]


SAMPLES: dict[Any, Samples] = {
    models.User: Samples(
        lambda: recorded("Users/fetch-a-list-of-users.json"), {"id": 1, "is_superadmin": True}
    ),
    models.UserInfo: Samples(
        lambda: recorded("OpenID/fetch-user-info.json"), {"company_name": "Mustermann AG"}
    ),
    models.Contact: Samples(lambda: recorded("Contacts/fetch-a-list-of-contacts.json"), {"postcode": "8640"}),
    models.ContactGroup: Samples(lambda: recorded("ContactGroups/fetch-a-list-of-contact-groups.json")),
    models.ContactSector: Samples(lambda: [{"id": 1, "name": "Photography"}]),
    # The recorded project list is empty: bexio's documented project (bexio-api.md §3.4) stands in.
    models.Project: Samples(
        lambda: [
            *recorded("Projects/fetch-a-list-of-projects.json"),
            {
                "id": 2,
                "uuid": "474cc93a-2d6f-47e9-bd3f-a5b5a1941314",
                "nr": "000002",
                "name": "Villa Kunterbunt",
                "start_date": "2019-07-12 00:00:00",
                "end_date": None,
                "comment": "",
                "pr_state_id": 2,
                "pr_project_type_id": 2,
                "contact_id": 2,
                "contact_sub_id": None,
                "pr_invoice_type_id": 3,
                "pr_invoice_type_amount": "230.00",
                "pr_budget_type_id": 1,
                "pr_budget_type_amount": "200.00",
                "user_id": 1,
            },
        ],
        {"nr": "000002"},
    ),
    models.ProjectState: Samples(lambda: [{"id": 1, "name": "Active"}], {"name": "Active"}),
    models.ProjectType: Samples(lambda: [{"id": 1, "name": "Internal Project"}]),
    models.BusinessActivity: Samples(
        lambda: recorded("BusinessActivities/fetch-a-list-of-business-activities.json"),
        {"name": "Administration"},
    ),
    models.TimesheetStatus: Samples(lambda: [{"id": 2, "name": "In Progress"}]),
    models.DurationTracking: Samples(_with_type(TIMESHEET_SAMPLE["tracking"]), {"duration": 100}),
    models.RangeTracking: Samples(
        lambda: [{"type": "range", "start": "2019-05-20 14:22:48", "end": "2019-05-20 16:13:25"}]
    ),
    models.StopwatchTracking: Samples(lambda: [{"type": "stopwatch", "duration": "1:15"}], {"duration": 75}),
    models.Timesheet: Samples(lambda: [TIMESHEET_SAMPLE], {"duration": 100, "allowable_bill": True}),
    models.Account: Samples(lambda: recorded("Accounts/fetch-a-list-of-accounts.json")),
    models.AccountGroup: Samples(lambda: recorded("AccountGroups/fetch-a-list-of-account-groups.json")),
    models.Tax: Samples(lambda: recorded("Taxes/fetch-a-list-of-taxes.json")),
    models.Unit: Samples(lambda: recorded("Units/fetch-a-list-of-units.json"), {"name": "Stk"}),
    models.Currency: Samples(lambda: recorded("Currencies/fetch-a-list-of-currencies.json")),
    models.Language: Samples(lambda: recorded("Languages/fetch-a-list-of-languages.json")),
    models.PaymentType: Samples(lambda: recorded("PaymentTypes/fetch-a-list-of-payment-types.json")),
    models.BankAccount: Samples(lambda: recorded("BankAccounts/fetch-a-list-of-bank-accounts.json")),
    models.CompanyProfile: Samples(
        lambda: [
            *recorded("CompanyProfiles/fetch-a-list-of-company-profiles.json"),
            # bexio's own sample: postcode is an integer there (bexio-api.md §11).
            {
                "id": 1,
                "name": "bexio AG",
                "address": "Alte Jonastrasse 24",
                "postcode": 8640,
                "city": "Rapperswil",
            },
        ]
    ),
    models.DocumentSetting: Samples(
        lambda: recorded("DocumentSettings/fetch-a-list-of-document-settings.json")
    ),
    models.Invoice: Samples(
        lambda: [
            *recorded("Invoices/fetch-an-invoice.json"),
            *recorded("Invoices/create-an-invoice.json"),
            *recorded("Invoices/fetch-a-list-of-invoices.json"),
        ]
    ),
    models.InvoiceTax: Samples(
        lambda: [{"percentage": "8.10", "value": "8.1000"}, {"percentage": 8.1, "value": 3}]
    ),
    models.KbPositionCustom: Samples(_invoice_positions("KbPositionCustom"), {"pos": "2"}),
    models.KbPositionText: Samples(_invoice_positions("KbPositionText")),
    models.KbPositionArticle: Samples(
        lambda: [
            {**_invoice_positions("KbPositionCustom")()[0], "type": "KbPositionArticle", "article_id": 3}
        ]
    ),
    models.KbPositionSubtotal: Samples(
        lambda: [{"id": 3, "type": "KbPositionSubtotal", "text": "Total", "value": "100"}]
    ),
    models.KbPositionDiscount: Samples(
        lambda: [
            {"id": 4, "type": "KbPositionDiscount", "text": "Rabatt", "is_percentual": True, "value": "5"}
        ]
    ),
    models.KbPositionPagebreak: Samples(
        lambda: [{"id": 5, "type": "KbPositionPagebreak", "pagebreak": True}]
    ),
    models.KbPositionOther: Samples(lambda: [{"id": 6, "type": "KbPositionSubposition", "pos": 7}]),
    models.InvoicePdf: Samples(lambda: recorded("Invoices/show-pdf.json")),
    models.PayrollAddress: Samples(_with_type(EMPLOYEE_SAMPLE["address"]), {"zip_code": "8001"}),
    models.PayrollEmployee: Samples(lambda: [EMPLOYEE_SAMPLE], {"email": "andrea.keller@example.ch"}),
    models.PayrollAbsence: Samples(lambda: [ABSENCE_SAMPLE], {"reason": "Vacation"}),
    models.OperationResult: Samples(lambda: recorded("Contacts/delete-a-contact.json"), {"success": True}),
    timesheet_import.TimesheetFields: Samples(lambda: [TIMESHEET_SAMPLE], {"minutes": 100, "billable": True}),
    _STAMPED.item: Samples(lambda: recorded("Contacts/fetch-a-list-of-contacts.json")),
    _STAMPED_INVOICES.item: Samples(
        lambda: recorded("Invoices/fetch-a-list-of-invoices.json"), {"kb_item_status_id": 19}
    ),
}
"""Abstract bases (``BexioModel``, ``NamedRecord``, ``_Position``, ``_PricedPosition``) are read only
through their subclasses."""
ABSTRACT = {models.BexioModel, models.NamedRecord, models._Position, models._PricedPosition}


def _timesheet_values(raw: Any) -> dict[str, Any]:
    """What the import makes of a ``TimesheetFields`` record (``services.importing.timesheets``)."""
    bill = raw.get("allowable_bill")
    text = raw.get("text")
    return {
        "id": raw["id"],
        "user_id": timesheet_import._id(raw.get("user_id")),
        "project_id": timesheet_import._id(raw.get("pr_project_id")),
        "activity_id": timesheet_import._id(raw.get("client_service_id")),
        "status_id": timesheet_import._id(raw.get("status_id")),
        "day": timesheet_import._day(raw.get("date")),
        "minutes": timesheet_import._minutes(raw.get("duration")),
        "note": text if type(text) is str else (as_text(text) or ""),
        "billable": bill is True or (bill is not False and as_flag(bill)),
    }


NORMALISE: dict[Any, Callable[[Any], dict[str, Any]]] = {timesheet_import.TimesheetFields: _timesheet_values}
RENAMED: dict[Any, dict[str, str]] = {
    timesheet_import.TimesheetFields: {
        "pr_project_id": "project_id",
        "client_service_id": "activity_id",
        "date": "day",
        "duration": "minutes",
        "text": "note",
        "allowable_bill": "billable",
    }
}
"""Fields a normaliser reads under another name."""


# --- reading ----------------------------------------------------------------------------------------


def used_values(value: Any) -> Any:
    """A read record as plain values, without the fields bxhours does not use."""
    if isinstance(value, BaseModel):
        return {
            name: used_values(getattr(value, name))
            for name, info in type(value).model_fields.items()
            if info.annotation is not Any
        }
    if isinstance(value, tuple | list):
        return [used_values(item) for item in value]
    return value


def read(reader: Any, record: Any) -> Any:
    value = _ADAPTERS.setdefault(reader, TypeAdapter(reader)).validate_python(record)
    normalise = NORMALISE.get(reader)
    return normalise(value) if normalise else used_values(value)


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


# --- variants ---------------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Path = tuple[Any, ...]


def _scalar_variants(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, bool):
        yield "bool as int", int(value)
        yield "bool as digit string", str(int(value))
        yield "bool as word", "true" if value else "false"
    elif isinstance(value, int):
        yield "int as string", str(value)
    elif isinstance(value, float):
        yield "number as string", repr(value)
    elif value is None:
        yield "null as empty string", ""
    elif isinstance(value, str):
        if value == "":
            yield "empty string as null", None
        elif value.isdigit() and value.isascii() and (value == "0" or not value.startswith("0")):
            yield "digit string as int", int(value)
        elif _DATE.match(value):
            yield "date with a time of day", f"{value} 08:30:00"


def _paths(record: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    if isinstance(record, dict):
        for key, value in record.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(record, list):
        for index, value in enumerate(record):
            yield from _paths(value, (*prefix, index))
    else:
        yield prefix, record


def _set(record: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    copy = dict(record) if isinstance(record, dict) else list(record)
    copy[path[0]] = _set(record[path[0]], path[1:], value)
    return copy


def _drop(record: Record, key: str) -> Record:
    return {name: value for name, value in record.items() if name != key}


def _optional_fields(reader: Any) -> set[str]:
    if is_typeddict(reader):
        # pydantic's own view: __optional_keys__ is unreliable under postponed annotations.
        schema = TypeAdapter(reader).core_schema
        while schema["type"] == "definitions":
            schema = schema["schema"]
        return {name for name, field in schema["fields"].items() if not field.get("required", True)}
    return {name for name, info in reader.model_fields.items() if not info.is_required()}


def _get(values: Any, path: Path) -> Any:
    for part in path:
        if isinstance(values, dict):
            if part not in values:
                return _MISSING
            values = values[part]
        elif isinstance(values, list) and isinstance(part, int) and part < len(values):
            values = values[part]
        else:
            return _MISSING
    return values


_MISSING = object()


def _comparable(expected: Any, got: Any, variant: str, path: Path) -> tuple[Any, Any]:
    """A date-time given a time of day reads a different instant: compare its day."""
    if variant == "date with a time of day":
        before, after = _get(expected, path), _get(got, path)
        if isinstance(before, datetime) and isinstance(after, datetime):
            return _set_value(expected, path, before.date()), _set_value(got, path, after.date())
    return expected, got


def _set_value(values: Any, path: Path, value: Any) -> Any:
    try:
        return _set(values, path, value)
    except (KeyError, IndexError, TypeError):
        return values


def variants(reader: Any, record: Record) -> Iterator[tuple[str, Record, Path]]:
    for path, value in _paths(record):
        for name, changed in _scalar_variants(value):
            yield name, _set(record, path, changed), path
    for key in sorted(_optional_fields(reader) & set(record)):
        yield "optional field left out", _drop(record, key), (key,)


# --- the tests --------------------------------------------------------------------------------------


def test_every_reader_has_samples() -> None:
    """A new reader without samples here fails: add recorded or documented samples to SAMPLES."""
    readers = discover_readers() - ABSTRACT
    missing = sorted(getattr(reader, "__qualname__", str(reader)) for reader in readers - set(SAMPLES))
    assert not missing, f"readers without a shape contract test: {missing}"
    assert len(readers) >= 40  # discovery itself must keep finding them


def _cases() -> Iterator[Any]:
    for reader, samples in SAMPLES.items():
        yield pytest.param(reader, samples, id=reader.__qualname__)


@pytest.mark.parametrize(("reader", "samples"), list(_cases()))
def test_every_documented_shape_reads_the_same_values(reader: Any, samples: Samples) -> None:
    records = samples.records()
    assert records, "no sample records"
    if samples.expect:
        first = read(reader, records[0])
        for field, value in samples.expect.items():
            assert first[field] == value, field
    checked = 0
    for record in records:
        expected = read(reader, record)
        for variant, changed, path in variants(reader, record):
            try:
                got = read(reader, changed)
            except ValidationError as exc:
                pytest.fail(f"{variant} at {'.'.join(map(str, path))}: {exc}")
            if variant == "optional field left out":
                got_values = dict(got) if isinstance(got, dict) else got
                expected_values = dict(expected) if isinstance(expected, dict) else expected
                key = RENAMED.get(reader, {}).get(path[0], path[0])
                if isinstance(got_values, dict) and isinstance(expected_values, dict):
                    got_values.pop(key, None)
                    expected_values.pop(key, None)
                assert got_values == expected_values, f"{variant}: {key}"
            else:
                left, right = _comparable(expected, got, variant, path)
                assert right == left, f"{variant} at {'.'.join(map(str, path))}"
            checked += 1
    assert checked > 0


def test_the_shapes_of_issue_11_read_as_bexio_means_them() -> None:
    """The values themselves, for the shapes that broke first contact (issue 11 §1)."""
    profile = models.CompanyProfile.model_validate({"id": 1, "name": "bexio AG", "postcode": 8640})
    assert profile.postcode == "8640"
    contact = models.Contact.model_validate(
        {"id": "17", "nr": 17, "contact_type_id": "1", "name_1": 4, "postcode": 8004}
    )
    assert (contact.id, contact.nr, contact.name_1, contact.postcode) == (17, "17", "4", "8004")
    project = models.Project.model_validate(
        {"id": 3, "nr": "000003", "name": None, "start_date": "2019-07-12 08:30:00", "end_date": "0000-00-00"}
    )
    assert (project.name, project.start_date, project.end_date) == ("Projekt 000003", date(2019, 7, 12), None)
    assert models.Project.model_validate({"id": 4, "name": ""}).name == "Projekt 4"
    assert models.BusinessActivity.model_validate({"id": 7, "name": None}).name == "Tätigkeit 7"
    for flag in (1, "1", "true", True):
        assert _timesheet_values({**TIMESHEET_SAMPLE, "allowable_bill": flag})["billable"] is True
    for flag in (0, "0", "false", False, None, ""):
        assert _timesheet_values({**TIMESHEET_SAMPLE, "allowable_bill": flag})["billable"] is False
    assert _timesheet_values({**TIMESHEET_SAMPLE, "user_id": "17"})["user_id"] == 17
    position = models.KbPositionCustom.model_validate({"id": 1, "type": "KbPositionCustom", "pos": 1})
    assert position.pos == "1"
    assert models.Invoice.model_validate({"id": 1, "total": 100}).total == Decimal("100")
    stamped = TypeAdapter(_STAMPED.item).validate_python({"id": "5", "updated_at": "2026-06-18T14:55:15"})
    assert stamped == {"id": 5, "updated_at": "2026-06-18 14:55:15"}
