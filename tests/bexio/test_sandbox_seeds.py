"""Seeds (empty, demo, large) and running the sandbox as its own process."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from bexio.sandbox import DEMO_TOKEN, ManualClock, build_state
from bexio.sandbox.tokens import decode_jwt_claims

CLOCK_START = datetime(2026, 6, 18, 12, 0, tzinfo=UTC)


def tagged(contact_group_ids: str | None, group_id: int) -> bool:
    """Exact membership in bexio's comma string ("6" is in "1,6", not in "16")."""
    return str(group_id) in (contact_group_ids or "").split(",")


def test_the_empty_seed_is_a_fresh_bexio_account() -> None:
    state = build_state("empty", clock=ManualClock(CLOCK_START))
    tables = state.tables
    (user,) = tables["user"].values()
    assert user["is_superadmin"] is True
    assert [g["name"] for g in tables["contact_group"].values()] == [
        "Partner",
        "Lieferanten",
        "Benutzerdefinierte Kategorie 1",
        "Benutzerdefinierte Kategorie 2",
    ]
    assert [u["name"] for u in tables["unit"].values()] == ["Stk", "h"]
    assert [(c["name"], c["round_factor"]) for c in tables["currency"].values()] == [
        ("CHF", 0.05),
        ("EUR", 0.01),
        ("USD", 0.01),
        ("GBP", 0.01),
    ]
    assert len(tables["tax"]) == 25
    assert (tables["tax"][14]["code"], tables["tax"][14]["value"]) == ("UN81", 8.1)
    assert (tables["tax"][15]["code"], tables["tax"][15]["value"]) == ("UR26", 2.6)
    assert {a["account_type"] for a in tables["account"].values()} == {1, 2, 3, 4, 5}
    assert all(a["fibu_account_group_id"] in tables["account_group"] for a in tables["account"].values())
    assert [a["name"] for a in tables["client_service"].values()] == [
        "Administration",
        "Meeting",
        "Projekt Management",
        "Umsetzung",
        "Allgemein",
    ]
    assert {a["default_price_per_hour"] for a in tables["client_service"].values()} == {None}
    assert len(tables["bank_account"]) == len(tables["company_profile"]) == 1
    assert state.invoice_setting()["enumeration_format"] == "RE-%nummer%"
    assert tables["pr_project"] == tables["timesheet"] == tables["kb_invoice"] == {}
    assert state.settings.payroll_enabled is False


def test_the_demo_company() -> None:
    state = build_state("demo", clock=ManualClock(CLOCK_START))
    tables = state.tables
    assert len(tables["user"]) == 15
    assert sum(u["is_superadmin"] for u in tables["user"].values()) == 1
    assert len(tables["contact"]) == 60
    (kunden,) = [g["id"] for g in tables["contact_group"].values() if g["name"] == "Kunden"]
    customers = {c["id"] for c in tables["contact"].values() if tagged(c["contact_group_ids"], kunden)}
    assert len(customers) == 25
    archived = state.archived["contact"]
    assert len(archived) == 3
    assert len(archived & customers) == 1
    assert len(tables["pr_project"]) == 12
    assert {p["pr_invoice_type_id"] for p in tables["pr_project"].values()} == {1, 2, 3, 4}
    for activity in tables["client_service"].values():
        assert 120 <= activity["default_price_per_hour"] <= 180
        assert tables["account"][activity["account_id"]]["account_no"] == "3400"
        assert tables["account"][activity["account_id"]]["account_type"] == 1
    sales = {t["code"]: t for t in tables["tax"].values() if t["type"] == "sales_tax" and t["is_active"]}
    assert set(sales) == {"UN77", "UR25", "UN81", "UR26"}
    assert (sales["UN77"]["value"], sales["UN77"]["start_year"], sales["UN77"]["end_year"]) == (
        7.7,
        2018,
        2023,
    )
    assert (sales["UR25"]["value"], sales["UR25"]["end_year"], sales["UR25"]["end_month"]) == (2.5, 2023, 12)

    dates = sorted(t["date"] for t in tables["timesheet"].values())
    today = date(2026, 6, 18)
    assert dates[0] >= (today - timedelta(days=731)).isoformat()
    assert dates[-1] < today.isoformat()
    assert all(re.fullmatch(r"\d+:[0-5]\d", t["duration"]) for t in tables["timesheet"].values())
    billable_on_projects = [
        t for t in tables["timesheet"].values() if t["pr_project_id"] and t["allowable_bill"]
    ]
    assert len(billable_on_projects) > len(tables["timesheet"]) / 2
    assert {i["kb_item_status_id"] for i in tables["kb_invoice"].values()} == {8, 9}
    assert all(Decimal(i["total"]) > 0 for i in tables["kb_invoice"].values())
    assert len(state.payroll_employees) == 10


def test_seeds_are_deterministic() -> None:
    first = build_state("demo", clock=ManualClock(CLOCK_START))
    second = build_state("demo", clock=ManualClock(CLOCK_START))
    assert first.tables == second.tables
    assert first.archived == second.archived
    assert first.payroll_employees == second.payroll_employees
    smaller = build_state("large", contacts=200, projects=20, timesheets=3000, clock=ManualClock(CLOCK_START))
    assert (
        len(smaller.tables["contact"]),
        len(smaller.tables["pr_project"]),
        len(smaller.tables["timesheet"]),
    ) == (
        200,
        20,
        3000,
    )


@pytest.mark.slow
def test_the_large_seed_has_benchmark_size() -> None:
    state = build_state("large", clock=ManualClock(CLOCK_START))
    assert (
        len(state.tables["contact"]),
        len(state.tables["pr_project"]),
        len(state.tables["timesheet"]),
    ) == (
        5000,
        500,
        100_000,
    )


def test_bad_seed_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown sandbox seed 'huge'"):
        build_state("huge")
    with pytest.raises(ValueError, match="the empty seed has no sizes"):
        build_state("empty", contacts=10)
    with pytest.raises(ValueError, match="must not be negative"):
        build_state("demo", timesheets=-1)


def test_the_demo_token_is_a_pat_shaped_jwt() -> None:
    claims = decode_jwt_claims(DEMO_TOKEN)
    assert claims["exp"] > datetime(2099, 1, 1, tzinfo=UTC).timestamp()
    state = build_state("empty")
    fresh = decode_jwt_claims(state.issue_pat())
    assert fresh["exp"] - fresh["iat"] == 60 * 24 * 3600


async def test_the_standalone_sandbox_prints_env_lines_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bexio.sandbox",
        "--seed",
        "empty",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        url_line = (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode().strip()
        token_line = (await asyncio.wait_for(process.stdout.readline(), timeout=5)).decode().strip()
        assert re.fullmatch(r"BEXIO_API_URL=http://127\.0\.0\.1:\d+", url_line)
        assert token_line == f"BEXIO_ACCESS_TOKEN={DEMO_TOKEN}"
        url = url_line.split("=", 1)[1]
        async with httpx.AsyncClient(base_url=url) as client:
            me = await client.get(
                "/3.0/users/me",
                headers={"Accept": "application/json", "Authorization": f"Bearer {DEMO_TOKEN}"},
            )
            assert me.json()["is_superadmin"] is True
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
