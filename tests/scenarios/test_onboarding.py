"""The setup checklist in an admin's App Home (issue 13 §8): ① bexio connected ② first import
③ every activity and expense category has an account ④ people linked ⑤ the team invited — each
step read from the database, Link and Post how-to from the App Home, forged clicks refused, and the
checklist gone once all five are done."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bexio.sandbox import build_state
from bot.views import account_mapping
from bot.views import home as home_view
from bot.views import onboarding as views
from bxhours.fakes import block_kit
from bxhours.fakes.slack_api import SlackCall
from bxhours.fakes.stack import ANDREA, GUEST, MIA, Stack
from services.home import HomeData
from services.onboarding import PEOPLE_SHOWN, Checklist, UnlinkedPerson
from services.week import WeekDay, WeekItem, WeekView
from storage.models import Account, Activity, AuditLog, ExpenseCategory, User
from storage.tenants import TenantRepository

CHANNEL = "C0TEAM"
LEA = "lea.weber@alpenblick.example"


@pytest.fixture(scope="module")
def demo_state_factory():  # type: ignore[no-untyped-def]
    return lambda: build_state("demo", timesheets=10)


# --- helpers ---------------------------------------------------------------------------------------


def _finished(call: SlackCall) -> bool:
    return str(call.params.get("text", "")).startswith("Import from bexio finished")


async def _import(stack: Stack) -> None:
    response = await stack.slack.command("/bx-sync", "", user_id=ANDREA)
    assert "started" in response.text, response.text
    await stack.fake.wait_for("chat.update", _finished, timeout=60)
    for _ in range(200):
        counts = await stack.runtime.queue.counts(stack.tenant_id)
        if counts.queued + counts.running == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not settle")


async def _home(stack: Stack, user: str = ANDREA) -> dict[str, Any]:
    """Open the App Home and return it as Slack now shows it."""
    before = len([c for c in stack.fake.calls_to("views.publish") if c.params["user_id"] == user])
    await stack.slack.open_home(user)
    await stack.fake.wait_for("views.publish", lambda c: c.params["user_id"] == user, count=before + 1)
    return stack.fake.home[user]


async def _click(
    stack: Stack, action_id: str, value: str, *, block_id: str, state: dict[str, Any], user: str = ANDREA
) -> dict[str, Any]:
    """A click in the App Home (the admin's, whoever clicks); returns the App Home as Slack shows
    it once the handler finished."""
    home = stack.fake.home[ANDREA]
    response = await stack.slack.block_action(
        user, action_id, value=value, block_id=block_id, view=home, state=state
    )
    assert response.status == 200, response.text
    await stack.runtime.drain(10)
    return stack.fake.home[ANDREA]


def _link_state(person_id: int, slack_user: str) -> dict[str, Any]:
    return {
        views.person_block_id(person_id): {
            views.PERSON_ACTION: {"type": "users_select", "selected_user": slack_user}
        }
    }


async def _link(stack: Stack, person_id: int, slack_user: str, *, user: str = ANDREA) -> dict[str, Any]:
    return await _click(
        stack,
        views.LINK_ACTION,
        str(person_id),
        block_id=views.person_block_id(person_id),
        state=_link_state(person_id, slack_user),
        user=user,
    )


async def _post_howto(stack: Stack, channel: str) -> dict[str, Any]:
    state = {
        views.INVITE_BLOCK: {
            views.CHANNEL_ACTION: {"type": "conversations_select", "selected_conversation": channel}
        }
    }
    return await _click(stack, views.INVITE_ACTION, "post", block_id=views.INVITE_BLOCK, state=state)


def _text(home: dict[str, Any]) -> str:
    return str(home["blocks"])


def _step(home: dict[str, Any], number: int) -> str:
    """The line of step ``number`` (1…5) as the admin reads it."""
    mark = views.NUMBERS[number - 1]
    for block in home["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if f" {mark} *" in text:
            return str(text)
    raise AssertionError(f"no step {number} in the App Home")


def _person_rows(home: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in home["blocks"] if str(b.get("block_id", "")).startswith(views.PERSON_BLOCK_PREFIX)]


async def _person(stack: Stack, email: str) -> User:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        found = await session.scalar(select(User).where(User.email == email))
        assert found is not None, email
        return found


async def _links(stack: Stack) -> dict[int, str | None]:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        return {u.id: u.slack_user_id for u in await session.scalars(select(User))}


async def _dm_saying(stack: Stack, user: str, words: str) -> str:
    calls = await stack.fake.wait_for(
        "chat.postMessage",
        lambda c: c.params.get("channel") == "D" + user.lstrip("UW") and words in str(c.params.get("text")),
    )
    return str(calls[-1].params["text"])


# --- the steps -------------------------------------------------------------------------------------


async def test_before_the_first_import_only_the_token_is_there(stack: Stack) -> None:
    home = await _home(stack)
    assert "*Set up bxhours* · 0 of 5 done" in _text(home)
    # Token mode: nobody knows whether the token works until an import got through.
    assert _step(home, 1).startswith("○ ① *bexio connected* — the access token is set")
    assert _step(home, 2).startswith("○ ② *First import* — not yet")
    assert "after the first import" in _step(home, 3)
    assert "after the first import" in _step(home, 4)
    assert _step(home, 5).startswith("○ ⑤ *Invite the team*")
    assert not _person_rows(home)
    assert views.INVITE_ACTION in _text(home)
    # Only admins see it.
    assert "Set up bxhours" not in _text(await _home(stack, MIA))


async def test_after_the_import_accounts_and_people_are_counted(stack: Stack) -> None:
    await _import(stack)
    home = await _home(stack)
    assert _step(home, 1) == "✓ ① *bexio connected* — connected to Alpenblick Digital AG."
    assert _step(home, 2).startswith("✓ ② *First import*")
    # The demo company books every activity; a new workspace's expense categories (Reisekosten,
    # Spesen, Material) have no account until an admin chooses one.
    assert _step(home, 3) == (
        "○ ③ *Every activity and expense category has an account* — "
        "3 expense categories have no account — choose them in *Account mapping*."
    )
    async with stack.runtime.db.session(stack.tenant_id) as session:
        income = await _income_account(session)
        activity = await session.scalar(select(Activity).order_by(Activity.id).limit(1))
        assert activity is not None
        activity.bexio_account_id = activity.mapped_account_id = None
        for category in list(await session.scalars(select(ExpenseCategory)))[1:]:
            category.account_id = income
    home = await _home(stack)
    assert "— 1 activity and 1 expense category have no account —" in _step(home, 3)
    # ③ opens the Account mapping modal with the button of the admin tools.
    block = next(b for b in home["blocks"] if b.get("block_id") == views.ACCOUNTS_BLOCK)
    assert block["accessory"]["action_id"] == account_mapping.OPEN_ACTION
    response = await stack.slack.block_action(
        ANDREA, account_mapping.OPEN_ACTION, value="open", block_id=views.ACCOUNTS_BLOCK, view=home
    )
    assert response.status == 200
    opened = await stack.fake.wait_for("views.open")
    assert opened[-1].params["view"]["callback_id"] == account_mapping.CALLBACK_ID

    assert "12 people from bexio have no Slack account yet" in _step(home, 4)
    rows = _person_rows(home)
    assert len(rows) == PEOPLE_SHOWN
    first = rows[0]["elements"]
    assert [e["type"] for e in first] == ["users_select", "button"]
    assert first[1]["text"]["text"].startswith("Link ")
    assert "and 2 more — they appear here as you link these" in _text(home)


async def test_link_from_the_picker_links_the_person_and_the_step_counts_down(stack: Stack) -> None:
    await _import(stack)
    await _home(stack)
    lea = await _person(stack, LEA)
    home = await _link(stack, lea.id, GUEST)
    linked = await _person(stack, LEA)
    assert linked.slack_user_id == GUEST and linked.linked_by == "admin"
    assert "11 people from bexio have no Slack account yet" in _step(home, 4)
    assert views.person_block_id(lea.id) not in _text(home)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "person.link"))
    assert audit is not None and audit.actor == ANDREA and audit.details["slack_user_id"] == GUEST
    # Gina can log time now: her App Home greets her as Lea Weber.
    assert "Hi Lea Weber" in _text(await _home(stack, GUEST))


async def test_forged_links_are_refused_and_change_nothing(stack: Stack) -> None:
    await _import(stack)
    await _home(stack)
    lea = await _person(stack, LEA)
    mia = await _person(stack, "mia.schmid@alpenblick.example")
    other = await TenantRepository(stack.runtime.db).ensure("T0OTHER", "Other Workspace")
    async with stack.runtime.db.session(other.id) as session:
        stranger = User(bexio_id=1, email="x@other.example", firstname="Other", updated_at=datetime.now(UTC))
        session.add(stranger)
    before = await _links(stack)

    # Someone who is not an admin (any more): refused by the surface, told so.
    await _link(stack, lea.id, GUEST, user=MIA)
    assert "Only admins can use the setup checklist" in await _dm_saying(stack, MIA, "Only admins")
    # Another workspace's person, a person who does not exist, one who is linked already.
    await _link(stack, stranger.id, GUEST)
    await _dm_saying(stack, ANDREA, "not a bexio user of this workspace")
    await _link(stack, 987654321, GUEST)
    await stack.fake.wait_for(
        "chat.postMessage",
        lambda c: "not a bexio user of this workspace" in str(c.params.get("text")),
        count=2,
    )
    await _link(stack, mia.id, GUEST)
    await _dm_saying(stack, ANDREA, "is linked to <@U02MIA> already")
    # A Slack account that is not a person of this workspace, or someone else's already.
    await _link(stack, lea.id, "U0NOBODY")
    await _dm_saying(stack, ANDREA, "is not a person in this Slack workspace")
    await _link(stack, lea.id, MIA)
    await _dm_saying(stack, ANDREA, "<@U02MIA> is linked to Mia Schmid already")
    # A value that is no id, and a Link with nothing picked.
    response = await stack.slack.block_action(
        ANDREA, views.LINK_ACTION, value="1 OR 1=1", block_id="x", view=stack.fake.home[ANDREA]
    )
    assert response.status == 200
    await _click(stack, views.LINK_ACTION, str(lea.id), block_id=views.person_block_id(lea.id), state={})
    await _dm_saying(stack, ANDREA, "pick the person's Slack account")

    await stack.runtime.drain(10)
    assert await _links(stack) == before
    async with stack.runtime.db.session(other.id) as session:
        untouched = await session.scalar(select(User))
        assert untouched is not None and untouched.slack_user_id is None


async def test_post_howto_posts_into_the_chosen_channel(stack: Stack) -> None:
    await _home(stack)
    stack.fake.fail_next("chat.postMessage", "is_archived")
    home = await _post_howto(stack, "C0OLD")
    assert "is archived" in await _dm_saying(stack, ANDREA, "archived")
    assert _step(home, 5).startswith("○ ⑤")

    home = await _post_howto(stack, CHANNEL)
    posted = [c for c in stack.fake.calls_to("chat.postMessage") if c.params.get("channel") == CHANNEL]
    assert len(posted) == 1
    howto = str(posted[0].params["blocks"])
    assert "/log-hours 2h30 Project / Activity: note" in howto
    assert "/log-expense" in howto and f"<@{ANDREA}>" in howto
    assert _step(home, 5) == f"✓ ⑤ *Invite the team* — the how-to is in <#{CHANNEL}>."
    assert views.INVITE_ACTION not in _text(home)


async def test_the_checklist_is_gone_once_every_step_is_done(stack: Stack) -> None:
    await _import(stack)
    async with stack.runtime.db.session(stack.tenant_id) as session:
        income = await _income_account(session)
        for activity in await session.scalars(select(Activity)):
            activity.mapped_account_id = income
        for category in await session.scalars(select(ExpenseCategory)):
            category.account_id = income
    home = await _home(stack)
    assert _step(home, 3).startswith("✓ ③")
    assert "*Set up bxhours* · 3 of 5 done" in _text(home)
    home = await _click(stack, views.PEOPLE_DONE_ACTION, "skip", block_id=views.PEOPLE_BLOCK, state={})
    assert _step(home, 4) == "✓ ④ *People linked to Slack* — the 12 people not linked don't use Slack."
    assert not _person_rows(home)
    home = await _post_howto(stack, CHANNEL)
    assert "Set up bxhours" not in _text(home)
    assert views.LINK_ACTION not in _text(home) and views.INVITE_ACTION not in _text(home)


async def _income_account(session: Any) -> int:
    found = await session.scalar(
        select(Account.bexio_id).where(Account.account_type == 1, Account.active.is_(True)).limit(1)
    )
    assert found is not None
    return int(found)


# --- the App Home stays within Slack's limits ---------------------------------------------------


def test_a_full_checklist_and_a_full_week_fit_in_the_app_home() -> None:
    people = tuple(
        UnlinkedPerson(n, f"Person {n} " + "x" * 80, f"p{n}@example.ch" + "y" * 80) for n in range(10)
    )
    checklist = Checklist(
        connection_state="connected",
        connection_reason=None,
        company_name="Alpenblick <Digital> & Co",
        auth_kind="oauth",
        imported=True,
        last_import=None,
        unmapped_activities=1,
        unmapped_categories=2,
        unlinked=people,
        unlinked_total=40,
        people_skipped=False,
        invited_channel=None,
    )
    monday = date(2026, 11, 23)
    days = tuple(
        WeekDay(
            monday + timedelta(days=d),
            tuple(
                WeekItem(
                    "time",
                    d * 100 + n,
                    monday + timedelta(days=d),
                    "Project",
                    "Activity",
                    60,
                    None,
                    True,
                    "",
                    None,
                )
                for n in range(20)
            ),
        )
        for d in range(7)
    )
    week = WeekView(monday, monday, days)
    data = HomeData(
        is_admin=True,
        person_name="Andrea",
        connection_line="bexio: connected",
        week=week,
        onboarding=checklist,
    )
    view = home_view.render(data)
    assert block_kit.view_problems(view) == []
    assert len(view["blocks"]) <= 100
    assert "Set up bxhours" in str(view["blocks"])
    ids = [b.get("block_id") for b in view["blocks"] if b.get("block_id")]
    assert len(ids) == len(set(ids))


def _checklist(**changes: Any) -> Checklist:
    base: dict[str, Any] = {
        "connection_state": "not_connected",
        "connection_reason": "nobody has connected bexio yet",
        "company_name": None,
        "auth_kind": None,
        "imported": False,
        "last_import": None,
        "unmapped_activities": 0,
        "unmapped_categories": 3,
        "unlinked": (),
        "unlinked_total": 0,
        "people_skipped": False,
        "invited_channel": None,
    }
    return Checklist(**{**base, **changes})


def test_connect_by_oauth_is_pointed_at_and_a_finished_checklist_says_nothing() -> None:
    lines = str(views.blocks(_checklist(), can_connect=True))
    assert "○ ① *bexio connected* — click *Connect bexio* below" in lines
    assert "○ ② *First import* — once bexio is connected." in lines
    broken = str(
        views.blocks(
            _checklist(connection_state="broken", connection_reason="invalid_grant"), can_connect=True
        )
    )
    assert "✗ invalid_grant. Click *Reconnect bexio* below." in broken
    done = _checklist(
        connection_state="connected",
        imported=True,
        unmapped_categories=0,
        unlinked_total=2,
        people_skipped=True,
        invited_channel=CHANNEL,
    )
    assert done.done and views.blocks(done) == []
    assert not _checklist(connection_state="connected", imported=True, unmapped_categories=0).done
