"""`/bx-sync` end to end: signed Slack requests, the real server and worker, the bexio sandbox.

Each test gets a fresh sandbox company (demo seed, 2 500 timesheets: two pages) and a fresh
database; bexio data is changed by replacing records in ``sandbox.state.tables``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bexio.pacing import Pacer
from bexio.sandbox import RunningSandbox, build_state, serve_sandbox
from bexio.sandbox.seed import KUNDEN_GROUP_ID
from bexio.testing import FakeTime
from bot.views import bx_sync as views
from bxhours.fakes.invoicing_seed import WorkLog
from bxhours.fakes.slack_api import SlackCall
from bxhours.fakes.stack import ANDREA, GUEST, MIA, NOAH, Stack, run_stack
from core.clock import to_local
from services.importing.summary import ImportSummary
from storage.models import Customer, Job, Project, SyncRun, TimeEntry, User

TIMESHEETS = 2500


@pytest.fixture(scope="module")
def demo_state_factory():  # type: ignore[no-untyped-def]
    return lambda: build_state("demo", timesheets=TIMESHEETS)


# --- helpers ---------------------------------------------------------------------------------------


def _over(call: SlackCall) -> bool:
    text = str(call.params.get("text", ""))
    return text.startswith("Import from bexio finished") or text.startswith("Import from bexio failed")


async def import_via_slack(stack: Stack, user: str = ANDREA) -> tuple[str, ImportSummary | None]:
    """Run `/bx-sync` and wait for its last message; returns that text and the stored summary."""
    before = len([call for call in stack.fake.calls_to("chat.update") if _over(call)])
    response = await stack.slack.command("/bx-sync", "", user_id=user)
    assert response.status == 200
    assert "started" in response.text, response.text
    calls = await stack.fake.wait_for("chat.update", _over, count=before + 1, timeout=60)
    await until_jobs_settle(stack)
    return str(calls[-1].params["text"]), await last_summary(stack)


async def until_jobs_settle(stack: Stack) -> None:
    for _ in range(200):
        counts = await stack.runtime.queue.counts(stack.tenant_id)
        if counts.queued + counts.running == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the import job did not finish")


async def last_summary(stack: Stack) -> ImportSummary | None:
    view = await stack.runtime.services.sync_status.connection(stack.tenant_id)
    assert view.last_run is not None
    return view.last_run.summary


async def count(stack: Stack, model: Any, *conditions: Any) -> int:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


def set_contact(sandbox: RunningSandbox, contact_id: int, **changes: Any) -> None:
    contacts = sandbox.state.tables["contact"]
    contacts[contact_id] = {**contacts[contact_id], **changes}


def active_contact_ids(sandbox: RunningSandbox) -> list[int]:
    archived = sandbox.state.archived["contact"]
    return sorted(cid for cid in sandbox.state.tables["contact"] if cid not in archived)


def tag_exactly(sandbox: RunningSandbox, tagged: int) -> list[int]:
    """Exactly `tagged` non-archived contacts carry the "Kunden" group; returns their ids."""
    ids = active_contact_ids(sandbox)
    for position, contact_id in enumerate(ids):
        set_contact(sandbox, contact_id, contact_group_ids=str(KUNDEN_GROUP_ID) if position < tagged else "1")
    return ids[:tagged]


# --- the customers rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(("tagged", "mode"), [(0, "all"), (9, "all"), (10, "tagged"), (11, "tagged")])
async def test_customers_rule_by_number_of_tagged_contacts(
    stack: Stack, sandbox: RunningSandbox, tagged: int, mode: str
) -> None:
    tagged_ids = tag_exactly(sandbox, tagged)
    everyone = active_contact_ids(sandbox)
    _text, summary = await import_via_slack(stack)
    assert summary is not None
    assert summary.customer_rule == mode
    expected = len(everyone) if mode == "all" else tagged
    assert summary.resources["customers"].total == expected
    assert str(tagged) in summary.customer_rule_reason
    async with stack.runtime.db.session(stack.tenant_id) as session:
        customers = set(await session.scalars(select(Customer.bexio_id).where(Customer.active.is_(True))))
    assert customers == set(everyone if mode == "all" else tagged_ids)
    message = stack.fake.dm_messages(ANDREA)[-1]
    assert f"Customers rule ({mode})" in str(message["blocks"])


async def test_archived_contacts_are_never_customers(stack: Stack, sandbox: RunningSandbox) -> None:
    tag_exactly(sandbox, 12)
    archived = sorted(sandbox.state.archived["contact"])
    for contact_id in archived:  # even tagged, an archived contact does not count
        set_contact(sandbox, contact_id, contact_group_ids=str(KUNDEN_GROUP_ID))
    _text, summary = await import_via_slack(stack)
    assert summary is not None and summary.customer_rule == "tagged"
    assert summary.resources["customers"].total == 12
    assert await count(stack, Customer, Customer.bexio_id.in_(archived)) == 0


async def test_group_3_is_not_found_in_13_31(stack: Stack, sandbox: RunningSandbox) -> None:
    """Category "Lieferanten" is group 3: ten contacts in groups "13,31" must not count as tagged."""
    sandbox.state.tables["contact_group"][13] = {"id": 13, "name": "Gruppe 13"}
    sandbox.state.tables["contact_group"][31] = {"id": 31, "name": "Gruppe 31"}
    ids = active_contact_ids(sandbox)
    for contact_id in ids[:10]:
        set_contact(sandbox, contact_id, contact_group_ids="13,31")
    for contact_id in ids[10:19]:
        set_contact(sandbox, contact_id, contact_group_ids="31,3")
    for contact_id in ids[19:]:
        set_contact(sandbox, contact_id, contact_group_ids=None)
    await stack.runtime.services.settings.set(
        stack.tenant_id, "customer_category", "Lieferanten", actor="test"
    )
    _text, summary = await import_via_slack(stack)
    assert summary is not None
    assert summary.customer_rule == "all"  # 9 tagged: a substring match would have found 19
    assert "Only 9 contacts are in “Lieferanten”" in summary.customer_rule_reason
    assert summary.resources["customers"].total == len(ids)


async def test_no_customers_group_imports_everyone_and_says_why(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    await stack.runtime.services.settings.set(stack.tenant_id, "customer_category", "Klienten", actor="test")
    _text, summary = await import_via_slack(stack)
    assert summary is not None
    assert summary.customer_rule == "no-category"
    assert "No contact group is named Klienten" in summary.customer_rule_reason
    assert summary.resources["customers"].total == len(active_contact_ids(sandbox))


async def test_rule_flip_deactivates_customers_that_drop_out_and_keeps_their_work(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    tag_exactly(sandbox, 9)
    _text, first = await import_via_slack(stack)
    assert first is not None and first.customer_rule == "all"
    entries = await count(stack, TimeEntry)
    projects = await count(stack, Project, Project.active.is_(True))
    everyone = len(active_contact_ids(sandbox))
    tag_exactly(sandbox, 11)
    _text, second = await import_via_slack(stack)
    assert second is not None and second.customer_rule == "tagged"
    assert second.resources["customers"].deactivated == everyone - 11
    assert second.resources["customers"].total == 11
    assert await count(stack, Customer, Customer.active.is_(False)) == everyone - 11
    assert await count(stack, TimeEntry) == entries
    assert await count(stack, Project, Project.active.is_(True)) == projects
    # A customer that dropped out with unbilled work is still offered for invoicing; one without is not.
    async with stack.runtime.db.session(stack.tenant_id) as session:
        dropped = (
            await session.execute(
                select(Customer.id, Project.id, TimeEntry.user_id, TimeEntry.activity_id)
                .join(Project, Project.customer_id == Customer.id)
                .join(TimeEntry, TimeEntry.project_id == Project.id)
                .where(Customer.active.is_(False), Project.invoice_type == 1)
                .limit(1)
            )
        ).one()
    await WorkLog(stack.runtime.db, stack.tenant_id).entry(
        user_id=dropped[2],
        project_id=dropped[1],
        activity_id=dropped[3],
        day=stack.runtime.services.invoicing.today(),
        minutes=90,
    )
    choices = await stack.runtime.services.invoicing.customer_choices(
        stack.tenant_id, "", period_from=None, period_to=None
    )
    offered = {choice.customer.id: choice for choice in choices}
    assert dropped[0] in offered and not offered[dropped[0]].customer.active
    assert offered[dropped[0]].unbilled is not None and offered[dropped[0]].unbilled > 0
    assert all(choice.customer.active or choice.unbilled for choice in choices)


# --- idempotency, removals, people, hours ----------------------------------------------------------


async def test_second_import_with_nothing_changed_reports_zero_changes(stack: Stack) -> None:
    _text, first = await import_via_slack(stack)
    assert first is not None and first.changed > TIMESHEETS
    text, second = await import_via_slack(stack)
    assert second is not None
    assert second.changed == 0, second.to_json()
    assert text.endswith(": 0 changes.")
    assert all(changes.total > 0 for changes in second.resources.values())


async def test_contact_removed_in_bexio_becomes_inactive_and_its_entries_stay(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    await import_via_slack(stack)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        customer_id, bexio_id = (
            await session.execute(
                select(Customer.id, Customer.bexio_id)
                .join(Project, Project.customer_id == Customer.id)
                .join(TimeEntry, TimeEntry.project_id == Project.id)
                .limit(1)
            )
        ).one()
    entries = await count(
        stack,
        TimeEntry,
        TimeEntry.project_id.in_(select(Project.id).where(Project.customer_id == customer_id)),
    )
    assert entries > 0
    sandbox.state.archived["contact"].add(bexio_id)  # what deleting a contact does in bexio
    _text, summary = await import_via_slack(stack)
    assert summary is not None
    assert summary.resources["customers"].deactivated == 1
    async with stack.runtime.db.session(stack.tenant_id) as session:
        customer = await session.get(Customer, customer_id)
        assert customer is not None and customer.active is False
    assert (
        await count(
            stack,
            TimeEntry,
            TimeEntry.project_id.in_(select(Project.id).where(Project.customer_id == customer_id)),
        )
        == entries
    )


async def test_archived_project_becomes_inactive_with_a_reason(stack: Stack, sandbox: RunningSandbox) -> None:
    await import_via_slack(stack)
    sandbox.state.archived["pr_project"].add(3)
    _text, summary = await import_via_slack(stack)
    assert summary is not None and summary.resources["projects"].deactivated == 1
    async with stack.runtime.db.session(stack.tenant_id) as session:
        project = await session.scalar(select(Project).where(Project.bexio_id == 3))
    assert project is not None and not project.active
    assert project.inactive_reason == "archived or deleted in bexio"


async def test_people_are_matched_by_email_ignoring_case(stack: Stack, sandbox: RunningSandbox) -> None:
    _text, summary = await import_via_slack(stack)
    assert summary is not None
    async with stack.runtime.db.session(stack.tenant_id) as session:
        linked = {
            u.slack_user_id: u
            for u in await session.scalars(select(User).where(User.slack_user_id.is_not(None)))
        }
    assert set(linked) == {ANDREA, MIA, NOAH}  # Andrea's Slack e-mail differs from bexio's in case
    assert linked[ANDREA].role == "admin"  # bexio superadmin
    assert linked[MIA].role == "member"
    assert not await stack.runtime.services.people.is_admin(stack.tenant_id, MIA)
    unmatched = {person.email for person in summary.unmatched}
    assert len(unmatched) == len(sandbox.state.tables["user"]) - 3
    assert "lea.weber@alpenblick.example" in unmatched
    message = stack.fake.dm_messages(ANDREA)[-1]
    assert "Not linked to a Slack account (12)" in str(message["blocks"])


async def test_admin_links_a_person_by_hand_and_the_import_keeps_it(stack: Stack) -> None:
    await import_via_slack(stack)
    response = await stack.slack.command(
        "/bx-sync", f"link <@{GUEST}|gina> Lea.Weber@alpenblick.example", user_id=ANDREA
    )
    assert response.text.startswith(f"Linked <@{GUEST}> to Lea Weber")
    refused = await stack.slack.command(
        "/bx-sync", f"link <@{GUEST}|gina> lea.weber@alpenblick.example", user_id=MIA
    )
    assert refused.text.startswith("Only admins can link people")
    typo = await stack.slack.command("/bx-sync", "link gina lea.weber@alpenblick.example", user_id=ANDREA)
    assert "is not a Slack mention" in typo.text
    unknown = await stack.slack.command("/bx-sync", f"link <@{GUEST}|gina> nobody@example.ch", user_id=ANDREA)
    assert "No bexio user has the e-mail" in unknown.text
    _text, summary = await import_via_slack(stack)
    person = await stack.runtime.services.people.by_slack_id(stack.tenant_id, GUEST)
    assert person is not None and person.email == "lea.weber@alpenblick.example"
    assert person.linked_by == "admin"
    assert summary is not None and "lea.weber@alpenblick.example" not in {p.email for p in summary.unmatched}


async def test_historic_hours_become_entries_with_their_rate_billable_flag_and_status(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    _text, summary = await import_via_slack(stack)
    assert summary is not None and summary.resources["timesheets"].created == TIMESHEETS
    timesheets = sandbox.state.tables["timesheet"]
    activities = sandbox.state.tables["client_service"]
    projects = sandbox.state.tables["pr_project"]
    async with stack.runtime.db.session(stack.tenant_id) as session:
        entries = list(await session.scalars(select(TimeEntry)))
        project_bexio = {p.id: p.bexio_id for p in await session.scalars(select(Project))}
    assert {entry.source for entry in entries} == {"bexio"}
    checked = 0
    for entry in entries:
        record = timesheets[entry.bexio_timesheet_id]
        assert entry.billable == record["allowable_bill"]
        assert entry.bexio_status_id == record["status_id"]
        assert entry.day.isoformat() == record["date"]
        if record["pr_project_id"] is None:
            assert entry.project_id is None and entry.rate is None
            continue
        assert project_bexio[entry.project_id] == record["pr_project_id"]
        invoice_type = projects[record["pr_project_id"]]["pr_invoice_type_id"]
        if invoice_type == 1:  # per activity: bexio's default_price_per_hour
            expected = activities[record["client_service_id"]]["default_price_per_hour"]
            assert entry.rate == pytest.approx(expected) and entry.rate_source == "activity_default"
            checked += 1
        elif invoice_type == 3:  # per project: the project's amount
            assert str(entry.rate) == projects[record["pr_project_id"]]["pr_invoice_type_amount"]
        elif invoice_type == 4:
            assert entry.rate is None and entry.rate_source == "fixed_price"
        else:  # per employee, and bxhours has no person_rate setting yet
            assert entry.rate is None and entry.rate_source == "missing"
    assert checked > 100


async def test_hours_written_back_by_bxhours_are_not_imported_again(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    await import_via_slack(stack)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        entry = await session.scalar(select(TimeEntry).where(TimeEntry.bexio_timesheet_id == 1))
        assert entry is not None
        entry.source, entry.note = "slack", "logged in Slack, written back to bexio"
    timesheet = sandbox.state.tables["timesheet"][1]
    sandbox.state.tables["timesheet"][1] = {**timesheet, "text": "changed in bexio"}
    _text, summary = await import_via_slack(stack)
    assert summary is not None and summary.changed == 0
    async with stack.runtime.db.session(stack.tenant_id) as session:
        entries = list(await session.scalars(select(TimeEntry).where(TimeEntry.bexio_timesheet_id == 1)))
    assert [(e.source, e.note) for e in entries] == [("slack", "logged in Slack, written back to bexio")]


# --- failures and refusals -------------------------------------------------------------------------


async def test_429_storm_mid_import_completes(
    stack: Stack, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_time = FakeTime()  # bexio's reset can be a minute away; the test must not wait for it
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    monkeypatch.setattr(stack.runtime.services.bexio, "pacer", lambda tenant_id: pacer)
    sandbox.state.faults.script("GET /2.0/timesheet", ["pass", 429, 429, 429, 429, 429, 429])
    text, summary = await import_via_slack(stack)
    assert text.startswith("Import from bexio finished"), text
    assert summary is not None and summary.resources["timesheets"].total == TIMESHEETS
    storm = [call for call in sandbox.state.calls if call.fault == "429"]
    assert len(storm) == 6
    assert len(fake_time.sleeps) >= 6


async def test_revoked_token_mid_import_fails_clearly_and_keeps_the_previous_data(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    await import_via_slack(stack)
    entries = await count(stack, TimeEntry)
    sandbox.state.tables["timesheet"][9999] = {**sandbox.state.tables["timesheet"][1], "id": 9999}
    del sandbox.state.tables["timesheet"][2]
    sandbox.state.faults.script("GET /2.0/timesheet", ["pass", 401])  # the token dies on page two
    text, _summary = await import_via_slack(stack)
    assert text.startswith("Import from bexio failed")
    assert "expired or was revoked" in text and "BEXIO_ACCESS_TOKEN" in text
    assert "Traceback" not in text
    assert await count(stack, TimeEntry) == entries  # neither the new nor the deleted one applied
    assert await count(stack, TimeEntry, TimeEntry.bexio_timesheet_id == 2) == 1
    async with stack.runtime.db.session(stack.tenant_id) as session:
        run = await session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run is not None and run.status == "failed" and "expired or was revoked" in (run.error or "")

    # The connection shows as broken, and the parked job can be retried by an admin.
    status = await stack.slack.command("/bx-sync", "status", user_id=ANDREA)
    assert "bexio ✗ broken" in status.message_text
    assert "1 failed" in status.message_text
    retry = [
        b for b in status.json["blocks"] if b.get("accessory", {}).get("action_id") == views.RETRY_JOB_ACTION
    ]
    assert len(retry) == 1
    member_view = await stack.slack.command("/bx-sync", "status", user_id=MIA)
    assert views.RETRY_JOB_ACTION not in member_view.text
    published = len(stack.fake.calls_to("views.publish"))
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish", count=published + 1)
    assert "bexio ✗ broken" in str(stack.fake.home[ANDREA]["blocks"])

    job_id = retry[0]["accessory"]["value"]
    response = await stack.slack.block_action(ANDREA, views.RETRY_JOB_ACTION, value=job_id)
    assert response.status == 200
    await stack.fake.wait_for_hook(lambda body: f"Job #{job_id} is queued again" in body.get("text", ""))
    calls = await stack.fake.wait_for("chat.update", _over, count=3, timeout=60)
    assert calls[-1].params["text"].startswith("Import from bexio finished")
    await until_jobs_settle(stack)
    assert await count(stack, TimeEntry, TimeEntry.bexio_timesheet_id == 9999) == 1
    assert await count(stack, TimeEntry, TimeEntry.bexio_timesheet_id == 2) == 0
    status = await stack.slack.command("/bx-sync", "status", user_id=ANDREA)
    assert "bexio ✓ connected" in status.message_text


async def test_missing_scope_says_which(stack: Stack, sandbox: RunningSandbox) -> None:
    sandbox.state.faults.script("GET /3.0/taxes", [403])
    text, _summary = await import_via_slack(stack)
    assert text.startswith("Import from bexio failed")
    assert "the token needs the scope `accounting`" in text


async def test_non_admin_is_refused(stack: Stack) -> None:
    response = await stack.slack.command("/bx-sync", "", user_id=MIA)
    assert response.text.startswith("Only admins can import from bexio")
    assert await count(stack, SyncRun) == 0
    async with stack.runtime.db.system_session() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 0


async def test_concurrent_bx_sync_is_refused_with_who_and_when(stack: Stack, sandbox: RunningSandbox) -> None:
    sandbox.state.faults.latency_ms = 100  # an import that takes a few seconds
    first, second = await asyncio.gather(
        stack.slack.command("/bx-sync", "", user_id=ANDREA),
        stack.slack.command("/bx-sync", "", user_id=ANDREA),
    )
    texts = sorted([first.text, second.text])
    assert texts[0].startswith("An import from bexio is already running")
    assert texts[1].startswith("Import from bexio started")
    async with stack.runtime.db.session(stack.tenant_id) as session:
        run = await session.scalar(select(SyncRun))
    assert run is not None
    assert f"started by <@{ANDREA}> at {to_local(run.created_at, 'Europe/Zurich'):%H:%M}" in texts[0]
    third = await stack.slack.command("/bx-sync", "", user_id=ANDREA)
    assert third.text.startswith("An import from bexio is already running")
    status = await stack.slack.command("/bx-sync", "status", user_id=MIA)
    assert "⏳ import running since" in status.message_text
    sandbox.state.faults.latency_ms = 0
    await stack.fake.wait_for("chat.update", _over, timeout=60)
    await until_jobs_settle(stack)
    assert await count(stack, SyncRun) == 1


async def test_progress_message_is_posted_to_the_dm_and_updated_with_growing_counts(stack: Stack) -> None:
    text, _summary = await import_via_slack(stack)
    assert text.startswith("Import from bexio finished")
    opened = stack.fake.calls_to("conversations.open")
    assert [call.params["users"] for call in opened] == [ANDREA]
    posted = stack.fake.calls_to("chat.postMessage")
    assert len(posted) == 1 and posted[0].params["channel"] == "D01ANDREA"
    updates = stack.fake.calls_to("chat.update")
    assert {call.params["ts"] for call in updates} == {stack.fake.dm_messages(ANDREA)[0]["ts"]}
    counts = [
        int(match.group(1).replace("'", ""))
        for call in updates
        if (match := re.search(r"([\d']+) records read", str(call.params["text"])))
    ]
    assert len(counts) >= 5
    assert counts == sorted(counts) and counts[-1] > counts[0]
    phases = [re.search(r": (.+?) \(\d+/13\)", str(call.params["text"])) for call in updates[:-1]]
    assert [m.group(1) for m in phases if m][:4] == [
        "Company profile",
        "Users",
        "Contact groups",
        "Customers",
    ]


async def test_status_and_help(stack: Stack) -> None:
    before = await stack.slack.command("/bx-sync", "status", user_id=MIA)
    assert "not imported yet" in before.message_text
    await import_via_slack(stack)
    status = await stack.slack.command("/bx-sync", "status", user_id=MIA)
    text = status.message_text
    assert "bexio ✓ connected · Alpenblick Digital AG" in text
    assert "personal access token" in text
    assert "last import" in text and "✓" in text
    assert "0 pending · 0 failed" in text
    help_text = (await stack.slack.command("/bx-sync", "help", user_id=MIA)).text
    for subcommand in ("/bx-sync status", "/bx-sync link", "/bx-sync help"):
        assert subcommand in help_text


# --- the App Home ----------------------------------------------------------------------------------


async def test_home_footer_shows_the_connection_and_sync_now_for_admins(stack: Stack) -> None:
    await import_via_slack(stack)
    await stack.slack.open_home(MIA)
    await stack.fake.wait_for("views.publish", lambda call: call.params["user_id"] == MIA)
    published = len(stack.fake.calls_to("views.publish"))
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish", count=published + 1)
    andrea, mia = str(stack.fake.home[ANDREA]["blocks"]), str(stack.fake.home[MIA]["blocks"])
    for seen in (andrea, mia):
        assert "bexio ✓ connected · Alpenblick Digital AG" in seen
        assert "last import" in seen
    assert views.SYNC_NOW_ACTION in andrea and views.SYNC_NOW_ACTION not in mia

    response = await stack.slack.block_action(
        ANDREA, views.SYNC_NOW_ACTION, value="sync", view=stack.fake.home[ANDREA]
    )
    assert response.status == 200
    calls = await stack.fake.wait_for("chat.update", _over, count=2, timeout=60)
    assert calls[-1].params["text"].endswith(": 0 changes.")


@pytest.fixture
async def expiring_stack(database_url: str, db: Any) -> AsyncIterator[Stack]:
    state = build_state("demo", timesheets=10)
    token = state.issue_pat(lifetime=timedelta(days=3))
    async with (
        serve_sandbox(state) as sandbox,
        run_stack(database_url, bexio_url=sandbox.url, bexio_token=token) as running,
    ):
        yield running


async def test_home_warns_seven_days_before_the_token_expires(expiring_stack: Stack) -> None:
    await expiring_stack.slack.open_home(ANDREA)
    await expiring_stack.fake.wait_for("views.publish")
    assert "⚠️ the bexio token expires on" in str(expiring_stack.fake.home[ANDREA]["blocks"])


async def test_import_goes_on_when_slack_will_not_list_its_members(stack: Stack) -> None:
    stack.fake.fail_next("users.list", "missing_scope")
    text, summary = await import_via_slack(stack)
    assert text.startswith("Import from bexio finished")
    assert summary is not None
    assert any("missing_scope" in note for note in summary.notes)
    assert len(summary.unmatched) == summary.resources["users"].total


# --- records bexio sends that cannot be read (issue 11 §2) ------------------------------------------


async def test_an_unreadable_customer_is_named_in_the_summary_the_status_and_the_app_home(
    stack: Stack, sandbox: RunningSandbox
) -> None:
    await import_via_slack(stack)
    broken = active_contact_ids(sandbox)[0]
    set_contact(sandbox, broken, contact_type_id="Firma")
    customers = await count(stack, Customer, Customer.active.is_(True))

    _text, summary = await import_via_slack(stack)

    assert summary is not None and [(s.resource, s.id) for s in summary.skipped] == [("customers", broken)]
    assert await count(stack, Customer, Customer.active.is_(True)) == customers  # nothing deactivated
    said = f"1 customer could not be read: id {broken} — contact_type_id"
    assert said in str(stack.fake.dm_messages(ANDREA)[-1]["blocks"])
    status = await stack.slack.command("/bx-sync", "status", user_id=ANDREA)
    assert said in status.message_text
    published = len(stack.fake.calls_to("views.publish"))
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish", count=published + 1)
    assert said in str(stack.fake.home[ANDREA]["blocks"])

    # The next import that reads it says nothing more about it.
    set_contact(sandbox, broken, contact_type_id=1)
    _text, summary = await import_via_slack(stack)
    assert summary is not None and summary.skipped == []
    status = await stack.slack.command("/bx-sync", "status", user_id=ANDREA)
    assert "could not be read" not in status.message_text
