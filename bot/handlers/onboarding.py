"""The setup checklist in an admin's App Home: Link a person, "the others don't use Slack", Post how-to.

Admins only, and only from the App Home (``ONBOARDING``). What a click carries is a hint: the
person is read again in the clicker's workspace and must still be an active, unlinked bexio user;
the Slack account picked must be a person of this workspace (``users.info`` with this workspace's
token); the channel must be one Slack lets bxhours post to. Every outcome refreshes the App Home,
and what went wrong reaches the admin by direct message (the App Home has no place for replies).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import BotDeps
from bot.handlers.replies import Tell
from bot.handlers.surfaces import Permission, Surface, Surfaces
from bot.views import onboarding as views
from bot.views import payload
from core.i18n import N_, _
from services.onboarding import LinkRefused

log = logging.getLogger(__name__)

ONBOARDING = Surface(
    "the setup checklist", Permission.ADMIN, N_("Only admins can use the setup checklist."), home=True
)


def _chosen(body: dict[str, Any], block_id: str, action_id: str, key: str) -> str:
    """What the picker ``action_id`` in block ``block_id`` of the App Home holds ("" for nothing)."""
    state = body["view"]["state"]["values"].get(block_id, {}).get(action_id, {})
    value = state.get(key)
    return value if isinstance(value, str) else ""


def register(surfaces: Surfaces, deps: BotDeps) -> None:
    services = deps.services

    @surfaces.action(views.PERSON_ACTION, ONBOARDING)
    async def person_picked(ack: AsyncAck) -> None:
        await ack()  # a choice: Link stores it

    @surfaces.action(views.CHANNEL_ACTION, ONBOARDING)
    async def channel_picked(ack: AsyncAck) -> None:
        await ack()  # a choice: Post how-to uses it

    @surfaces.action(views.LINK_ACTION, ONBOARDING)
    async def link(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        onboarding = services.home.onboarding
        if onboarding is None:
            await tell.direct(text=_(views.NOT_AVAILABLE))
            return
        person_id = payload.action_int(body, N_("the person"))
        # The picker of that person's own row; a pick in another row links nobody else.
        slack_user = _chosen(body, views.person_block_id(person_id), views.PERSON_ACTION, "selected_user")
        try:
            if not slack_user:
                raise LinkRefused(_(views.PICK_FIRST))
            if not views.SLACK_USER.fullmatch(slack_user) or not await _is_person_here(client, slack_user):
                raise LinkRefused(_(views.NOT_A_PERSON, user=slack_user[:40]))
            linked = await onboarding.link(tenant_id, person_id, slack_user, actor=user_id)
        except LinkRefused as refused:
            log.info("setup checklist: link of person %s refused: %s", person_id, refused.message)
            await tell.direct(text=refused.message)
        else:
            log.info("setup checklist: %s linked person %s to %s", user_id, person_id, linked.slack_user_id)
        await services.notifier.refresh_home(tenant_id, user_id)

    @surfaces.action(views.PEOPLE_DONE_ACTION, ONBOARDING)
    async def people_done(ack: AsyncAck, tell: Tell, tenant_id: int, user_id: str) -> None:
        await ack()
        onboarding = services.home.onboarding
        if onboarding is None:
            await tell.direct(text=_(views.NOT_AVAILABLE))
            return
        await onboarding.skip_people(tenant_id, actor=user_id)
        await services.notifier.refresh_home(tenant_id, user_id)

    @surfaces.action(views.INVITE_ACTION, ONBOARDING)
    async def post_howto(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, tell: Tell, tenant_id: int, user_id: str
    ) -> None:
        await ack()
        onboarding = services.home.onboarding
        if onboarding is None:
            await tell.direct(text=_(views.NOT_AVAILABLE))
            return
        channel = _chosen(body, views.INVITE_BLOCK, views.CHANNEL_ACTION, "selected_conversation")
        if not channel:
            await tell.direct(text=_(views.PICK_CHANNEL_FIRST))
            return
        if not views.SLACK_CHANNEL.fullmatch(channel):
            await tell.direct(text=_(views.NOT_A_CHANNEL))
            return
        try:
            await client.chat_postMessage(
                channel=channel,
                text=_(views.HOWTO_TEXT),
                blocks=views.howto_blocks(user_id),
                unfurl_links=False,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown error")
            log.info("setup checklist: the how-to was not posted into %s: %s", channel, error)
            await tell.direct(text=views.post_refused(error, channel))
            return
        await onboarding.invited(tenant_id, channel, actor=user_id)
        await services.notifier.refresh_home(tenant_id, user_id)


async def _is_person_here(client: AsyncWebClient, slack_user: str) -> bool:
    """A person of this workspace (this workspace's token sees only its own people), not a bot,
    not deactivated."""
    try:
        answer = await client.users_info(user=slack_user)
    except SlackApiError as exc:
        log.info("setup checklist: users.info %s: %s", slack_user, exc.response.get("error"))
        return False
    user = answer.get("user") or {}
    return bool(user) and not user.get("is_bot") and not user.get("deleted") and slack_user != "USLACKBOT"
