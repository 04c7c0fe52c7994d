"""`bxhours invoice` as an operator runs it: a real process against the sandbox and a fake Slack."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bxhours.fakes.invoicing_seed import SeededCompany, WorkLog, mirror_sandbox
from bxhours.fakes.slack_api import FakeSlack
from core.clock import SystemClock, local_today
from core.dates import end_of_last_month
from storage.crypto import generate_key
from storage.db import Database
from storage.models import ExpenseCategory
from storage.tenants import TenantRepository
from tests.invoicing_fixtures import PERSON_RATES, SLACK_IDS

BXHOURS = [sys.executable, "-m", "bxhours.cli", "invoice"]


@dataclass
class Operator:
    env: dict[str, str]
    cwd: Path
    sandbox: RunningSandbox
    company: SeededCompany
    work: WorkLog

    async def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        process = await asyncio.create_subprocess_exec(
            *BXHOURS, *args, env=self.env, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())

    async def run_binary(self, *args: str) -> tuple[int, bytes, str]:
        """A command whose stdout is a file (``invoice report``): its exit code, bytes and stderr."""
        process = await asyncio.create_subprocess_exec(
            *BXHOURS, *args, env=self.env, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, out, err.decode()

    async def bxhours(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another ``bxhours`` command (e.g. ``settings set``)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bxhours.cli", *args, env=self.env, cwd=self.cwd,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())

    def nr_of(self, project: int) -> str:
        contact = self.sandbox.state.tables["pr_project"][project]["contact_id"]
        return str(self.sandbox.state.tables["contact"][contact]["nr"])


@pytest.fixture
async def operator(database_url: str, tmp_path: Path) -> AsyncIterator[Operator]:
    fake = FakeSlack()
    runner = await fake.start()
    db = Database(database_url)
    try:
        async with serve_sandbox(build_state("demo")) as sandbox:
            tenant = await TenantRepository(db, lambda: datetime.now(UTC)).ensure(
                fake.team_id, fake.team_name
            )
            company = await mirror_sandbox(
                db, tenant.id, sandbox.state, slack_ids=SLACK_IDS, person_rates=PERSON_RATES
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEXIO_", "BXHOURS_"))}
            env.update(
                DATABASE_URL=database_url,
                SLACK_BOT_TOKEN=fake.bot_token,
                SLACK_SIGNING_SECRET="cli-test-signing-secret",
                SLACK_API_URL=fake.api_url,
                BEXIO_API_URL=sandbox.url,
                BEXIO_ACCESS_TOKEN=sandbox.token,
                BXHOURS_ENCRYPTION_KEY=generate_key(),
            )
            yield Operator(env, tmp_path, sandbox, company, WorkLog(db, tenant.id))
    finally:
        await db.dispose()
        await runner.cleanup()


def _first_of_last_month() -> date:
    return end_of_last_month(local_today(SystemClock(), "Europe/Zurich")).replace(day=1)


async def _log(operator: Operator, project: int, minutes: int, activity: int = 4) -> None:
    await operator.work.entry(
        user_id=operator.company.users[1],
        project_id=operator.company.projects[project],
        activity_id=operator.company.activities[activity],
        day=_first_of_last_month(),
        minutes=minutes,
    )


async def test_preview_and_create_print_the_same_draft_as_json(operator: Operator) -> None:
    await _log(operator, 1, 150)
    await _log(operator, 1, 45, activity=3)
    nr = operator.nr_of(1)
    preview = await operator.run("preview", "--customer", nr, "--json")
    assert preview.returncode == 0, preview.stderr
    previewed = json.loads(preview.stdout)
    assert previewed["invoice_id"] is None and previewed["bexio_id"] is None
    assert previewed["problems"] == []
    assert [line["account_no"] for line in previewed["lines"]] == ["3400", "3400"]
    assert operator.sandbox.state.calls_to("POST", "/2.0/kb_invoice") == []

    created = await operator.run("create", "--customer", nr, "--json")
    assert created.returncode == 0, created.stderr
    result = json.loads(created.stdout)
    assert set(result) == {
        "invoice_id",
        "bexio_id",
        "document_nr",
        "total_net",
        "total_vat",
        "total",
        "bexio_total",
        "lines",
    }
    draft = operator.sandbox.state.tables["kb_invoice"][result["bexio_id"]]
    assert result["document_nr"] == draft["document_nr"]
    assert result["total"] == result["bexio_total"] == previewed["total"]
    assert Decimal(draft["total"]) == Decimal(result["total"])
    assert {
        k: v for k, v in result.items() if k not in ("invoice_id", "bexio_id", "document_nr", "bexio_total")
    } == {
        k: v
        for k, v in previewed.items()
        if k not in ("invoice_id", "bexio_id", "document_nr", "bexio_total", "problems")
    }
    assert set(result["lines"][0]) == {"text", "quantity", "unit_price", "total", "account_no", "tax_code"}
    assert result["lines"][0]["tax_code"] == "UN81"


async def test_nothing_to_invoice_and_unknown_customer_fail_on_stderr(operator: Operator) -> None:
    nothing = await operator.run("create", "--customer", operator.nr_of(1), "--json")
    assert nothing.returncode == 1
    assert nothing.stdout == ""
    assert "Nothing to invoice" in nothing.stderr and "Traceback" not in nothing.stderr
    unknown = await operator.run("preview", "--customer", "No Such Customer AG")
    assert unknown.returncode == 1
    assert "No customer “No Such Customer AG”" in unknown.stderr


async def test_refusal_is_reported_with_bexios_reason(operator: Operator) -> None:
    await _log(operator, 1, 60)
    result = await operator.run("create", "--customer", operator.nr_of(1), "--own-number")
    assert result.returncode == 1
    assert "bexio numbers invoices automatically" in result.stderr


async def test_monthly_run_creates_one_draft_per_customer(operator: Operator) -> None:
    await _log(operator, 1, 60)
    await _log(operator, 2, 90)
    await _log(operator, 5, 30)
    result = await operator.run("create", "--all", "--period", "last-month", "--json")
    assert result.returncode == 0, result.stderr
    invoices = json.loads(result.stdout)["invoices"]
    contacts = {operator.sandbox.state.tables["pr_project"][p]["contact_id"] for p in (1, 2, 5)}
    drafts = [d for d in operator.sandbox.state.tables["kb_invoice"].values() if d.get("api_reference")]
    assert len(invoices) == len(drafts) == len(contacts)
    assert {d["contact_id"] for d in drafts} == contacts


async def _log_day(operator: Operator, day: date, minutes: int, note: str) -> None:
    await operator.work.entry(
        user_id=operator.company.users[1],
        project_id=operator.company.projects[1],
        activity_id=operator.company.activities[4],
        day=day,
        minutes=minutes,
        note=note,
    )


@pytest.mark.sqlite_only
async def test_group_follows_the_flag_else_the_setting(operator: Operator) -> None:
    """Issue 15 §4: --group activity|day|entry, default the workspace setting invoice_grouping."""
    first = _first_of_last_month()
    await _log_day(operator, first, 60, "Konzept")
    await _log_day(operator, first, 30, "Review")
    await _log_day(operator, first + timedelta(days=1), 45, "Umsetzung")
    nr = operator.nr_of(1)

    async def texts(*args: str) -> list[str]:
        result = await operator.run("preview", "--customer", nr, "--json", *args)
        assert result.returncode == 0, result.stderr
        return [line["text"] for line in json.loads(result.stdout)["lines"]]

    by_activity = await texts()
    assert len(by_activity) == 1 and by_activity[0].endswith(
        f"{first:%d.%m.%Y} – {first + timedelta(days=1):%d.%m.%Y}"
    )
    by_day = await texts("--group", "day")
    assert [text.split(" · ")[-1] for text in by_day] == [
        f"{first:%d.%m.%Y}: Konzept; Review",
        f"{first + timedelta(days=1):%d.%m.%Y}: Umsetzung",
    ]
    assert len(await texts("--group", "entry")) == 3
    setting = await operator.bxhours("settings", "set", "invoice_grouping", "day")
    assert setting.returncode == 0, setting.stderr
    assert await texts() == by_day
    assert len(await texts("--group", "entry")) == 3
    wrong = await operator.run("preview", "--customer", nr, "--group", "week")
    assert wrong.returncode == 2 and "invalid choice: 'week'" in wrong.stderr


async def test_preview_json_names_what_blocks_the_draft(operator: Operator) -> None:
    first = _first_of_last_month()
    await _log_day(operator, first, 60, "Konzept")
    await operator.work.expense(
        user_id=operator.company.users[1],
        project_id=operator.company.projects[1],
        category_id=operator.company.categories["Material"],
        day=first,
        amount=Decimal("1234.50"),
    )
    async with operator.work.db.session(operator.work.tenant_id) as session:
        category = await session.get(ExpenseCategory, operator.company.categories["Material"])
        assert category is not None
        category.account_id = None
    result = await operator.run("preview", "--customer", operator.nr_of(1), "--json", "--own-number")
    assert result.returncode == 1
    previewed = json.loads(result.stdout)
    [material] = [line for line in previewed["lines"] if line["text"].startswith("Material")]
    assert (material["account_no"], material["tax_code"]) == (None, "UN81")
    assert "CHF 1'234.50 inkl. 8.1 % MWST" in material["text"]  # the customer's language: German
    # The category's sentence (its wording is the account mapping's, issue 15 §5), then the numbering's.
    assert previewed["problems"][0].startswith("Material has no bexio account")
    assert len(previewed["problems"]) == 2 and "automatically" in previewed["problems"][1]
    assert "cannot be created yet" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.sqlite_only
async def test_report_prints_the_timesheet_report_of_a_draft(operator: Operator) -> None:
    first = _first_of_last_month()
    await _log_day(operator, first, 90, "Workshop mit Kunde")
    created = await operator.run("create", "--customer", operator.nr_of(1), "--json")
    assert created.returncode == 0, created.stderr
    result = json.loads(created.stdout)
    code, pdf, err = await operator.run_binary("report", result["document_nr"])
    assert code == 0, err
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert (
        "Workshop mit Kunde" in text
        and f"Total CHF {Decimal(result['total']):,.2f}".replace(",", "'") in text
    )
    code, out, err = await operator.run_binary("report", "RE-99999")
    assert (code, out) == (1, b"")
    assert "no invoice has the number 'RE-99999'" in err and "Traceback" not in err
