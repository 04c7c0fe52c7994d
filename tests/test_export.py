"""`bxhours export entries`: the keys and values of issue 5 §9, filters, order, CSV for Excel."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bxhours.fakes.master_data import SeededCompany, seed_master_data
from services.export import (
    COLUMNS,
    ExportError,
    ExportFilter,
    ExportService,
    _csv_values,
    write_csv,
    write_json,
)
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Expense
from storage.tenants import TenantRepository
from tests.factories import add_entry, invoice, user_id

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


async def _expense(db: Database, tenant_id: int, *, user: int, project: int, day: date, amount: str) -> int:
    async with db.session(tenant_id) as session:
        from sqlalchemy import select

        from services.expense_categories import ensure_default_categories
        from storage.models import ExpenseCategory

        await ensure_default_categories(session)
        category = await session.scalar(
            select(ExpenseCategory.id).where(ExpenseCategory.name == "Reisekosten")
        )
        expense = Expense(
            user_id=user,
            project_id=project,
            category_id=category,
            day=day,
            amount=Decimal(amount),
            note="Zug; Bern–Zürich",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(expense)
        await session.flush()
        return expense.id


async def _company(db: Database) -> tuple[int, SeededCompany]:
    tenant = await TenantRepository(db).ensure("T0001BX", "Acme Digital")
    company = await seed_master_data(db, tenant.id, lambda: NOW)
    mia = await user_id(db, tenant.id, "mia.schmid@alpenblick.example")
    noah = await user_id(db, tenant.id, "noah.keller@alpenblick.example")
    website, cloud = company.projects["Website Relaunch"], company.projects["Cloud-Migration"]
    umsetzung, meeting = company.activities["Umsetzung"], company.activities["Meeting"]
    # Mia's billed work and her non-billable meeting; Noah's work with a rate and without one.
    entries = [  # user, project, activity, day, minutes, billable, rate, note
        (mia, website, umsetzung, date(2026, 11, 2), 150, True, "150.00", "checkout"),
        (mia, website, meeting, date(2026, 11, 3), 20, False, "140.00", ""),
        (noah, cloud, umsetzung, date(2026, 11, 3), 45, True, "155.00", ""),
        (noah, cloud, umsetzung, date(2026, 11, 20), 60, True, None, ""),
    ]
    ids = [
        await add_entry(
            db, tenant.id, user=u, project=p, activity=a, day=d, minutes=m, billable=b, rate=r, note=n
        )
        for u, p, a, d, m, b, r, n in entries
    ]
    await _expense(db, tenant.id, user=mia, project=website, day=date(2026, 11, 3), amount="84.50")
    await invoice(
        db, tenant.id, customer=company.customers["Alpen Bau AG"], document_nr="RE-00042", entry_ids=[ids[0]]
    )
    return tenant.id, company


@pytest.fixture
async def exported(db: Database) -> tuple[ExportService, int]:
    tenant_id, _company_ids = await _company(db)
    return ExportService(db), tenant_id


async def _rows(service: ExportService, tenant_id: int, **selection: Any) -> list[dict[str, Any]]:
    return [row async for row in service.rows(tenant_id, ExportFilter(**selection))]


async def test_every_row_has_the_documented_keys_and_string_money(
    exported: tuple[ExportService, int],
) -> None:
    service, tenant_id = exported
    rows = await _rows(service, tenant_id)
    assert all(tuple(row) == COLUMNS for row in rows)
    assert [(r["kind"], r["date"]) for r in rows] == [
        ("time", "2026-11-02"),
        ("time", "2026-11-03"),
        ("time", "2026-11-03"),
        ("expense", "2026-11-03"),
        ("time", "2026-11-20"),
    ]
    first = rows[0]
    assert first == {
        "kind": "time",
        "date": "2026-11-02",
        "user_email": "mia.schmid@alpenblick.example",
        "customer": "Alpen Bau AG",
        "project_nr": "000042",
        "project": "Website Relaunch",
        "activity": "Umsetzung",
        "category": None,
        "minutes": 150,
        "hours": "2.50",
        "rate": "150.00",
        "amount": "375.00",
        "billable": True,
        "status": "billed",
        "invoice_number": "RE-00042",
        "note": "checkout",
    }
    not_billable = rows[1]
    assert (not_billable["hours"], not_billable["rate"], not_billable["amount"]) == ("0.33", "140.00", None)
    assert rows[2]["amount"] == "116.25"  # 0.75 h × 155.00
    expense = rows[3]
    assert (expense["category"], expense["amount"], expense["minutes"], expense["hours"]) == (
        "Reisekosten",
        "84.50",
        None,
        None,
    )
    assert rows[4]["rate"] is None and rows[4]["amount"] is None


async def test_filters(exported: tuple[ExportService, int]) -> None:
    service, tenant_id = exported
    november_3 = await _rows(service, tenant_id, start=date(2026, 11, 3), end=date(2026, 11, 3))
    assert {r["date"] for r in november_3} == {"2026-11-03"} and len(november_3) == 3
    noah = await _rows(service, tenant_id, user_email="Noah.Keller@Alpenblick.example")
    assert {r["user_email"] for r in noah} == {"noah.keller@alpenblick.example"} and len(noah) == 2
    website = await _rows(service, tenant_id, project_nr="42")
    assert {r["project"] for r in website} == {"Website Relaunch"} and len(website) == 3
    with pytest.raises(ExportError, match=r"nobody@example\.ch"):
        await _rows(service, tenant_id, user_email="nobody@example.ch")
    with pytest.raises(ExportError, match="no project with the number 999"):
        await _rows(service, tenant_id, project_nr="999")
    with pytest.raises(ExportError, match="is after"):
        await _rows(service, tenant_id, start=date(2026, 12, 1), end=date(2026, 11, 1))


async def test_csv_is_what_excel_in_de_ch_opens(exported: tuple[ExportService, int]) -> None:
    service, tenant_id = exported
    out = io.StringIO(newline="")
    count = await write_csv(service.rows(tenant_id, ExportFilter()), out)
    text = out.getvalue()
    assert count == 5
    assert text.startswith(
        "\ufeffkind;date;user_email;customer;project_nr;project;activity;category;minutes;"
    )
    lines = text.split("\r\n")
    assert lines[1] == (
        "time;2026-11-02;mia.schmid@alpenblick.example;Alpen Bau AG;000042;Website Relaunch;Umsetzung;;"
        "150;2.50;150.00;375.00;true;billed;RE-00042;checkout"
    )
    assert '"Zug; Bern–Zürich"' in text, "a ; inside a value is quoted"
    out = io.StringIO(newline="")
    await write_csv(service.rows(tenant_id, ExportFilter()), out, ",")
    assert out.getvalue().split("\r\n")[0].startswith("\ufeffkind,date,user_email")


async def test_json_is_one_array_and_a_bad_filter_writes_nothing(exported: tuple[ExportService, int]) -> None:
    service, tenant_id = exported
    out = io.StringIO()
    await write_json(service.rows(tenant_id, ExportFilter(project_nr="000012")), out)
    loaded = json.loads(out.getvalue())
    assert [r["project"] for r in loaded] == ["Cloud-Migration", "Cloud-Migration"]
    out = io.StringIO()
    with pytest.raises(ExportError):
        await write_json(service.rows(tenant_id, ExportFilter(project_nr="7777")), out)
    assert out.getvalue() == ""
    empty = io.StringIO()
    await write_json(service.rows(tenant_id, ExportFilter(start=date(2030, 1, 1))), empty)
    assert json.loads(empty.getvalue()) == []


def _cli(args: list[str], database_url: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEXIO_", "BXHOURS_", "DATABASE_"))
    }
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bxhours.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )


async def _company_database(tmp_path: Path, name: str) -> str:
    """The URL of a fresh SQLite file holding ``_company``, for the command line to read."""
    url = f"sqlite+aiosqlite:///{tmp_path / name}"
    db = Database(url)
    try:
        await upgrade(db.engine)
        await _company(db)
    finally:
        await db.dispose()
    return url


async def test_command_line(tmp_path: Path) -> None:
    url = await _company_database(tmp_path, "export.db")
    csv_run = _cli(
        ["export", "entries", "--from", "2026-11-03", "--user", "mia.schmid@alpenblick.example"],
        url,
        tmp_path,
    )
    assert csv_run.returncode == 0, csv_run.stderr
    text = csv_run.stdout.decode("utf-8")
    assert text.startswith("\ufeffkind;date;")
    assert text.count("\r\n") == 3  # header, Mia's meeting, her expense
    json_run = _cli(["export", "entries", "--format", "json", "--project", "42"], url, tmp_path)
    assert json_run.returncode == 0, json_run.stderr
    assert len(json.loads(json_run.stdout)) == 3
    bad_user = _cli(["export", "entries", "--user", "ghost@example.ch"], url, tmp_path)
    assert bad_user.returncode == 1
    assert bad_user.stdout == b""
    assert (
        bad_user.stderr.decode().strip()
        == "bxhours: Nobody in bxhours has the e-mail address ghost@example.ch."
    )
    bad_date = _cli(["export", "entries", "--from", "20.11.2026"], url, tmp_path)
    assert bad_date.returncode == 2
    assert b"YYYY-MM-DD" in bad_date.stderr and b"Traceback" not in bad_date.stderr


async def test_categories_command(tmp_path: Path) -> None:
    url = await _company_database(tmp_path, "categories.db")
    listed = _cli(["categories", "list"], url, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.decode().splitlines() == [
        "Material: billable, default sales tax, no account yet",
        "Reisekosten: billable, default sales tax, no account yet",
        "Spesen: billable, default sales tax, no account yet",
    ]
    saved = _cli(
        ["categories", "set", "Spesen", "--billable", "no", "--tax", "UN81", "--account", "3400"],
        url,
        tmp_path,
    )
    assert saved.stdout.decode().strip() == "Spesen: not billable, UN81, account 3400"
    refused = _cli(["categories", "set", "Spesen", "--account", "1020"], url, tmp_path)
    assert refused.returncode == 1 and b"bexio has no account 1020" in refused.stderr
    removed = _cli(["categories", "remove", "material"], url, tmp_path)
    assert (
        removed.stdout.decode().strip()
        == "Material: billable, default sales tax, no account yet (not in use)"
    )


FORMULAS = [
    '=HYPERLINK("http://evil.example","pay here")',
    "+41 44 555 01 01",
    "-2+3",
    "@SUM(A1:A9)",
    "\tcalc",
    "\rcalc",
]


async def test_csv_cells_never_run_as_formulas_and_json_stays_verbatim(db: Database, tmp_path: Path) -> None:
    """Issue 12 §7 (OWASP CSV injection): text cells starting with = + - @ tab or CR get a leading ',
    numbers stay numbers, JSON keeps what was typed."""
    tenant_id, company = await _company(db)
    mia = await user_id(db, tenant_id, "mia.schmid@alpenblick.example")
    website, umsetzung = company.projects["Website Relaunch"], company.activities["Umsetzung"]
    for note in FORMULAS:
        await add_entry(
            db,
            tenant_id,
            user=mia,
            project=website,
            activity=umsetzung,
            day=date(2026, 11, 10),
            minutes=30,
            note=note,
        )
    service = ExportService(db)
    out = io.StringIO(newline="")
    await write_csv(
        service.rows(tenant_id, ExportFilter(start=date(2026, 11, 10), end=date(2026, 11, 10))), out
    )
    cells = [row[-1] for row in csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff")), delimiter=";")][1:]
    assert sorted(cells) == sorted("'" + note for note in FORMULAS)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    out = io.StringIO()
    await write_json(
        service.rows(tenant_id, ExportFilter(start=date(2026, 11, 10), end=date(2026, 11, 10))), out
    )
    assert sorted(row["note"] for row in json.loads(out.getvalue())) == sorted(FORMULAS)


def test_negative_numbers_stay_numbers_and_plain_text_is_untouched() -> None:
    row = {column: None for column in COLUMNS} | {"amount": "-5.00", "minutes": -30, "note": "Zug nach Bern"}
    cells = dict(zip(COLUMNS, _csv_values(row), strict=True))
    assert (cells["amount"], cells["minutes"], cells["note"]) == ("-5.00", "-30", "Zug nach Bern")
