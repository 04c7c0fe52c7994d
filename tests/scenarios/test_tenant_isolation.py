"""Tenant isolation, attacked from every surface (issue 13 §10).

Two workspaces share one deployment: Alpenblick (T0ALPEN, company 1) and Seeblick (T0SEE, company 2),
both installed, connected by OAuth, imported, and with hours and expenses logged. bexio record ids
overlap between the two companies on purpose, so only the tenant keeps them apart.

Alpen's data is planted with markers first (every customer, project, activity, account and expense
category renamed ``Alpen-Geheim …``, notes that say so, its webhook secret, its people's e-mails).
Then Seeblick's people attack from their side — commands, options loads, App Home, block actions and
view submissions carrying Alpen's record ids, webhook paths and headers, the CLI — and every test ends
with the same audit, which counts:

* cross-tenant **reads**: any marker in anything Seeblick was shown (acknowledgements, response-URL
  posts, every Slack Web API call made with Seeblick's token), any option value or button that names
  a record id of Alpen, any Slack call in Seeblick's workspace about Alpen's people, any bexio call
  to company 1 while only Seeblick acted;
* cross-tenant **writes**: any change to any row of Alpen's (every tenant table, its jobs, its tenant
  row), any row of either tenant that references another tenant's row, any job queued for the wrong
  tenant;

and asserts both are 0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, func, literal, select, update

from bexio.sandbox import RunningSandbox
from bexio.sandbox.state import SandboxState
from bot.views import account_mapping, hours_modal, invoice_modal, log_expense, log_hours
from bot.views import bx_sync as bx_sync_view
from bot.views import week as week_view
from bot.views.form_state import ModalContext
from bxhours import cli
from bxhours.fakes.slack_api import FakeSlack, SlackCall
from bxhours.fakes.slack_client import SlackResponse, option
from bxhours.fakes.stack import HostedStack
from storage.db import Database
from storage.jobs import utcnow
from storage.models import (
    Account,
    Activity,
    Base,
    Customer,
    Expense,
    ExpenseCategory,
    Invoice,
    Job,
    Project,
    SyncRun,
    Tenant,
    TimeEntry,
    User,
)
from tests.scenarios.hosted import (
    ALPEN,
    ANDREA,
    COMPANY_1,
    COMPANY_2,
    MIA,
    RETO,
    SEE,
    SIMON,
    Browser,
    install_and_connect_both,
)
from webhooks.endpoint import SIGNATURE_HEADER, TIMESTAMP_HEADER, WORKSPACE_HEADER, sign

MARK = "Alpen-Geheim"
"""Planted in every name and note of Alpen's: any text Seeblick is shown must not contain it."""
ALPEN_ONLY_PROJECTS = ("ERP-Einführung 5", "App-Entwicklung 10", "Datenschutz-Audit 7")
"""Projects only company 1 has (company 2's projects have other names)."""
ALPEN_PEOPLE = (ANDREA, MIA)
SEE_PEOPLE = (RETO, SIMON)


# --- the two workspaces, set up and marked ------------------------------------------------------


@dataclass
class World:
    stack: HostedStack
    db: Database
    companies: RunningSandbox
    alpen: int
    see: int
    alpen_hours: list[int] = field(default_factory=list)
    alpen_expense: int = 0
    alpen_pick: dict[str, Any] = field(default_factory=dict)
    """A sealed "which project?" button Andrea was given in Alpen (it carries Alpen's project ids)."""
    alpen_parked_job: int = 0
    simon_hours: int = 0
    alpen_secret: str = ""
    see_secret: str = ""
    alpen_emails: frozenset[str] = frozenset()
    shown_to_see: list[tuple[str, str]] = field(default_factory=list)
    """What Seeblick's people were answered directly: (where, JSON text)."""
    options_to_see: list[tuple[str, list[str]]] = field(default_factory=list)
    """Option values Seeblick's options loads returned: (action, values)."""
    mark_calls: int = 0
    mark_hooks: int = 0
    mark_company_1: int = 0
    mark_company_2: int = 0
    alpen_before: dict[str, list[str]] = field(default_factory=dict)

    @property
    def fake(self) -> FakeSlack:
        return self.stack.fake

    @property
    def company_1(self) -> SandboxState:
        return self.companies.company(COMPANY_1)

    @property
    def company_2(self) -> SandboxState:
        return self.companies.company(COMPANY_2)

    def start_attack(self) -> None:
        """From here on only Seeblick acts (the audit compares against this point)."""
        self.mark_calls = len(self.fake.calls)
        self.mark_hooks = len(self.fake.hooks)
        self.mark_company_1 = len(self.company_1.calls)
        self.mark_company_2 = len(self.company_2.calls)


async def _wait_imported(db: Database, tenant_id: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with db.session(tenant_id) as session:
            runs = list(await session.scalars(select(SyncRun)))
        if runs and all(run.status in ("done", "failed") for run in runs):
            assert all(run.status == "done" for run in runs), [(run.status, run.error) for run in runs]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"tenant {tenant_id}'s first import did not finish")


async def _settle(world: World, quiet: float = 0.4) -> None:
    """Wait until the handlers still running after their acknowledgement have made their calls."""
    deadline = time.monotonic() + 15
    seen = (-1, -1)
    while time.monotonic() < deadline:
        now = (len(world.fake.calls), len(world.fake.hooks))
        if now == seen:
            return
        seen = now
        await asyncio.sleep(quiet)


async def _command(
    world: World, team: str, user: str, command: str, line: str = "", *, modal: bool = False
) -> dict[str, Any]:
    """A slash command; the answer (acknowledgement or the post to its response URL) as JSON, or
    an empty answer for a command that opens a ``modal``."""
    before = len(world.fake.hooks)
    response = await world.stack.slack.command(command, line, user_id=user, team_id=team)
    assert response.status == 200, response.text
    if response.text:
        answer: dict[str, Any] = response.json if response.text.startswith("{") else {"text": response.text}
    elif modal:
        answer = {}
    else:
        answer = await world.fake.wait_for_hook(
            lambda body: any(body is hook and f"/{team}/" in path for path, hook in world.fake.hooks[before:])
        )
    if team == SEE:
        world.shown_to_see.append((f"{command} {line}", json.dumps(answer, ensure_ascii=False)))
    return answer


def _undo_id(answer: dict[str, Any]) -> int:
    for block in answer.get("blocks", []):
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") in (log_hours.UNDO_ACTION, log_expense.UNDO_ACTION):
            return int(accessory["value"])
    raise AssertionError(f"no Undo button in {answer}")


async def _snapshot(db: Database, tenant_id: int) -> dict[str, list[str]]:
    """Every row the tenant owns, in every tenant table, its jobs, tenant row and installation."""
    found: dict[str, list[str]] = {}
    async with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "tenant_id" in table.c:
                where = table.c.tenant_id == tenant_id
            elif table.name == Tenant.__tablename__:
                where = table.c.id == tenant_id
            else:
                continue
            rows = (await connection.execute(select(table).where(where))).all()
            found[table.name] = sorted(repr(tuple(row)) for row in rows)
    return found


def _changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    changed = []
    for name in sorted(set(before) | set(after)):
        gone = set(before.get(name, [])) - set(after.get(name, []))
        new = set(after.get(name, [])) - set(before.get(name, []))
        changed += [f"{name}: row changed or removed {row}" for row in gone]
        changed += [f"{name}: row changed or added {row}" for row in new]
    return changed


async def _foreign_references(db: Database) -> list[str]:
    """Rows of one tenant that point at a row of another tenant (through any foreign key)."""
    found = []
    async with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "tenant_id" not in table.c:
                continue
            for key in table.foreign_keys:
                target = key.column.table
                if not isinstance(target, Table) or "tenant_id" not in target.c or target is table:
                    continue
                column = key.parent
                crossing = (
                    select(func.count())
                    .select_from(table.join(target, column == key.column))
                    .where(table.c.tenant_id != target.c.tenant_id)
                )
                count = (await connection.execute(crossing)).scalar_one()
                if count:
                    found.append(
                        f"{table.name}.{column.name} → {target.name}: {count} rows of another tenant"
                    )
    return found


async def _ids(db: Database, tenant_id: int, model: type[Any]) -> set[int]:
    """The tenant's ids, named explicitly: the audit must not rely on the filter it checks."""
    async with db.session(tenant_id) as session:
        return set(await session.scalars(select(model.id).where(model.tenant_id == tenant_id)))


async def _plant_markers(world: World) -> None:
    """Make every name of Alpen's unmistakable; notes were written with the marker already."""
    async with world.db.session(world.alpen) as session:
        for model in (Customer, Project, Activity, Account, ExpenseCategory):
            await session.execute(
                update(model)
                .values(name=literal(f"{MARK} ") + model.name)
                .execution_options(synchronize_session=False)
            )
        emails = set(await session.scalars(select(User.email).where(User.email.is_not(None))))
    async with world.db.session(world.see) as session:
        see_emails = set(await session.scalars(select(User.email).where(User.email.is_not(None))))
    # Andrea's e-mail is a user of company 2 too (a trustee working for both): not Alpen's alone.
    folded = {email.casefold() for email in emails if email} - {e.casefold() for e in see_emails if e}
    world.alpen_emails = frozenset(folded)
    assert len(world.alpen_emails) >= 10


@pytest.fixture
async def world(hosted: HostedStack, browser: Browser, db: Database, companies: RunningSandbox) -> World:
    connected = await install_and_connect_both(hosted, browser, db)
    world = World(hosted, db, companies, connected.alpen, connected.see)
    await _wait_imported(db, world.alpen)
    await _wait_imported(db, world.see)
    settings = hosted.runtime.services.settings

    # Alpen logs, with the marker in every note.
    andrea = await _command(
        world, ALPEN, ANDREA, "/log-hours", f"2h ERP-Einführung 5 / Umsetzung: {MARK} Andrea"
    )
    mia = await _command(world, ALPEN, MIA, "/log-hours", f"1h App-Entwicklung 10 / Meeting: {MARK} Mia")
    expense = await _command(
        world, ALPEN, MIA, "/log-expense", f"48.50 App-Entwicklung 10 / Reisekosten: {MARK} Hotel"
    )
    world.alpen_hours = [_undo_id(andrea), _undo_id(mia)]
    world.alpen_expense = _undo_id(expense)
    ambiguous = await _command(world, ALPEN, ANDREA, "/log-hours", f"1h Website Relaunch / Umsetzung: {MARK}")
    world.alpen_pick = next(
        element
        for block in ambiguous["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
        if element["action_id"].startswith(log_hours.PICK_PROJECT_ACTION)
    )
    await settings.set(world.alpen, "person_rate:mia.schmid@alpenblick.example", "150", actor="test")

    # Seeblick logs its own.
    await _command(world, SEE, RETO, "/log-hours", "2h Schulung 7 / Umsetzung: Seeblick Reto")
    world.simon_hours = _undo_id(
        await _command(world, SEE, SIMON, "/log-hours", "1h Reporting 3 / Umsetzung: Seeblick Simon")
    )
    await _command(world, SEE, SIMON, "/log-expense", "20 Reporting 3 / Spesen: Seeblick Parkhaus")
    await settings.set(world.see, "person_rate:simon.steiner@seeblick.example", "140", actor="test")

    # A parked job of Alpen's (what an admin's Retry button names).
    async with db.system_session() as session:
        stamp = utcnow()
        job = Job(
            tenant_id=world.alpen,
            kind="system.ping",
            payload={"tag": MARK},
            status="failed",
            attempts=8,
            max_attempts=8,
            run_at=stamp,
            last_error=f"{MARK}: parked",
            created_at=stamp,
            updated_at=stamp,
            finished_at=stamp,
        )
        session.add(job)
        await session.flush()
        world.alpen_parked_job = job.id

    installations = hosted.runtime.installations
    world.alpen_secret = await installations.webhook_secret(world.alpen) or ""
    world.see_secret = await installations.webhook_secret(world.see) or ""
    assert world.alpen_secret and world.see_secret and world.alpen_secret != world.see_secret
    await _plant_markers(world)
    await _settle(world)
    world.alpen_before = await _snapshot(db, world.alpen)
    world.start_attack()
    return world


# --- the audit every test ends with ---------------------------------------------------------------


def _markers(world: World) -> re.Pattern[str]:
    """Alpen's planted names and notes, its company and workspace name, its webhook secret, and the
    e-mails only its people have (case-insensitively). Not its project names as such: Seeblick's
    people type those in the probes, and a refusal may quote what they typed."""
    exact = [MARK, "Alpenblick", world.alpen_secret]
    emails = "|".join(re.escape(email) for email in sorted(world.alpen_emails))
    return re.compile("|".join(re.escape(word) for word in exact) + f"|(?i:{emails})")


def _calls_about(call_params: dict[str, Any], people: tuple[str, ...]) -> list[str]:
    named = []
    for key in ("user", "user_id", "users", "channel"):
        value = str(call_params.get(key) or "")
        for person in people:
            if person in value or f"D{person.lstrip('U')}" in value:
                named.append(f"{key}={value}")
    return named


async def _audit(world: World) -> tuple[list[str], list[str]]:
    """Count cross-tenant reads and writes since ``start_attack`` (see the module docstring)."""
    await _settle(world)
    reads: list[str] = []
    writes: list[str] = []
    markers = _markers(world)

    # Everything Seeblick's people were shown: answers, response-URL posts, calls with its token.
    texts = list(world.shown_to_see)
    texts += [
        (f"response_url {path}", json.dumps(body, ensure_ascii=False))
        for path, body in world.fake.hooks[world.mark_hooks :]
        if f"/{SEE}/" in path
    ]
    see_calls = [call for call in world.fake.calls[world.mark_calls :] if call.team_id == SEE]
    texts += [
        (f"{call.method} with Seeblick's token", json.dumps(call.params, ensure_ascii=False))
        for call in see_calls
    ]
    for where, shown in texts:
        for match in markers.finditer(shown):
            context = shown[max(0, match.start() - 60) : match.end() + 20]
            reads.append(f"{where} showed {match.group(0)!r}: …{context}…")

    # Option values and menu values must name Seeblick's records only.
    see_entries = await _ids(world.db, world.see, TimeEntry) | await _ids(world.db, world.see, Expense)
    alpen_records = {
        invoice_modal.CUSTOMER_ACTION: {f"c:{i}" for i in await _ids(world.db, world.alpen, Customer)},
        hours_modal.PROJECT_ACTION: {str(i) for i in await _ids(world.db, world.alpen, Project)},
    }
    for action, values in world.options_to_see:
        reads += [
            f"options of {action} offered Alpen's {v}" for v in values if v in alpen_records.get(action, ())
        ]
    for _where, shown in texts:
        for value in re.findall(r'"value": "((?:edit|delete):(?:time|expense):\d+)"', shown):
            if int(value.rsplit(":", 1)[1]) not in see_entries:
                reads.append(f"a week menu shown in Seeblick names {value}")

    # Slack: Seeblick's token was only ever used about Seeblick's people; Alpen's token was not used
    # while only Seeblick acted; no call went out with an unknown token.
    for call in world.fake.calls_in(SEE):
        for named in _calls_about(call.params, ALPEN_PEOPLE):
            reads.append(f"{call.method} with Seeblick's token about Alpen's {named}")
    for call in world.fake.calls_in(ALPEN):
        for named in _calls_about(call.params, SEE_PEOPLE):
            reads.append(f"{call.method} with Alpen's token about Seeblick's {named}")
    late = world.fake.calls[world.mark_calls :]
    reads += [
        f"{call.method} with Alpen's token while only Seeblick acted"
        for call in late
        if call.team_id == ALPEN
    ]
    reads += [f"{call.method} with no workspace's token" for call in late if call.team_id is None]

    # bexio: company 1 was not called on Seeblick's behalf.
    reads += [
        f"bexio company 1 got {call.method} {call.path} while only Seeblick acted"
        for call in world.company_1.calls[world.mark_company_1 :]
    ]

    # Writes: nothing of Alpen's changed, and no row points into another tenant.
    writes += _changes(world.alpen_before, await _snapshot(world.db, world.alpen))
    writes += await _foreign_references(world.db)
    async with world.db.system_session() as session:
        parked = await session.get(Job, world.alpen_parked_job)
    if parked is None or (parked.status, parked.tenant_id) != ("failed", world.alpen):
        writes.append(f"Alpen's parked job is now {parked and (parked.status, parked.tenant_id)}")
    return reads, writes


# --- attacks --------------------------------------------------------------------------------------


async def _act(world: World, user: str, action_id: str, **kwargs: Any) -> SlackResponse:
    response = await world.stack.slack.block_action(user, action_id, team_id=SEE, **kwargs)
    assert response.status == 200, response.text
    world.shown_to_see.append((f"action {action_id}", response.text))
    return response


async def _submit(world: World, user: str, view: dict[str, Any], state: dict[str, Any]) -> SlackResponse:
    response = await world.stack.slack.submit_view(user, view, state, team_id=SEE)
    assert response.status == 200, response.text
    world.shown_to_see.append((f"submission {view.get('callback_id')}", response.text))
    return response


async def _options(
    world: World, user: str, action_id: str, query: str, view: dict[str, Any], block_id: str = "b"
) -> list[str]:
    response = await world.stack.slack.options(
        user, action_id, query, view=view, block_id=block_id, team_id=SEE
    )
    assert response.status == 200, response.text
    world.shown_to_see.append((f"options {action_id} {query!r}", response.text))
    body = response.json or {}
    items = body.get("options") or [
        item for group in body.get("option_groups", []) for item in group["options"]
    ]
    values = [str(item["value"]) for item in items]
    world.options_to_see.append((action_id, values))
    return values


async def _home(world: World, user: str) -> dict[str, Any]:
    def mine(call: SlackCall) -> bool:
        return call.params.get("user_id") == user

    before = len([call for call in world.fake.calls_to("views.publish") if mine(call)])
    await world.stack.slack.open_home(user, team_id=SEE)
    await world.fake.wait_for("views.publish", mine, count=before + 1)
    return world.fake.home[user]


async def _new_view(world: World, method: str, before: int) -> dict[str, Any]:
    """The modal a handler opened or updated in Seeblick after ``before`` calls of ``method``."""
    calls = await world.fake.wait_for(method, lambda call: call.team_id == SEE, count=before + 1)
    view_id = calls[-1].params.get("view_id")
    if view_id:
        return world.fake.modal(str(view_id))
    return next(
        view
        for view in reversed(world.fake.views.values())
        if view.get("team_id") == SEE and view.get("type") == "modal"
    )


def _see_calls(world: World, method: str) -> int:
    return len([call for call in world.fake.calls_to(method) if call.team_id == SEE])


def _modal(callback_id: str, view_id: str = "VFORGED", metadata: str = "") -> dict[str, Any]:
    return {
        "id": view_id,
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "blocks": [],
        "hash": "1.x",
    }


def _initial_state(view: dict[str, Any]) -> dict[str, Any]:
    """A modal's inputs as Slack reports them when submitted untouched."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind in ("static_select", "external_select", "radio_buttons"):
            value: dict[str, Any] = {"type": kind, "selected_option": element.get("initial_option")}
        elif kind == "checkboxes":
            value = {"type": kind, "selected_options": element.get("initial_options", [])}
        elif kind == "datepicker":
            value = {"type": kind, "selected_date": element.get("initial_date")}
        else:
            value = {"type": kind, "value": element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: value}
    return values


async def test_seeblick_commands_options_and_actions_never_reach_alpen(world: World) -> None:
    db, see, alpen = world.db, world.see, world.alpen
    andrea_entry, mia_entry = world.alpen_hours
    alpen_customer = min(await _ids(db, alpen, Customer))
    alpen_project = min(await _ids(db, alpen, Project))
    alpen_activity = min(await _ids(db, alpen, Activity))

    unmet: list[str] = []  # what Seeblick should have been answered, checked after the counts

    def expect(condition: object, what: str) -> None:
        if not condition:
            unmet.append(what)

    # (1) Commands: each answers from Seeblick's data.
    week = await _command(world, SEE, SIMON, "/log-hours", "week")
    expect("Reporting 3" in json.dumps(week, ensure_ascii=False), "Simon's week shows his own entry")
    status = await _command(world, SEE, RETO, "/bx-sync", "status")
    expect("Seeblick Treuhand AG" in json.dumps(status, ensure_ascii=False), "the status names company 2")
    for line in (f"1h {name} / Umsetzung: probe" for name in ALPEN_ONLY_PROJECTS):
        refused = await _command(world, SEE, SIMON, "/log-hours", line)
        expect("No project matches" in refused.get("text", ""), f"/log-hours {line} is refused")
    refused = await _command(world, SEE, SIMON, "/log-expense", "12 ERP-Einführung 5 / Spesen: probe")
    expect("No project matches" in refused.get("text", ""), "/log-expense on Alpen's project is refused")
    opened = _see_calls(world, "views.update")
    await _command(world, SEE, RETO, "/invoice", modal=True)
    invoice = await _new_view(world, "views.update", opened)
    assert invoice["callback_id"] == invoice_modal.CALLBACK_ID
    opened = _see_calls(world, "views.open")
    await _command(world, SEE, SIMON, "/log-expense", modal=True)
    await world.fake.wait_for("views.open", lambda call: call.team_id == SEE, count=opened + 1)
    reto_home = await _home(world, RETO)
    assert world.see_secret in json.dumps(reto_home), "the admin's Home shows his own webhook URL"
    simon_home = await _home(world, SIMON)

    # (3) Options loads list Seeblick's records only — also when typing Alpen's names.
    # (Each value and label is checked by the audit: values against Alpen's ids, labels for markers.)
    for query in ("", "Alpen", MARK, "a"):
        await _options(
            world, RETO, invoice_modal.CUSTOMER_ACTION, query, invoice, invoice_modal.CUSTOMER_BLOCK
        )
    see_customers = {f"c:{i}" for i in await _ids(db, see, Customer)}
    offered = await _options(
        world, RETO, invoice_modal.CUSTOMER_ACTION, "", invoice, invoice_modal.CUSTOMER_BLOCK
    )
    expect(offered and set(offered) <= see_customers, "Seeblick's customers with unbilled work are offered")
    hours_form = _modal(hours_modal.CALLBACK_ID)
    for query in ("", "ERP", "App-Entwicklung", "5", MARK):
        await _options(world, SIMON, hours_modal.PROJECT_ACTION, query, hours_form)
    expect(
        not await _options(world, SIMON, hours_modal.PROJECT_ACTION, "ERP-Einführung", hours_form), "no ERP"
    )
    see_projects = {str(i) for i in await _ids(db, see, Project)}
    offered = await _options(world, SIMON, hours_modal.PROJECT_ACTION, "Reporting", hours_form)
    expect(offered and set(offered) <= see_projects, "Seeblick's projects are offered")
    mapping_opened = _see_calls(world, "views.open")
    await _act(world, RETO, account_mapping.OPEN_ACTION, view=reto_home)
    mapping = await _new_view(world, "views.open", mapping_opened)
    for query in ("", "3400", MARK):
        await _options(world, RETO, account_mapping.ACCOUNT_ACTION, query, mapping)
    income = await _options(world, RETO, account_mapping.ACCOUNT_ACTION, "", mapping)
    assert income, "Seeblick's income accounts are offered"

    # (2) Actions and submissions carrying Alpen's record ids.
    def menu(verb: str, kind: str, item: int) -> dict[str, Any]:
        return option(f"{verb}:{kind}:{item}", verb.title())

    for choice in (
        menu("edit", "time", andrea_entry),
        menu("delete", "time", mia_entry),
        menu("edit", "expense", world.alpen_expense),
        menu("delete", "expense", world.alpen_expense),
    ):
        before = _see_calls(world, "views.open")
        await _act(world, SIMON, week_view.MENU_ACTION, selected_option=choice, view=simon_home)
        await world.fake.wait_for("views.open", lambda call: call.team_id == SEE, count=before + 1)
    for entry in (andrea_entry, mia_entry):
        confirm = _modal(
            week_view.DELETE_CALLBACK_ID, metadata=ModalContext(entry_id=entry, kind="time").dump()
        )
        await _submit(world, SIMON, confirm, {})
    confirm = _modal(
        week_view.DELETE_CALLBACK_ID,
        metadata=ModalContext(entry_id=world.alpen_expense, kind="expense").dump(),
    )
    await _submit(world, SIMON, confirm, {})
    # Simon's own edit form, its private_metadata pointed at Andrea's entry.
    before = _see_calls(world, "views.update")
    await _act(
        world,
        SIMON,
        week_view.MENU_ACTION,
        selected_option=menu("edit", "time", world.simon_hours),
        view=simon_home,
    )
    own_form = await _new_view(world, "views.update", before)
    assert own_form["callback_id"] == hours_modal.CALLBACK_ID
    forged = {**own_form, "private_metadata": ModalContext(entry_id=andrea_entry).dump()}
    await _submit(world, SIMON, forged, _initial_state(own_form))
    # Undo buttons, a sealed "which project?" button of Andrea's, Retry on Alpen's parked job.
    await _act(world, SIMON, log_hours.UNDO_ACTION, value=str(andrea_entry))
    await _act(world, SIMON, log_expense.UNDO_ACTION, value=str(world.alpen_expense))
    await _act(world, RETO, world.alpen_pick["action_id"], value=world.alpen_pick["value"])
    await _act(world, RETO, bx_sync_view.RETRY_JOB_ACTION, value=str(world.alpen_parked_job))
    # The invoice modal: Alpen's customer and project chosen, Alpen's entries ticked, submitted.
    alpen_choice = option(f"c:{alpen_customer}", "a customer")
    state = {
        invoice_modal.CUSTOMER_BLOCK: {
            invoice_modal.CUSTOMER_ACTION: {"type": "external_select", "selected_option": alpen_choice}
        }
    }
    before = _see_calls(world, "views.update")
    await _act(
        world,
        RETO,
        invoice_modal.CUSTOMER_ACTION,
        block_id=invoice_modal.CUSTOMER_BLOCK,
        view=invoice,
        state=state,
        selected_option=alpen_choice,
    )
    await world.fake.wait_for("views.update", lambda call: call.team_id == SEE, count=before + 1)
    invoice_now = world.fake.modal(invoice["id"])
    project_choice = option(f"p:{alpen_project}", "a project")
    state[invoice_modal.PROJECT_BLOCK] = {
        invoice_modal.PROJECT_ACTION: {"type": "static_select", "selected_option": project_choice}
    }
    await _act(
        world,
        RETO,
        invoice_modal.PROJECT_ACTION,
        block_id=invoice_modal.PROJECT_BLOCK,
        view=invoice_now,
        state=state,
        selected_option=project_choice,
    )
    version = invoice_modal.selection_version(invoice_modal.read_state({"state": {"values": state}}))
    ticked = [option(key, "a line") for key in (f"f:{alpen_project}", f"t:{andrea_entry}", str(andrea_entry))]
    lines = {
        f"{invoice_modal.LINES_BLOCK_PREFIX}{version}:0": {
            invoice_modal.LINES_ACTION: {"type": "checkboxes", "selected_options": ticked}
        }
    }
    await _submit(world, RETO, world.fake.modal(invoice["id"]), {**state, **lines})
    # The account mapping: rows of Alpen's activity saved from Seeblick's modal, and a page turned.
    forged_rows = {
        account_mapping.block_id_for("activity", alpen_activity): {
            account_mapping.ACCOUNT_ACTION: {
                "type": "external_select",
                "selected_option": option(income[0], "an account"),
            }
        }
    }
    await _act(world, RETO, account_mapping.PAGE_ACTION, value="0", view=mapping, state=forged_rows)
    await _submit(world, RETO, mapping, forged_rows)
    # And a real import of Seeblick's: it must read company 2 only.
    await _command(world, SEE, RETO, "/bx-sync")
    await _wait_quiet_import(world)

    reads, writes = await _audit(world)
    # The attacks were answered, not ignored, and each answer said no more than "not there".
    said = [
        str(body.get("text")) for path, body in world.fake.hooks[world.mark_hooks :] if f"/{SEE}/" in path
    ]
    said += [shown for where, shown in world.shown_to_see if where.startswith("submission")]
    said += [
        json.dumps(c.params, ensure_ascii=False)
        for c in world.fake.calls[world.mark_calls :]
        if c.team_id == SEE
    ]
    answers = "\n".join(said)
    expect(answers.count("entry no longer exists") >= 5, "edit, delete, confirm, forged edit, undo refused")
    expect(
        answers.count("expense no longer exists") >= 4, "edit, delete, confirm, undo of the expense refused"
    )
    expect("not made for you" in answers, "Andrea's sealed button is refused for Reto")
    expect("no longer parked" in answers, "Alpen's parked job is not Seeblick's to retry")
    expect("This customer does not exist" in answers, "Alpen's customer is unknown to Seeblick's invoice")
    expect(not await _rows(db, see, Invoice) and not await _rows(db, alpen, Invoice), "no draft anywhere")
    expect(len(world.company_2.calls) > world.mark_company_2, "Seeblick's import read company 2")

    counted = {"cross-tenant reads": len(reads), "cross-tenant writes": len(writes)}
    assert counted == {"cross-tenant reads": 0, "cross-tenant writes": 0}, "\n".join(reads + writes)
    assert unmet == []


async def _wait_quiet_import(world: World) -> None:
    await asyncio.sleep(0.2)
    await _wait_imported(world.db, world.see)


async def _rows(db: Database, tenant_id: int, model: type[Any]) -> list[Any]:
    async with db.session(tenant_id) as session:
        return list(
            await session.scalars(select(model).where(model.tenant_id == tenant_id).order_by(model.id))
        )


# --- webhook paths and headers, and the command line ---------------------------------------------


@dataclass
class Ran:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


class Cli:
    """``bxhours.cli.main`` as an operator's shell on the server runs it: the deployment's settings in
    the environment, no ``.env``; each command on a thread (it runs its own event loop)."""

    SETTINGS = (
        "database_url",
        "slack_client_id",
        "slack_client_secret",
        "slack_signing_secret",
        "slack_api_url",
        "slack_authorize_url",
        "public_url",
        "bexio_api_url",
        "bexio_auth_url",
        "bexio_client_id",
        "bexio_client_secret",
        "bxhours_encryption_key",
    )

    def __init__(
        self, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cwd: Path
    ) -> None:
        self.world = world
        self.capsys = capsys
        for name in os.environ:
            if name.startswith(("SLACK_", "BEXIO_", "BXHOURS_", "DATABASE_")):
                monkeypatch.delenv(name)
        settings = world.stack.runtime.settings
        for name in self.SETTINGS:
            value = getattr(settings, name)
            if value is not None:
                plain = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
                monkeypatch.setenv(name.upper(), plain)
        monkeypatch.chdir(cwd)

    async def __call__(self, *args: str) -> Ran:
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        self.capsys.readouterr()
        try:
            code = await asyncio.to_thread(cli.main, list(args))
        finally:
            root.handlers[:] = handlers  # the CLI configures logging for a process of its own
            root.setLevel(level)
        out, err = self.capsys.readouterr()
        self.world.shown_to_see.append((f"bxhours {' '.join(args)}", out + err))
        return Ran(list(args), code, out, err)


async def _jobs(db: Database, after: int) -> list[Job]:
    async with db.system_session() as session:
        return list(await session.scalars(select(Job).where(Job.id > after).order_by(Job.id)))


async def _last_job(db: Database) -> int:
    async with db.system_session() as session:
        return int(await session.scalar(select(func.coalesce(func.max(Job.id), 0))) or 0)


async def _signed(
    http: httpx.AsyncClient, url: str, secret: str, workspace: str | None, body: dict[str, Any]
) -> httpx.Response:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(secret, stamp, raw),
    }
    if workspace is not None:
        headers[WORKSPACE_HEADER] = workspace
    return await http.post(f"{url}/bexio/webhook", content=raw, headers=headers)


async def test_webhook_paths_headers_and_the_cli_reach_only_their_workspace(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db, url = world.db, world.stack.url
    run = Cli(world, monkeypatch, capsys, tmp_path)
    unmet: list[str] = []

    def expect(condition: object, what: str) -> None:
        if not condition:
            unmet.append(what)

    wrong_jobs: list[str] = []
    # Seeblick's project 7 and Alpen's project 3: both ids exist in both companies.
    see_note, alpen_note = {"resource": "project", "id": 7}, {"resource": "project", "id": 3}
    async with httpx.AsyncClient(timeout=10) as http:
        # (4) Signed requests: a secret only opens its own workspace.
        mark = await _last_job(db)
        for secret, workspace in (
            (world.alpen_secret, SEE),  # Alpen's secret, naming Seeblick
            (world.see_secret, ALPEN),  # Seeblick's secret, naming Alpen
            (world.alpen_secret, None),  # no workspace named
            (world.alpen_secret, SEE.lower()),
        ):
            refused = await _signed(http, url, secret, workspace, see_note)
            expect(refused.status_code == 401, f"secret of the other workspace, header {workspace!r}: 401")
        refused = await http.post(f"{url}/bexio/webhook/not-a-workspace-secret", json=see_note)
        expect(refused.status_code == 401, "an unknown path token is 401")
        wrong_jobs += [
            f"refused request queued job {job.id} for tenant {job.tenant_id}" for job in await _jobs(db, mark)
        ]

        accepted = await _signed(http, url, world.see_secret, SEE, see_note)
        expect(accepted.status_code == 202, "Seeblick's own secret and header are accepted")
        see_jobs = await _jobs(db, mark)
        expect(see_jobs, "Seeblick's notification was queued")
        wrong_jobs += [
            f"Seeblick's request queued job {j.id} for tenant {j.tenant_id}"
            for j in see_jobs
            if j.tenant_id != world.see
        ]

        # (5) The command line: --workspace picks the tenant, and without it nothing is shown.
        await world.stack.runtime.services.settings.set(
            world.see, "default_activity", "meeting", actor="test"
        )
        listed = await run("settings", "list", "--workspace", SEE)
        exported = await run("export", "entries", "--format", "json", "--workspace", SEE)
        jobs = await run("jobs", "list", "--workspace", SEE)
        changed = await run("settings", "set", "time_rounding", "15:up", "--workspace", SEE)
        unnamed = [
            await run("settings", "list"),
            await run("export", "entries", "--format", "json"),
            await run("jobs", "list"),
        ]
        nobody = await run("settings", "list", "--workspace", "T0NOBODY")
    expect(
        listed.returncode == 0 and "person_rate:simon.steiner@seeblick.example = 140" in listed.stdout,
        listed.stderr,
    )
    expect(exported.returncode == 0, exported.stderr)
    rows = json.loads(exported.stdout) if exported.returncode == 0 else []
    see_count = len(await _ids(db, world.see, TimeEntry)) + len(await _ids(db, world.see, Expense))
    expect(len(rows) == see_count, f"the export has Seeblick's {see_count} rows, not {len(rows)}")
    expect(
        any("Seeblick Parkhaus" in json.dumps(row, ensure_ascii=False) for row in rows),
        "Simon's expense exported",
    )
    expect(jobs.returncode == 0, jobs.stderr)
    expect(changed.returncode == 0 and "time_rounding = 15:up" in changed.stdout, changed.stderr)
    for ran in unnamed:
        expect(ran.returncode == 1 and "--workspace" in ran.stderr, f"{ran.args}: {ran.stderr}")
        expect(ran.stdout.strip() in ("", "[]"), f"{ran.args} printed {ran.stdout[:200]}")
    expect(nobody.returncode == 1 and "no workspace T0NOBODY" in nobody.stderr, nobody.stderr)

    reads, writes = await _audit(world)
    writes += wrong_jobs

    # Then Alpen's own path token (also with Seeblick named in the header): Alpen's jobs only.
    mark, company_1 = await _last_job(db), len(world.company_1.calls)
    async with httpx.AsyncClient(timeout=10) as http:
        for headers in ({}, {WORKSPACE_HEADER: SEE}):
            accepted = await http.post(
                f"{url}/bexio/webhook/{world.alpen_secret}", json=alpen_note, headers=headers
            )
            expect(accepted.status_code == 202, f"Alpen's path token is accepted ({headers})")
    alpen_jobs = await _jobs(db, mark)
    expect(alpen_jobs, "Alpen's notification was queued")
    writes += [
        f"Alpen's path token queued job {j.id} for tenant {j.tenant_id}"
        for j in alpen_jobs
        if j.tenant_id != world.alpen
    ]

    # Each change job re-reads its project from its own company, with its own token.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        queued = [j for j in await _jobs(db, 0) if j.id in {k.id for k in see_jobs + alpen_jobs}]
        if all(j.status in ("done", "failed") for j in queued):
            break
        await asyncio.sleep(0.2)
    paths_1 = [call.path for call in world.company_1.calls[company_1:]]
    paths_2 = [call.path for call in world.company_2.calls[world.mark_company_2 :]]
    reads += [
        f"company 1 was asked for Seeblick's project: {p}" for p in paths_1 if re.search(r"pr_project/7\b", p)
    ]
    reads += [
        f"company 2 was asked for Alpen's project: {p}" for p in paths_2 if re.search(r"pr_project/3\b", p)
    ]
    expect(any(re.search(r"pr_project/3\b", p) for p in paths_1), f"Alpen's change read company 1: {paths_1}")
    expect(
        any(re.search(r"pr_project/7\b", p) for p in paths_2), f"Seeblick's change read company 2: {paths_2}"
    )

    counted = {"cross-tenant reads": len(reads), "cross-tenant writes": len(writes)}
    assert counted == {"cross-tenant reads": 0, "cross-tenant writes": 0}, "\n".join(reads + writes)
    assert unmet == []
