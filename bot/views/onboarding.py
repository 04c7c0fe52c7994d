"""The setup checklist at the top of an admin's App Home (issue 13 §8), and the team how-to it posts.

① bexio connected ② first import ③ every activity and expense category has an account (opens
Account mapping) ④ people linked (a Slack user picker and **Link** per person) ⑤ invite the team
(a channel picker and **Post how-to**). Each step is ✓ or ○; once all five are ✓ the checklist is
gone. Every text a person reads is here.

Ids in this view are only hints: a person's row names them by ``users.id`` (button value and
block id), and the handler reads the person again from the database, in the clicker's workspace,
and links only one who is still active and unlinked (``services.onboarding``).
"""

from __future__ import annotations

import re
from typing import Any

from bot.views import account_mapping
from bot.views.blocks import Block, actions, button, context, escape, plain, section
from core.i18n import N_, _, ngettext
from services.onboarding import Checklist, UnlinkedPerson

LINK_ACTION = "onboarding_link"
PERSON_ACTION = "onboarding_person"
"""The Slack user picker of a person's row (a choice; Link stores it)."""
PEOPLE_DONE_ACTION = "onboarding_people_done"
CHANNEL_ACTION = "onboarding_channel"
INVITE_ACTION = "onboarding_invite"

PERSON_BLOCK_PREFIX = "onboarding_person:"
TITLE_BLOCK = "onboarding"
ACCOUNTS_BLOCK = "onboarding_accounts"
PEOPLE_BLOCK = "onboarding_people"
INVITE_BLOCK = "onboarding_invite"

NUMBERS = ("①", "②", "③", "④", "⑤")
DONE, OPEN = "✓", "○"

TITLES = (
    N_("bexio connected"),
    N_("First import"),
    N_("Every activity and expense category has an account"),
    N_("People linked to Slack"),
    N_("Invite the team"),
)

SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,30}")
SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,30}")

# -- what the handlers answer (marked here, translated where said: ``_(PICK_FIRST)``) -----------

PICK_FIRST = N_("Nobody was linked: pick the person's Slack account in the menu next to *Link* first.")
NOT_A_PERSON = N_("<@{user}> is not a person in this Slack workspace (or has left it), so nobody was linked.")
PICK_CHANNEL_FIRST = N_("Pick the channel for the how-to first, then click *Post how-to*.")
NOT_A_CHANNEL = N_("That is not a channel bxhours can post to. Pick a public channel.")
NOT_AVAILABLE = N_("The setup checklist is not available on this server.")
POST_REFUSED = {
    "not_in_channel": N_(
        "bxhours is not a member of <#{channel}>, so the how-to was not posted. "
        "Invite bxhours there first (`/invite @bxhours`), or pick a public channel."
    ),
    "channel_not_found": N_(
        "bxhours cannot see that channel, so the how-to was not posted. "
        "Pick a public channel, or invite bxhours into the private one first."
    ),
    "is_archived": N_("<#{channel}> is archived, so the how-to was not posted. Pick another channel."),
}
POST_FAILED = N_(
    "Slack did not post the how-to into <#{channel}> ({error}). Try again, or pick another channel."
)


def post_refused(error: str, channel: str) -> str:
    return _(POST_REFUSED.get(error, POST_FAILED), channel=channel, error=error)


# -- the checklist ---------------------------------------------------------------------------


def blocks(checklist: Checklist | None, *, can_connect: bool = False) -> list[Block]:
    """The checklist's blocks (none once every step is done): at most 18 of the Home's 100.
    ``can_connect``: the admin section shows a Connect bexio button (OAuth)."""
    if checklist is None or checklist.done:
        return []
    steps = checklist.steps
    out: list[Block] = [
        section(
            _(
                "*Set up bxhours* · {done} of {total} done — this list goes away once all are ✓.",
                done=sum(steps),
                total=len(steps),
            ),
            block_id=TITLE_BLOCK,
        )
    ]
    out.append(section(_line(0, steps[0], _connection_detail(checklist, can_connect))))
    out.append(section(_line(1, steps[1], _import_detail(checklist))))
    out.append(
        section(
            _line(2, steps[2], _accounts_detail(checklist)),
            block_id=ACCOUNTS_BLOCK,
            accessory=button(_("Account mapping"), account_mapping.OPEN_ACTION, "open"),
        )
    )
    if checklist.imported and checklist.unmapped_categories and checklist.proposed_account is not None:
        out.append(
            account_mapping.proposal_block(checklist.proposed_account, account_mapping.HOME_PROPOSAL_ACTION)
        )
    skip = None
    if checklist.imported and not steps[3]:
        skip = button(_("The others don't use Slack"), PEOPLE_DONE_ACTION, "skip")
        skip["confirm"] = {
            "title": plain(_("Mark ④ as done?")),
            "text": {
                "type": "mrkdwn",
                "text": ngettext(
                    "The {n} person not linked cannot log time in Slack. "
                    "You can still link anyone later with `/bx-sync link`.",
                    "The {n} people not linked cannot log time in Slack. "
                    "You can still link anyone later with `/bx-sync link`.",
                    checklist.unlinked_total,
                ),
            },
            "confirm": plain(_("Mark as done")),
            "deny": plain(_("Cancel")),
        }
    out.append(section(_line(3, steps[3], _people_detail(checklist)), block_id=PEOPLE_BLOCK, accessory=skip))
    if checklist.imported and not steps[3]:
        out += [_person_row(person) for person in checklist.unlinked]
        more = checklist.unlinked_total - len(checklist.unlinked)
        if more > 0:
            out.append(context(_("and {more} more — they appear here as you link these.", more=more)))
    out.append(section(_line(4, steps[4], _invite_detail(checklist))))
    if not steps[4]:
        picker: dict[str, Any] = {
            "type": "conversations_select",
            "action_id": CHANNEL_ACTION,
            "placeholder": plain(_("Pick a channel")),
            "filter": {"include": ["public"], "exclude_external_shared_channels": True},
        }
        out.append(
            actions(
                picker,
                button(_("Post how-to"), INVITE_ACTION, "post", style="primary"),
                block_id=INVITE_BLOCK,
            )
        )
    return out


def person_block_id(person_id: int) -> str:
    return f"{PERSON_BLOCK_PREFIX}{person_id}"


def _person_row(person: UnlinkedPerson) -> Block:
    """One person: a Slack user picker and **Link**, in one actions block (its own block id, so
    the action ids repeat across rows but never within one)."""
    who = (
        person.name if not person.email or person.email == person.name else f"{person.name} ({person.email})"
    )
    picker = {
        "type": "users_select",
        "action_id": PERSON_ACTION,
        "placeholder": plain(_fit(_("Slack account of {person}", person=who), 150)),
    }
    link = button(_fit(_("Link {person}", person=person.name), 75), LINK_ACTION, str(person.id))
    return actions(picker, link, block_id=person_block_id(person.id))


def _line(index: int, done: bool, detail: str) -> str:
    mark = DONE if done else OPEN
    return f"{mark} {NUMBERS[index]} *{_(TITLES[index])}* — {detail}"


def _connection_detail(checklist: Checklist, can_connect: bool) -> str:
    company = escape(checklist.company_name or "bexio")
    state = checklist.connection_state
    if state == "connected":
        return _("connected to {company}.", company=company)
    if state == "broken":
        reason = escape((checklist.connection_reason or _("bexio refused the connection")).rstrip(". "))
        return f"✗ {reason}." + (" " + _("Click *Reconnect bexio* below.") if can_connect else "")
    if state == "unchecked":
        if checklist.auth_kind == "oauth":
            return _("signed in to {company}; the first import checks the connection.", company=company)
        return _("the access token is set; the first import checks that it works.")
    if can_connect:
        return _("click *Connect bexio* below and sign in with your bexio account.")
    reason = checklist.connection_reason or _("no bexio credentials")
    return _("not yet: {reason}.", reason=escape(reason))


def _import_detail(checklist: Checklist) -> str:
    if checklist.imported:
        return _("done; bxhours keeps up with bexio from now on.")
    last = checklist.last_import
    if last is not None and last.status in ("queued", "running"):
        return _("running now — progress comes by direct message.")
    if last is not None and last.status == "failed":
        error = escape((last.error or _("unknown error")).rstrip(". "))
        return _("the last one failed: {error}. Fix that, then click *Sync now* at the bottom.", error=error)
    if checklist.connection_state == "not_connected":
        return _("once bexio is connected.")
    return _("not yet: click *Sync now* at the bottom, or run `/bx-sync`.")


def _accounts_detail(checklist: Checklist) -> str:
    if not checklist.imported:
        return _("after the first import: choose the bexio income account each one is booked to.")
    activities, categories = checklist.unmapped_activities, checklist.unmapped_categories
    if activities and categories:
        return _(
            "{activities} and {categories} have no account — choose them in *Account mapping*.",
            activities=ngettext("{n} activity", "{n} activities", activities),
            categories=ngettext("{n} expense category", "{n} expense categories", categories),
        )
    if activities:
        return ngettext(
            "{n} activity has no account — choose them in *Account mapping*.",
            "{n} activities have no account — choose them in *Account mapping*.",
            activities,
        )
    if categories:
        return ngettext(
            "{n} expense category has no account — choose them in *Account mapping*.",
            "{n} expense categories have no account — choose them in *Account mapping*.",
            categories,
        )
    return _("every invoice line has an income account.")


def _people_detail(checklist: Checklist) -> str:
    if not checklist.imported:
        return _("after the first import: bexio users are matched to Slack accounts by e-mail.")
    if checklist.unlinked_total == 0:
        return _("every bexio user has a Slack account.")
    if checklist.people_skipped:
        return ngettext(
            "the {n} person not linked don't use Slack.",
            "the {n} people not linked don't use Slack.",
            checklist.unlinked_total,
        )
    return ngettext(
        "{n} person from bexio has no Slack account yet. Pick each one's Slack account and click *Link*.",
        "{n} people from bexio have no Slack account yet. Pick each one's Slack account and click *Link*.",
        checklist.unlinked_total,
    )


def _invite_detail(checklist: Checklist) -> str:
    if checklist.invited_channel:
        return _("the how-to is in <#{channel}>.", channel=checklist.invited_channel)
    return _("post a short how-to (logging hours and expenses, the App Home) into a channel of your team.")


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the how-to posted into the team's channel ------------------------------------------------

HOWTO_TEXT = N_(
    "bxhours is here: log your hours and expenses in Slack with /log-hours and /log-expense; "
    "your week is in bxhours' App Home."
)


def howto_blocks(admin_id: str) -> list[Block]:
    """The how-to message: what the team needs to start, in a few lines."""
    return [
        section(
            _(
                ":wave: *bxhours is here* — <@{admin}> set it up for this team. Your hours go to bexio from Slack:",
                admin=admin_id,
            )
        ),
        section(
            _(
                "*Log hours* — `/log-hours 2h30 Project / Activity: note`\n"
                "e.g. `/log-hours 1h30 yesterday Website Relaunch / Umsetzung: checkout bug` · "
                "`/log-hours` alone opens a form\n"
                "*Log an expense* — `/log-expense 84.50 Project / Category: note` (CHF, VAT included)\n"
                "*Your week* — open *bxhours* under Apps and its *Home* tab: every entry per day, "
                "with edit and delete until it is invoiced"
            )
        ),
        context(_("Add `help` to any command to see what it understands, e.g. `/log-hours help`.")),
    ]
