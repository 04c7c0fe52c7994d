"""One person of the fake workspace, acting from a shell against what `bxhours try up` started.

Each action is what Slack would send when that person acts — a signed slash command, an
``app_home_opened`` event, a ``block_actions`` click, a ``view_submission`` — posted to bxhours'
real ``/slack/events`` by ``SlackSimulator``. What bxhours then shows the person comes back through
the fake Slack (a ``response_url`` post, a DM, a modal, the App Home), read from its ``/_try/``
routes, and is returned as text (``bxhours.fakes.blocks_text``).

What was shown last to each person is noted in the state folder (``shown-<user>.json``), so that
`try click` presses a button of what the person is looking at, and `try fill` / `try submit` work
on the modal they have open — with the values they chose, as Slack keeps a view's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bxhours.fakes import blocks_text
from bxhours.fakes.blocks_text import Clickable
from bxhours.fakes.slack_api import FakeSlack
from bxhours.fakes.slack_client import SlackResponse, SlackSimulator
from bxhours.fakes.try_ports import HOST, signing_secret

Json = dict[str, Any]
POLL = 0.05
SETTLE = 0.4  # quiet seconds after the first visible answer: follow-ups (a DM, a refreshed home)
TIMEOUT = 20.0
IMPORT_TIMEOUT = 120.0
VISIBLE_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
)
INPUT_KINDS = (
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "datepicker",
    "timepicker",
    "static_select",
    "external_select",
    "users_select",
    "checkboxes",
    "radio_buttons",
    "multi_static_select",
    "multi_external_select",
)


class TryClientError(Exception):
    """The action could not be done; one line for the person trying."""


@dataclass(frozen=True)
class Person:
    id: str
    real_name: str
    is_admin: bool


@dataclass
class Activity:
    """What the fake Slack recorded after an action."""

    calls: list[Json] = field(default_factory=list)
    hooks: list[Json] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def extend(self, other: Json) -> bool:
        self.calls += other.get("calls", [])
        self.hooks += other.get("hooks", [])
        self.refusals += other.get("refusals", [])
        return bool(other.get("calls") or other.get("hooks") or other.get("refusals"))


@dataclass
class Surfaces:
    """What a person can see in the fake Slack: App Home, DM messages, modals (newest first)."""

    home: Json | None
    dm: list[Json]
    modals: list[Json]

    @classmethod
    def of(cls, body: Json) -> Surfaces:
        return cls(body.get("home"), list(body.get("dm") or []), list(body.get("modals") or []))

    def modal(self, view_id: str) -> Json | None:
        return next((view for view in self.modals if view.get("id") == view_id), None)


class TryClient:
    def __init__(self, http: httpx.AsyncClient, slack_url: str, info: Json) -> None:
        self.http = http
        self.slack_url = slack_url
        self.info = info
        self.folder = Path(str(info["folder"]))
        self.people = {
            str(p["id"]): Person(str(p["id"]), str(p["real_name"]), bool(p.get("is_admin")))
            for p in info.get("people", [])
        }
        self.names = {person.id: person.real_name for person in self.people.values()}
        # The fake Slack's workspace as seen from here: the simulator signs requests for these
        # people and its response_urls point at the running fake.
        self.mirror = FakeSlack(bot_token=str(info["bot_token"]), team_id=str(info["team_id"]))
        self.mirror.base_url = slack_url
        for p in info.get("people", []):
            self.mirror.add_user(str(p["id"]), str(p["email"]), str(p["real_name"]))
        self.slack = SlackSimulator(str(info["app_url"]), signing_secret(), self.mirror, timeout=TIMEOUT)

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, slack_port: int) -> AsyncIterator[TryClient]:
        slack_url = f"http://{HOST}:{slack_port}"
        async with httpx.AsyncClient(timeout=10.0) as http:
            try:
                response = await http.get(f"{slack_url}/_try/info")
                response.raise_for_status()
                info = response.json()
            except (httpx.HTTPError, ValueError):
                raise TryClientError(
                    f"no `bxhours try up` answers at {slack_url}: start it in another shell with `make try` "
                    f"(or `bxhours try up`), or give its --slack-port"
                ) from None
            client = cls(http, slack_url, info)
            try:
                yield client
            finally:
                await client.slack.aclose()

    # -- people ----------------------------------------------------------------------------------

    def person(self, user_id: str) -> Person:
        person = self.people.get(user_id.strip().upper())
        if person is None:
            known = ", ".join(f"{p.id} ({p.real_name})" for p in self.people.values())
            raise TryClientError(f"{user_id} is nobody in the fake workspace; try one of: {known}")
        return person

    # -- actions ---------------------------------------------------------------------------------

    async def command(self, person: Person, slash: str, text: str) -> str:
        slash = slash if slash.startswith("/") else "/" + slash
        before, marks = await self._surfaces(person), await self._marks()
        response_url = self.mirror.response_url("commands")
        own_hooks = {urlsplit(response_url).path}
        ack = await self.slack.command(slash, text, user_id=person.id, response_url=response_url)
        importing = slash == "/bx-sync" and not text.strip()
        if importing:
            done = _import_done(ack)
            activity = await self._observe(marks, done, settle=0.2, timeout=IMPORT_TIMEOUT)
        else:
            activity = await self._observe(marks, self._answered(person, ack, own_hooks))
        header = f"{person.real_name} › {slash} {text}".rstrip()
        return await self._report(header, person, before, activity, ack=ack, own_hooks=own_hooks)

    async def home(self, person: Person) -> str:
        marks = await self._marks()
        ack = await self.slack.open_home(person.id)
        if ack.status != 200:
            raise TryClientError(f"bxhours answered the app_home_opened event with HTTP {ack.status}")

        def published(activity: Activity) -> bool:
            return bool(activity.refusals) or any(
                c["method"] == "views.publish" and c["params"].get("user_id") == person.id
                for c in activity.calls
            )

        activity = await self._observe(marks, published, settle=0.2)
        surfaces = await self._surfaces(person)
        lines = [f"{person.real_name} › opens the bxhours App Home", ""]
        if not published(activity):
            lines.append(f"(bxhours published no App Home within {TIMEOUT:.0f} s; see the serve log)")
        lines += _refusal_lines(activity)
        if surfaces.home is not None:
            lines.append(blocks_text.render_view(surfaces.home, self.names))
            self._note_shown(person, [{"kind": "home"}])
        return "\n".join(lines)

    async def click(self, person: Person, label: str) -> str:
        before = await self._surfaces(person)
        target = self._find_clickable(person, before, label)
        surface, found = target
        marks = await self._marks()
        action = found.element
        value = action.get("value")
        option = found.option
        kind = str(action.get("type"))
        common: dict[str, Any] = {"block_id": found.block_id}
        if option is not None:
            common["selected_option"] = dict(option)
        else:
            common["value"] = value
        own_hooks: set[str] = set()
        if surface["kind"] in ("home", "view"):
            view = surface["view"]
            state = _view_state(view, surface.get("state") or {})
            if option is not None and kind == "static_select":
                # Slack keeps a select's choice in the view's state (and sends it with the click).
                state.setdefault(found.block_id, {})[found.action_id] = {
                    "type": "static_select",
                    "selected_option": dict(option),
                }
                surface.setdefault("state", {}).setdefault(found.block_id, {})[found.action_id] = state[
                    found.block_id
                ][found.action_id]
                self._note_view_state(person, surface)
            ack = await self.slack.block_action(person.id, found.action_id, view=view, state=state, **common)
        else:
            message = surface["message"]
            ack = await self.slack.block_action(
                person.id,
                found.action_id,
                message={"ts": message.get("ts", "1700000000.000100"), **message},
                channel_id=surface.get("channel") or "C0GENERAL",
                **common,
            )
        activity = await self._observe(marks, self._answered(person, ack, own_hooks, clicked=True))
        own_hooks |= {h["path"] for h in activity.hooks if "/hooks/actions/" in h["path"]}
        where = {"home": "App Home", "view": "modal", "message": "message", "dm": "DM"}[surface["kind"]]
        header = f"{person.real_name} › presses [{found.label}] in the {where}"
        return await self._report(
            header,
            person,
            before,
            activity,
            ack=ack,
            own_hooks=own_hooks,
            from_home=surface["kind"] == "home",
        )

    async def fill(self, person: Person, label: str, value: str) -> str:
        """Set an input of the open modal, as typing or choosing in Slack does; a select that
        dispatches its action (``dispatch_action``) is sent to bxhours at once, as Slack does."""
        before = await self._surfaces(person)
        surface = self._open_modal(person, before)
        view = surface["view"]
        block, element = _find_input(view, label)
        block_id, action_id = str(block.get("block_id", "")), str(element.get("action_id", ""))
        chosen = await self._value_for(person, view, block_id, element, value)
        surface.setdefault("state", {}).setdefault(block_id, {})[action_id] = chosen
        self._note_view_state(person, surface)
        shown = _state_text(chosen)
        header = f"{person.real_name} › sets “{_label(block)}” to {shown}"
        if not block.get("dispatch_action") and block.get("type") == "input":
            return f"{header}\n(kept in the modal; `bxhours try submit {person.id}` sends it)"
        marks = await self._marks()
        state = _view_state(view, surface["state"])
        action_value = {k: v for k, v in chosen.items() if k != "type"}
        ack = await self.slack.block_action(
            person.id,
            action_id,
            view=view,
            state=state,
            block_id=block_id,
            **_click_arguments(str(element.get("type")), action_value),
        )
        activity = await self._observe(marks, self._answered(person, ack, set(), clicked=True))
        return await self._report(header, person, before, activity, ack=ack, own_hooks=set())

    async def submit(self, person: Person) -> str:
        before = await self._surfaces(person)
        surface = self._open_modal(person, before)
        view = surface["view"]
        if not view.get("submit"):
            raise TryClientError("this modal has no submit button; `bxhours try click` its buttons instead")
        marks = await self._marks()
        state = _view_state(view, surface.get("state") or {})
        ack = await self.slack.submit_view(person.id, view, state)
        header = f"{person.real_name} › presses [{blocks_text.text_of(view['submit'])}]"
        body = ack.json if ack.status == 200 and ack.text.startswith("{") else None
        if isinstance(body, dict) and body.get("response_action") == "errors":
            lines = [header, "", "✗ The modal stays open and says:"]
            for block_id, error in (body.get("errors") or {}).items():
                block: Json = next((b for b in view.get("blocks", []) if b.get("block_id") == block_id), {})
                lines.append(f"  {_label(block) or block_id}: {error}")
            lines.append(
                f"(change a value with `bxhours try fill {person.id} LABEL VALUE`, then submit again)"
            )
            return "\n".join(lines)
        activity = await self._observe(marks, self._answered(person, ack, set(), submitted=True), settle=1.5)
        if not isinstance(body, dict) or body.get("response_action") in (None, "clear"):
            self._forget_view(person, str(view.get("id")))
        return await self._report(header, person, before, activity, ack=ack, own_hooks=set(), submitted=view)

    # -- reading the fake Slack ------------------------------------------------------------------

    async def _get(self, path: str, **params: Any) -> Json:
        try:
            response = await self.http.get(f"{self.slack_url}{path}", params=params)
            response.raise_for_status()
            body: Json = response.json()
        except httpx.HTTPError as exc:
            raise TryClientError(f"the fake Slack at {self.slack_url} stopped answering ({exc})") from None
        return body

    async def _marks(self) -> dict[str, int]:
        return dict((await self._get("/_try/info"))["marks"])

    async def _surfaces(self, person: Person) -> Surfaces:
        return Surfaces.of(await self._get(f"/_try/surfaces/{person.id}"))

    async def _observe(
        self,
        marks: dict[str, int],
        done: Callable[[Activity], bool],
        *,
        settle: float = SETTLE,
        timeout: float = TIMEOUT,
    ) -> Activity:
        """Collect what the fake records until ``done`` and then ``settle`` quiet seconds passed."""
        activity = Activity()
        start = time.monotonic()
        last_change = start
        while True:
            new = await self._get("/_try/since", **marks)
            marks.update(new["marks"])
            now = time.monotonic()
            if activity.extend(new):
                last_change = now
            if done(activity) and now - last_change >= settle:
                return activity
            if now - start > timeout:
                return activity
            await asyncio.sleep(POLL)

    def _answered(
        self,
        person: Person,
        ack: SlackResponse,
        own_hooks: set[str],
        *,
        clicked: bool = False,
        submitted: bool = False,
    ) -> Callable[[Activity], bool]:
        """Done once the person sees something: a reply in the acknowledgement, a post to the
        response_url, a message, a modal or the App Home."""
        dm = _dm_channel(person.id)
        replied = ack.status != 200 or bool(ack.text.strip())

        def visible(activity: Activity) -> bool:
            if replied or activity.refusals:
                return True
            if any(
                h["path"] in own_hooks or (clicked and "/hooks/actions/" in h["path"]) for h in activity.hooks
            ):
                return True
            for call in activity.calls:
                params = call["params"]
                if call["method"] not in VISIBLE_METHODS:
                    continue
                if (
                    call["method"].startswith("chat.")
                    and params.get("channel") not in (dm, person.id)
                    and (params.get("user") != person.id)
                ):
                    continue
                if call["method"] == "views.publish" and params.get("user_id") != person.id:
                    continue
                return True
            return submitted

        return visible

    # -- what the person saw ---------------------------------------------------------------------

    async def _report(
        self,
        header: str,
        person: Person,
        before: Surfaces,
        activity: Activity,
        *,
        ack: SlackResponse,
        own_hooks: set[str],
        from_home: bool = False,
        submitted: Json | None = None,
    ) -> str:
        after = await self._surfaces(person)
        sections: list[str] = [header]
        shown: list[Json] = []
        filled = {
            str(i.get("id")): i.get("state") or {} for i in self._shown(person) if i.get("kind") == "view"
        }

        def modal_text(view: Json) -> str:
            """The modal with what the person filled in (Slack keeps it across updates)."""
            return blocks_text.render_view(_with_state(view, filled.get(str(view.get("id")), {})), self.names)

        def section(title: str, body: str) -> None:
            sections.append(f"\n── {title} " + "─" * max(3, 56 - len(title)))
            sections.append(body)

        if ack.status != 200:
            section("bxhours answered", f"HTTP {ack.status}: {ack.text.strip()[:300]}")
        elif ack.text.strip():
            body = ack.json if ack.text.startswith("{") else None
            if isinstance(body, dict) and body.get("response_action") in ("update", "push"):
                view = dict(body.get("view") or {})
                if submitted is not None and body.get("response_action") == "update":
                    view["id"] = submitted.get("id")
                section("modal", modal_text(view))
                fake_copy = after.modal(str(view.get("id"))) or {}
                shown.append(
                    {"kind": "view", "id": view.get("id"), "view": view, "fake_hash": fake_copy.get("hash")}
                )
            elif isinstance(body, dict) and body.get("response_action") == "clear":
                section("modal", "(all modals closed)")
            elif isinstance(body, dict):
                section(
                    f"reply (only {person.real_name} sees it)", blocks_text.render_message(body, self.names)
                )
                shown.append({"kind": "message", "message": body})
            else:
                section(f"reply (only {person.real_name} sees it)", blocks_text.mrkdwn(ack.text, self.names))
                shown.append({"kind": "message", "message": {"text": ack.text}})
        for hook in activity.hooks:
            if hook["path"] not in own_hooks:
                continue
            body = hook["body"]
            if body.get("delete_original"):
                section("reply", "(the message was removed)")
                continue
            title = "reply, replacing the message" if body.get("replace_original") else "reply"
            section(
                f"{title} (only {person.real_name} sees it)", blocks_text.render_message(body, self.names)
            )
            shown.append({"kind": "message", "message": body})
        for call in activity.calls:
            if call["method"] == "chat.postEphemeral" and call["params"].get("user") == person.id:
                section(
                    f"reply (only {person.real_name} sees it)",
                    blocks_text.render_message(call["params"], self.names),
                )
                shown.append(
                    {"kind": "message", "message": call["params"], "channel": call["params"].get("channel")}
                )
        seen_dm = {m.get("ts"): json.dumps(m, sort_keys=True) for m in before.dm}
        for message in after.dm:
            if seen_dm.get(message.get("ts")) == json.dumps(message, sort_keys=True):
                continue
            section("DM from bxhours", blocks_text.render_message(message, self.names))
            shown.append({"kind": "dm", "message": message, "channel": _dm_channel(person.id)})
        seen_modals = {v.get("id"): v.get("hash") for v in before.modals}
        for view in after.modals[::-1]:
            if seen_modals.get(view.get("id")) == view.get("hash"):
                continue
            section("modal", modal_text(view))
            shown.append({"kind": "view", "id": view.get("id"), "view": view, "fake_hash": view.get("hash")})
        published = any(
            c["method"] == "views.publish" and c["params"].get("user_id") == person.id for c in activity.calls
        )
        if published and after.home is not None:
            if from_home:
                section("App Home", blocks_text.render_view(after.home, self.names))
                shown.append({"kind": "home"})
            else:
                sections.append(f"\n(the App Home changed: `bxhours try home {person.id}` shows it)")
        # What bxhours answered in an acknowledgement is checked here, by the simulator.
        refusals = _refusal_lines(activity) + [
            f"⚠ Slack would refuse bxhours' answer: {refusal}" for refusal in self.mirror.refusals
        ]
        if refusals:
            sections.append("")
            sections += refusals
        if len(sections) == 1:
            sections.append(f"\n(acknowledged; nothing else came back within {TIMEOUT:.0f} s)")
        if shown:
            self._note_shown(person, shown[::-1])
        return "\n".join(sections)

    # -- what was shown last -----------------------------------------------------------------

    def _shown_path(self, person: Person) -> Path:
        return self.folder / f"shown-{person.id}.json"

    def _shown(self, person: Person) -> list[Json]:
        try:
            items = json.loads(self._shown_path(person).read_text())
        except (OSError, ValueError):
            return []
        return list(items) if isinstance(items, list) else []

    def _note_shown(self, person: Person, items: list[Json]) -> None:
        """What the person looks at now, newest first, before what they saw earlier (a reply or a
        modal stays reachable after the App Home was shown; a modal keeps what was filled in)."""
        earlier = self._shown(person)
        for item in items:
            if item.get("kind") == "view":
                old = next(
                    (e for e in earlier if e.get("kind") == "view" and e.get("id") == item.get("id")), None
                )
                if old is not None:
                    item.setdefault("state", old.get("state") or {})
        merged = items + [e for e in earlier if not any(_same_surface(e, item) for item in items)]
        with contextlib.suppress(OSError):
            self._shown_path(person).write_text(json.dumps(merged[:12]))

    def _note_view_state(self, person: Person, surface: Json) -> None:
        items = self._shown(person)
        for item in items:
            if item.get("kind") == "view" and item.get("id") == surface.get("id"):
                item["state"] = surface.get("state") or {}
        with contextlib.suppress(OSError):
            self._shown_path(person).write_text(json.dumps(items))

    def _forget_view(self, person: Person, view_id: str) -> None:
        items = [i for i in self._shown(person) if not (i.get("kind") == "view" and i.get("id") == view_id)]
        with contextlib.suppress(OSError):
            self._shown_path(person).write_text(json.dumps(items))

    def _candidates(self, person: Person, now: Surfaces) -> list[Json]:
        """Where a click may land, in this order: what was shown last (modals with their current
        content), then the App Home, then the DM messages, newest first."""
        out: list[Json] = []
        for item in self._shown(person):
            if item.get("kind") == "view":
                # The fake's copy, unless what was shown came from an acknowledgement after it
                # (``response_action: update`` reaches Slack without a Web API call).
                current = now.modal(str(item.get("id"))) if item.get("id") else None
                fresh = current is not None and current.get("hash") != item.get("fake_hash")
                view = current if fresh else item.get("view")
                if view:
                    out.append({**item, "view": view})
            elif item.get("kind") == "home" and now.home is not None:
                out.append({"kind": "home", "view": now.home})
            elif item.get("kind") in ("message", "dm"):
                message = item.get("message") or {}
                if item.get("kind") == "dm":
                    message = next((m for m in now.dm if m.get("ts") == message.get("ts")), message)
                out.append({**item, "message": message})
        if now.home is not None:
            out.append({"kind": "home", "view": now.home})
        out += [{"kind": "dm", "message": m, "channel": _dm_channel(person.id)} for m in now.dm[::-1]]
        return out

    def _find_clickable(self, person: Person, now: Surfaces, label: str) -> tuple[Json, Clickable]:
        wanted = label.strip().strip("[]").strip().casefold()
        if not wanted:
            raise TryClientError("which button? give its label as printed in [brackets]")
        candidates = [
            (surface, item)
            for surface in self._candidates(person, now)
            for item in blocks_text.clickables(_blocks_of(surface))
        ]
        exact = [(s, c) for s, c in candidates if c.label.casefold() == wanted]
        if exact:
            return exact[0]
        partial = [(s, c) for s, c in candidates if wanted in c.label.casefold()]
        if not partial:
            labels = sorted({c.label for _s, c in candidates})
            shown = ", ".join(f"[{lab}]" for lab in labels[:25]) or "none"
            raise TryClientError(f"no button “{label}” in what {person.real_name} sees; there are: {shown}")
        first_surface = partial[0][0]
        in_first = [(s, c) for s, c in partial if s is first_surface]
        labels = sorted({c.label for _s, c in in_first})
        if len(labels) > 1:
            raise TryClientError(
                f"“{label}” matches " + ", ".join(f"[{lab}]" for lab in labels) + ": give more of the label"
            )
        return in_first[0]

    def _open_modal(self, person: Person, now: Surfaces) -> Json:
        for item in self._candidates(person, now):
            if item.get("kind") == "view":
                return item
        raise TryClientError(
            f"{person.real_name} has no modal open: open one first (`bxhours try invoice {person.id}`, "
            f"`bxhours try command {person.id} /log-hours`, or a button that opens one)"
        )

    async def _value_for(self, person: Person, view: Json, block_id: str, element: Json, value: str) -> Json:
        kind = str(element.get("type"))
        if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
            return {"type": kind, "value": value}
        if kind == "datepicker":
            return {"type": kind, "selected_date": value}
        if kind == "timepicker":
            return {"type": kind, "selected_time": value}
        if kind == "users_select":
            return {"type": kind, "selected_user": self.person(value).id}
        if kind in ("static_select", "radio_buttons"):
            return {"type": kind, "selected_option": dict(_match_option(_options(element), value))}
        if kind == "external_select":
            loaded = await self.slack.options(
                person.id, str(element.get("action_id")), value, view=view, block_id=block_id
            )
            body = loaded.json if loaded.status == 200 and loaded.text.startswith("{") else {}
            options = _options(body if isinstance(body, dict) else {})
            if not options:
                raise TryClientError(f"bxhours offers no choice for “{value}”")
            return {
                "type": kind,
                "selected_option": dict(_match_option(options, value, first_if_unsure=True)),
            }
        if kind in ("checkboxes", "multi_static_select"):
            wanted = [part.strip() for part in value.split(",") if part.strip()]
            if value.strip().casefold() in ("", "none", "-"):
                wanted = []
            options = _options(element)
            return {"type": kind, "selected_options": [dict(_match_option(options, w)) for w in wanted]}
        raise TryClientError(f"cannot fill a {kind} from the shell")


# -- helpers ----------------------------------------------------------------------------------------


def _dm_channel(user_id: str) -> str:
    return "D" + user_id.lstrip("UW")


def _import_done(ack: SlackResponse) -> Callable[[Activity], bool]:
    """/bx-sync: until the DM says the import finished or failed — or the command refused to start."""
    started = ack.status == 200 and "started" in ack.text

    def done(activity: Activity) -> bool:
        if activity.refusals:
            return True
        if not started:
            return True
        return any(
            call["method"] in ("chat.update", "chat.postMessage")
            and str(call["params"].get("text", "")).startswith(
                ("Import from bexio finished", "Import from bexio failed")
            )
            for call in activity.calls
        )

    return done


def _same_surface(a: Json, b: Json) -> bool:
    if a.get("kind") != b.get("kind"):
        return False
    if a.get("kind") == "view":
        return a.get("id") == b.get("id")
    if a.get("kind") == "home":
        return True
    return a.get("message") == b.get("message") or (
        a.get("kind") == "dm" and (a.get("message") or {}).get("ts") == (b.get("message") or {}).get("ts")
    )


def _refusal_lines(activity: Activity) -> list[str]:
    return [f"⚠ the fake Slack refused what bxhours sent (Slack would too): {r}" for r in activity.refusals]


def _blocks_of(surface: Json) -> list[Any]:
    holder = surface.get("view") if surface.get("kind") in ("home", "view") else surface.get("message")
    return list((holder or {}).get("blocks") or [])


def _label(block: Mapping[str, Any]) -> str:
    return blocks_text.text_of(block.get("label")) if block.get("label") else ""


def _inputs(view: Json) -> list[tuple[Json, Json]]:
    """(block, element) of everything in the view that holds a value in its state."""
    found = []
    for block in view.get("blocks") or []:
        if block.get("type") == "input" and isinstance(block.get("element"), Mapping):
            found.append((block, block["element"]))
        elif block.get("type") == "actions":
            found += [(block, e) for e in block.get("elements") or [] if e.get("type") in INPUT_KINDS]
        elif block.get("type") == "section" and _is_input(block.get("accessory")):
            found.append((block, block["accessory"]))
    return found


def _is_input(element: Any) -> bool:
    return isinstance(element, Mapping) and element.get("type") in INPUT_KINDS


def _find_input(view: Json, label: str) -> tuple[Json, Json]:
    wanted = label.strip().casefold()
    inputs = [(b, e) for b, e in _inputs(view) if e.get("type") in INPUT_KINDS]
    for matches in (
        [(b, e) for b, e in inputs if _label(b).casefold() == wanted],
        [(b, e) for b, e in inputs if _label(b).casefold().startswith(wanted)],
        [(b, e) for b, e in inputs if wanted in _label(b).casefold()],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(f"“{_label(b)}”" for b, _e in matches)
            raise TryClientError(f"“{label}” matches {names}: give more of the label")
    names = ", ".join(f"“{_label(b)}”" for b, _e in inputs if _label(b)) or "none"
    raise TryClientError(f"the modal has no field “{label}”; its fields: {names}")


def _options(holder: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = list(holder.get("options") or [])
    for group in holder.get("option_groups") or []:
        options += list(group.get("options") or [])
    return [o for o in options if isinstance(o, Mapping)]


def _match_option(
    options: list[Mapping[str, Any]], value: str, *, first_if_unsure: bool = False
) -> Mapping[str, Any]:
    wanted = value.strip().casefold()
    texts = [(o, blocks_text.text_of(o.get("text")).casefold()) for o in options]
    for matches in (
        [o for o, t in texts if t == wanted or str(o.get("value", "")).casefold() == wanted],
        [o for o, t in texts if t.startswith(wanted)],
        [o for o, t in texts if wanted in t],
    ):
        if len(matches) == 1 or (matches and first_if_unsure):
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(f"“{blocks_text.text_of(o.get('text'))}”" for o in matches[:10])
            raise TryClientError(f"“{value}” matches {names}: give more of it")
    names = ", ".join(f"“{blocks_text.text_of(o.get('text'))}”" for o in options[:15]) or "none"
    raise TryClientError(f"no choice “{value}”; there are: {names}")


def _initial_state(element: Mapping[str, Any]) -> Json:
    kind = str(element.get("type"))
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        return {"type": kind, "value": element.get("initial_value")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    if kind == "timepicker":
        return {"type": kind, "selected_time": element.get("initial_time")}
    if kind == "users_select":
        return {"type": kind, "selected_user": element.get("initial_user")}
    if kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        return {"type": kind, "selected_options": list(element.get("initial_options") or [])}
    return {"type": kind, "selected_option": element.get("initial_option")}


def _view_state(view: Json, chosen: Mapping[str, Any]) -> Json:
    """The view's state as Slack would send it: the initial values, overridden by what was chosen."""
    state: Json = {}
    for block, element in _inputs(view):
        block_id, action_id = str(block.get("block_id", "")), str(element.get("action_id", ""))
        if not block_id or not action_id:
            continue
        value = (chosen.get(block_id) or {}).get(action_id) or _initial_state(element)
        state.setdefault(block_id, {})[action_id] = value
    return state


def _with_state(view: Json, chosen: Mapping[str, Any]) -> Json:
    """A copy of the view whose inputs start with the values in ``chosen`` (for showing it)."""
    if not chosen:
        return view
    copy: Json = json.loads(json.dumps(view))
    for block, element in _inputs(copy):
        value = (chosen.get(str(block.get("block_id", ""))) or {}).get(str(element.get("action_id", "")))
        if not value:
            continue
        for state_key, initial_key in (
            ("value", "initial_value"),
            ("selected_date", "initial_date"),
            ("selected_time", "initial_time"),
            ("selected_user", "initial_user"),
            ("selected_option", "initial_option"),
            ("selected_options", "initial_options"),
        ):
            if state_key in value:
                element[initial_key] = value[state_key]
    return copy


def _state_text(value: Mapping[str, Any]) -> str:
    if "selected_option" in value:
        option = value.get("selected_option") or {}
        return f"“{blocks_text.text_of(option.get('text'))}”"
    if "selected_options" in value:
        return (
            ", ".join(f"“{blocks_text.text_of(o.get('text'))}”" for o in value["selected_options"])
            or "nothing"
        )
    for key in ("value", "selected_date", "selected_time", "selected_user"):
        if key in value:
            return f"“{value[key]}”"
    return "?"


def _click_arguments(kind: str, value: Mapping[str, Any]) -> Json:
    """SlackSimulator.block_action's keyword for a changed input."""
    if "selected_option" in value:
        return {"selected_option": value["selected_option"]}
    if "selected_options" in value:
        return {"selected_options": value["selected_options"]}
    if "selected_date" in value:
        return {"selected_date": value["selected_date"]}
    return {"value": value.get("value")}
