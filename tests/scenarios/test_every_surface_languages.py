"""Every surface in every language (issue 14 §6), through signed Slack requests.

For each language a workspace is imported from the bexio sandbox, an admin and a colleague choose
the language, and then everything bxhours registers is driven the way people would: every command
with its help, each of its words and a few typed lines, the App Home, and — crawling what came
back — every button, overflow, select, date picker and external select of every view and message,
and every modal submitted empty and filled. Whatever the registry (``tests.surface_catalog``) lists
that the crawl did not reach is sent once anyway, from where its surface lives. Everything the fake
Slack received (views, messages, DMs, ``response_url`` posts) and every acknowledgement (command
replies, field errors, options) is then checked:

* Slack's limits hold in every language (German is longer): the strict fake's Block Kit rules
  (``bxhours.fakes.block_kit``; it also fails the test on anything Slack would refuse), and
  explicitly modal title, submit and close ≤ 24, button and option texts ≤ 75, none cut with "…";
* dates read `05.12.2026` and amounts `CHF 1'234.50` in every language (no ISO date but as
  something to type, no typographic apostrophe), and no ``{placeholder}`` is left unfilled;
* in German, French and Italian no text is an English message the catalogs translate (a text shown
  without ``_()``), and no English-only word appears (``ENGLISH_ONLY``, asked for German, and no
  words in French or Italian either; bexio's names stay as bexio has them).

A surface a later issue adds is covered without editing this test: it is in the registry, and its
buttons are in the views the crawl sees.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from sqlalchemy import func, select

from bexio.sandbox import build_state, serve_sandbox
from bxhours.fakes import block_kit
from bxhours.fakes.slack_client import SlackResponse
from bxhours.fakes.stack import ANDREA, MIA, Stack, run_stack
from core.dates import format_date
from core.i18n import catalog_messages, language_scope
from storage.db import Database
from storage.jobs import utcnow
from storage.models import Activity, Job, Project
from tests.surface_catalog import Entry, catalog

LANGUAGES = ("de", "fr", "it", "en")
MODAL_TEXT, BUTTON_TEXT, OPTION_TEXT = 24, 75, 75
MAX_REQUESTS = 400
"""A bound on the crawl of one language (it needs about a third of it today)."""

ENGLISH_ONLY = re.compile(
    r"\b(Billable|billable|Grand total|Log hours|Log expense|Settings|Customer|customer|Project|project|"
    r"Activity|activity|Cancel|Submit|Save|hours|Week|week|Undo|Delete|Edit|Close|Previous|Next|"
    r"Invoice|invoice|Preview|Sync now|Retry|Nothing|nothing|Please|please|"
    r"could not|cannot|Sorry|the|and|you|your|Your|with|from)\b"
)
"""Words that give an untranslated German screen away. Checked after removing what is not prose:
`code`, “what was typed”, /commands, <links|and mentions>, and the names bexio sent."""

TYPED = ("zzz-nonsense", "1h e", "84.50 e", "2h30 99999")
"""Typed after every command: an unknown word, lines that match several projects (the "which one?"
choices) and none (the refusal) — each command answers them in its own way."""
SAFE_EVENTS = ("app_home_opened",)
"""Events sent when the crawl did not reach them; never the uninstall or revocation of the app."""
LAST = re.compile(r"disconnect|uninstall|revoke|delete|remove|cancel", re.IGNORECASE)
"""Clicked after everything else: they take away what the other clicks need."""


@dataclass
class Seen:
    """Something a person could read: where it came from, and what kind of Slack object it is."""

    where: str
    kind: str  # "view", "message", "options" or "errors"
    body: Any


@dataclass
class Crawl:
    stack: Stack
    seen: list[Seen] = field(default_factory=list)
    reached: set[tuple[str, str]] = field(default_factory=set)
    done: set[tuple[Any, ...]] = field(default_factory=set)
    requests: int = 0
    crawled: set[tuple[str, str]] = field(default_factory=set)
    """What the registry lists that the crawl reached the way people do (the rest: sent as is)."""
    _calls: int = 0
    _hooks: int = 0

    # -- what came back -----------------------------------------------------------------------

    def take(self) -> None:
        """Everything the fake Slack received since the last look."""
        fake = self.stack.fake
        for call in fake.calls[self._calls :]:
            if call.method.startswith("views."):
                view = call.params.get("view")
                view = json.loads(view) if isinstance(view, str) else view
                if isinstance(view, dict):
                    self.seen.append(Seen(call.method, "view", view))
            elif call.method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
                self.seen.append(Seen(call.method, "message", _message(call.params)))
        for path, body in fake.hooks[self._hooks :]:
            if isinstance(body, dict):
                self.seen.append(Seen(f"response_url {path}", "message", body))
        self._calls, self._hooks = len(fake.calls), len(fake.hooks)

    def acknowledged(self, where: str, response: SlackResponse) -> None:
        if response.status != 200 or not response.text:
            return
        if not response.text.startswith("{"):
            self.seen.append(Seen(where, "message", {"text": response.text}))
            return
        body = response.json
        if not isinstance(body, dict):
            return
        if "options" in body or "option_groups" in body:
            self.seen.append(Seen(where, "options", body))
        elif body.get("response_action") == "errors":
            self.seen.append(Seen(where, "errors", body.get("errors")))
        elif isinstance(body.get("view"), dict):
            self.seen.append(Seen(where, "view", body["view"]))
        elif "text" in body or "blocks" in body:
            self.seen.append(Seen(where, "message", body))

    async def settled(self) -> None:
        """Handlers go on after their acknowledgement, and commands may start jobs: wait for both."""
        await self.stack.runtime.drain(20)
        for _ in range(600):
            if not await self._jobs_due():
                break
            await asyncio.sleep(0.05)
        await self.stack.runtime.drain(20)
        self.take()

    async def _jobs_due(self) -> int:
        """Jobs running or due now (not the poller's next round, nor a retry later on)."""
        async with self.stack.runtime.db.system_session() as session:
            found = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.tenant_id == self.stack.tenant_id,
                    (Job.status == "running") | ((Job.status == "queued") & (Job.run_at <= utcnow())),
                )
            )
        return int(found or 0)

    # -- sending --------------------------------------------------------------------------------

    async def command(self, user: str, command: str, text: str) -> None:
        self.requests += 1
        response = await self.stack.slack.command(command, text, user_id=user)
        self.reached.add(("command", command))
        self.acknowledged(f"{command} {text}".strip(), response)
        await self.settled()

    async def home(self, user: str) -> None:
        self.requests += 1
        await self.stack.slack.open_home(user)
        self.reached.add(("event", "app_home_opened"))
        await self.settled()

    async def act(self, user: str, action_id: str, origin: dict[str, Any] | None, **how: Any) -> None:
        self.requests += 1
        view = origin if origin is not None and origin.get("type") in ("modal", "home") else None
        message = None if view is not None else origin
        response = await self.stack.slack.block_action(user, action_id, view=view, message=message, **how)
        self.reached.add(("action", action_id))
        self.acknowledged(f"click {action_id}", response)
        await self.settled()

    async def load_options(self, user: str, action_id: str, view: dict[str, Any] | None, value: str) -> None:
        self.requests += 1
        response = await self.stack.slack.options(user, action_id, value, view=view)
        self.reached.add(("options", action_id))
        self.acknowledged(f"options {action_id} {value!r}", response)
        await self.settled()

    async def submit(self, user: str, view: dict[str, Any], state: dict[str, Any] | None = None) -> None:
        self.requests += 1
        response = await self.stack.slack.submit_view(user, view, state or {})
        self.reached.add(("view", str(view.get("callback_id"))))
        self.acknowledged(f"submit {view.get('callback_id')}", response)
        await self.settled()

    # -- crawling -------------------------------------------------------------------------------

    async def visit_everything_in_sight(self, user: str) -> int:
        """Click, load and submit what the views and messages seen so far offer; how many requests."""
        before = self.requests
        targets = list(self._targets())
        targets.sort(key=lambda target: bool(LAST.search(target[1])))
        for key, action_id, origin, element in targets:
            if key in self.done or self.requests >= MAX_REQUESTS:
                continue
            self.done.add(key)
            await self._use(user, action_id, origin, element)
        for view in list(self.stack.fake.views.values()):
            if view.get("type") != "modal" or not view.get("submit"):
                continue
            for how in ("empty", "filled"):  # field errors first, then what a filled form answers
                key = ("submit", how, view.get("callback_id"))
                if key in self.done or self.requests >= MAX_REQUESTS:
                    continue
                self.done.add(key)
                state = {} if how == "empty" else await self._filled(user, view)
                if state is not None:
                    await self.submit(user, view, state)
        return self.requests - before

    async def _filled(self, user: str, view: dict[str, Any]) -> dict[str, Any] | None:
        """The state of the modal as a person leaves it after filling every input in the obvious
        way: what was proposed, else the first choice, else "1"; None when some input cannot be."""
        state: dict[str, Any] = {}
        for block in view.get("blocks") or []:
            element = (
                block.get("element") if isinstance(block, dict) and block.get("type") == "input" else None
            )
            if not isinstance(element, dict) or not isinstance(element.get("action_id"), str):
                continue
            value = await self._value(user, view, element)
            if value is None:
                if block.get("optional"):
                    continue
                return None
            state[str(block.get("block_id"))] = {element["action_id"]: {"type": element.get("type"), **value}}
        return state

    async def _value(self, user: str, view: dict[str, Any], element: dict[str, Any]) -> dict[str, Any] | None:
        kind = element.get("type")
        if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
            return {"value": element.get("initial_value") or "1"}
        if kind in ("static_select", "radio_buttons", "external_select"):
            chosen = element.get("initial_option") or next(
                iter(await self._options(user, view, element)), None
            )
            return {"selected_option": chosen} if chosen is not None else None
        if kind in ("checkboxes", "multi_static_select"):
            return {"selected_options": list(element.get("initial_options") or [])}
        if kind == "datepicker":
            return {"selected_date": element.get("initial_date") or utcnow().date().isoformat()}
        if kind == "timepicker":
            return {"selected_time": element.get("initial_time") or "09:00"}
        if kind == "users_select":
            return {"selected_user": element.get("initial_user") or user}
        if kind == "multi_users_select":
            return {"selected_users": list(element.get("initial_users") or [user])}
        if kind == "conversations_select" or kind == "channels_select":
            found = element.get("initial_conversation") or element.get("initial_channel")
            return {"selected_conversation": found, "selected_channel": found} if found else None
        return None

    async def _options(
        self, user: str, view: dict[str, Any], element: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if element.get("type") != "external_select":
            options = [o for group in element.get("option_groups") or [] for o in group.get("options", [])]
            return options or list(element.get("options") or [])
        self.requests += 1
        response = await self.stack.slack.options(user, element["action_id"], "", view=view)
        body = response.json if response.status == 200 and response.text.startswith("{") else {}
        if not isinstance(body, dict):
            return []
        options = [o for group in body.get("option_groups") or [] for o in group.get("options", [])]
        return options or list(body.get("options") or [])

    def _targets(self) -> Iterator[tuple[tuple[Any, ...], str, dict[str, Any] | None, dict[str, Any]]]:
        origins: list[tuple[str, dict[str, Any] | None, list[Any]]] = []
        for view in self.stack.fake.views.values():  # as Slack holds them now: with ids
            where = "home" if view.get("type") == "home" else str(view.get("callback_id"))
            origins.append((where, view, view.get("blocks") or []))
        for seen in self.seen:
            if seen.kind == "message" and isinstance(seen.body.get("blocks"), list):
                origins.append(("message", {"ts": "1700000000.000100", **seen.body}, seen.body["blocks"]))
        for where, origin, blocks in origins:
            for element in _interactive(blocks):
                action_id = element.get("action_id")
                if not isinstance(action_id, str):
                    continue
                for variant, _how in _ways_to_use(element):
                    yield (where, action_id, variant), action_id, origin, element

    async def _use(
        self, user: str, action_id: str, origin: dict[str, Any] | None, element: dict[str, Any]
    ) -> None:
        kind = element.get("type")
        view = origin if origin is not None and origin.get("type") in ("modal", "home") else None
        if kind in ("external_select", "multi_external_select"):
            for typed in ("", "a"):
                await self.load_options(user, action_id, view, typed)
            return
        if element.get("_input") and not element.get("dispatch_action"):
            return  # an input's value is read on submission; Slack sends no action for it
        for _variant, how in _ways_to_use(element):
            await self.act(user, action_id, origin, block_id=element.get("_block_id") or "b", **how)


def _message(params: dict[str, Any]) -> dict[str, Any]:
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return {"text": params.get("text", ""), **({"blocks": blocks} if blocks is not None else {})}


def _interactive(blocks: list[Any]) -> Iterator[dict[str, Any]]:
    """The elements of blocks a person can use, each with its block id."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block_id = block.get("block_id")
        found: list[tuple[Any, bool]] = []
        if block.get("type") == "actions":
            found = [(element, False) for element in block.get("elements") or []]
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            found = [(block["accessory"], False)]
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            found = [(block["element"], True)]
        for element, in_input in found:
            if isinstance(element, dict) and element.get("type") not in ("image",):
                yield {**element, "_block_id": block_id, "_input": in_input}


def _ways_to_use(element: dict[str, Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(a name for the way, the ``block_action`` arguments) — a select keeps its current choice, so
    that the crawl never changes, say, the language it is checking."""
    kind = element.get("type")
    if kind == "button":
        yield "button", {"value": element.get("value")}
    elif kind == "overflow":
        for index, option in enumerate(element.get("options") or []):
            yield index, {"selected_option": option}
    elif kind in ("static_select", "radio_buttons"):
        options = [o for group in element.get("option_groups") or [] for o in group.get("options", [])]
        options = options or element.get("options") or []
        chosen = element.get("initial_option") or (options[0] if options else None)
        if chosen is not None:
            yield "select", {"selected_option": chosen}
    elif kind == "checkboxes":
        yield "checkboxes", {"selected_options": list(element.get("initial_options") or [])}
    elif kind == "datepicker":
        yield "date", {"selected_date": element.get("initial_date") or "2026-11-23"}
    elif kind in ("external_select", "multi_external_select"):
        yield "options", {}


# --- the run -----------------------------------------------------------------------------------


async def _prepare(stack: Stack, language: str) -> None:
    """The workspace speaks ``language``, has bexio's data, and an entry of this week."""
    services = stack.runtime.services
    await services.settings.set(stack.tenant_id, "language", language, actor="test")
    for person in (ANDREA, MIA):
        await services.languages.choose(stack.tenant_id, person, language)


async def _log_something(crawl: Crawl) -> None:
    async with crawl.stack.runtime.db.session(crawl.stack.tenant_id) as session:
        project = await session.scalar(
            select(Project.name).where(Project.active.is_(True)).order_by(Project.id)
        )
        activity = await session.scalar(
            select(Activity.name).where(Activity.active.is_(True)).order_by(Activity.id)
        )
    if project and activity:
        await crawl.command(ANDREA, "/log-hours", f"2h30 {project} / {activity}: review")


async def _crawl(stack: Stack) -> Crawl:
    key = stack.runtime.settings.bxhours_encryption_key
    assert key is not None
    entries = catalog(stack.runtime.services, key.get_secret_value())
    commands = sorted(
        {entry.name for entry in entries if entry.kind == "command" and entry.name.startswith("/")}
    )
    words = {
        entry.name: sorted(word for word in entry.registration.words if word)
        for entry in entries
        if entry.kind == "command"
    }
    crawl = Crawl(stack)
    if "/bx-sync" in commands:  # bexio's data first: the other surfaces show it
        await crawl.command(ANDREA, "/bx-sync", "")
    await _log_something(crawl)
    for person in (ANDREA, MIA):
        await crawl.home(person)
        for command in commands:
            for text in ("", "help", *words.get(command, []), *TYPED):
                await crawl.command(person, command, text)
    for _round in range(3):  # what the first clicks open has buttons of its own
        if not await crawl.visit_everything_in_sight(ANDREA):
            break
    await _send_the_rest(crawl, entries)
    return crawl


async def _send_the_rest(crawl: Crawl, entries: list[Entry]) -> None:
    """What the registry lists and the crawl did not reach, sent once from where its surface lives."""
    crawl.crawled = {(entry.kind, entry.name) for entry in entries} & crawl.reached
    home = crawl.stack.fake.home.get(ANDREA)
    for entry in entries:
        if (entry.kind, entry.name) in crawl.reached:
            continue
        surface = entry.surface
        origin: dict[str, Any] | None = None
        if surface.home and home is not None:
            origin = home
        elif surface.views:
            origin = _synthetic_modal(sorted(surface.views)[0])
        if entry.kind == "action":
            await crawl.act(ANDREA, entry.name, origin, value="")
        elif entry.kind == "options":
            await crawl.load_options(ANDREA, entry.name, origin, "")
        elif entry.kind == "view":
            await crawl.submit(ANDREA, _synthetic_modal(entry.name))
        elif entry.kind == "event" and entry.name in SAFE_EVENTS:
            await crawl.home(ANDREA)


def _synthetic_modal(callback_id: str) -> dict[str, Any]:
    return {
        "id": "V0NOTOPEN",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": "",
        "hash": "1.x",
        "title": {"type": "plain_text", "text": "x"},
        "blocks": [],
    }


# --- what people read ----------------------------------------------------------------------------

TEXT_KEYS = ("text", "title", "submit", "close", "label", "placeholder", "hint", "description")
NOT_READ = ("value", "url", "action_id", "block_id", "callback_id", "private_metadata", "id", "hash", "ts")


def readable(seen: Seen) -> list[str]:
    """Every text a person reads in what was seen: field errors are texts by themselves."""
    if seen.kind == "errors" and isinstance(seen.body, dict):
        return [text for text in seen.body.values() if isinstance(text, str)]
    return list(texts(seen.body))


def texts(value: Any) -> Iterator[str]:
    """Every text a person reads in a view, message or options list (not ids, values or urls)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in TEXT_KEYS and isinstance(inner, str):
                yield inner
            elif key not in NOT_READ:
                yield from texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from texts(inner)


def _prose(text: str) -> str:
    """What is written in the reader's language: without `code`, “what was typed” (``quote_input``),
    /commands, <links> and emoji codes."""
    text = re.sub(r"```.*?```|`[^`]*`|“[^”]*”", " ", text, flags=re.DOTALL)  # “typed”: as typed
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"(?<![\w.])/[a-z][\w-]*", " ", text)
    return re.sub(r":[a-z0-9_+-]+:", " ", text)


@cache
def _translated(language: str) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """English messages the catalogs of ``language`` translate: whole texts, and patterns for the
    longer ones with placeholders (found inside a text, their placeholders filled)."""
    whole: set[str] = set()
    patterns = []
    for message, translated in catalog_messages(language).items():
        first = translated[0] if isinstance(translated, tuple) else translated
        if not first or first == message:
            continue
        literal = re.sub(r"\{\w*\}", "", message)
        if "{" not in message:
            whole.add(message)
            if len(message) >= 20:
                patterns.append(re.compile(re.escape(message)))
        elif len(literal.strip()) >= 20:
            parts = re.split(r"\{\w*\}", message)
            patterns.append(re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL))
    return frozenset(whole), tuple(patterns)


def _untranslated(language: str, text: str) -> str | None:
    whole, patterns = _translated(language)
    if text.strip() in whole:
        return text.strip()
    for pattern in patterns:
        if found := pattern.search(text):
            return found.group(0)
    return None


async def _bexio_names(stack: Stack) -> list[str]:
    """Names as bexio has them (any language): they stay as they are on every screen."""
    from storage.models import Customer

    names: list[str] = []
    async with stack.runtime.db.session(stack.tenant_id) as session:
        for column in (Project.name, Activity.name, Customer.name):
            names += [str(name) for name in await session.scalars(select(column)) if name]
    return sorted(set(names), key=len, reverse=True)


def _limits(seen: Seen) -> list[str]:
    """Slack's limits for this object, and no text cut short with "…" to fit one."""
    body = seen.body
    problems: list[str] = []
    if seen.kind == "view":
        problems += block_kit.view_problems(body)
        if body.get("type") == "modal":
            for key in ("title", "submit", "close"):
                text = (body.get(key) or {}).get("text")
                if text is not None and (len(text) > MODAL_TEXT or _cut(text, MODAL_TEXT)):
                    problems.append(f"modal {key} {text!r}: more than {MODAL_TEXT} characters or cut")
    elif seen.kind == "message":
        problems += block_kit.message_problems(body)
    elif seen.kind == "options":
        problems += block_kit.options_problems(body)
    for element in _all_dicts(body):
        if element.get("type") == "button":
            text = element.get("text", {}).get("text", "")
            if len(text) > BUTTON_TEXT or _cut(text, BUTTON_TEXT):
                problems.append(f"button {text!r}: more than {BUTTON_TEXT} characters or cut")
        if "value" in element and isinstance(element.get("text"), dict) and element.get("type") is None:
            text = element["text"].get("text", "")
            if len(text) > OPTION_TEXT:
                problems.append(f"option {text!r}: more than {OPTION_TEXT} characters")
    return problems


ISO_DATE = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
CURLY_THOUSANDS = re.compile(r"\d[’‘]\d{3}")


def _formats(text: str) -> list[str]:
    """Swiss formats in every language (issue 14 §3): `05.12.2026`, `CHF 1'234.50` — an ISO date
    is shown only as something to type (`code`), and thousands take the ASCII apostrophe."""
    prose = _prose(text)
    problems = [f"ISO date {found.group(0)!r} in {text!r}" for found in ISO_DATE.finditer(prose)]
    problems += [
        f"typographic apostrophe in {found.group(0)!r} in {text!r}"
        for found in CURLY_THOUSANDS.finditer(text)
    ]
    return problems


def _cut(text: str, limit: int) -> bool:
    """Shortened to fit (a label that ends in "…" on purpose, "Log…", is short)."""
    return text.endswith("…") and len(text) >= limit - 1


def _all_dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _all_dicts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _all_dicts(inner)


# --- the test --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_surface_in_every_language(stack: Stack, language: str) -> None:
    await _prepare(stack, language)
    crawl = await _crawl(stack)
    names = await _bexio_names(stack)

    kinds = {seen.kind for seen in crawl.seen}
    assert {"view", "message", "errors"} <= kinds, f"the crawl saw too little: {kinds}"
    assert stack.fake.home.get(ANDREA) is not None
    assert sum(seen.kind == "view" for seen in crawl.seen) >= 5, "no modal opened?"
    assert len(crawl.crawled) >= 30, f"the crawl reached little of the registry: {sorted(crawl.crawled)}"

    problems: list[str] = []
    for seen in crawl.seen:
        problems += [f"{seen.where}: {problem}" for problem in _limits(seen)]
        problems += [f"{seen.where}: {problem}" for text in readable(seen) for problem in _formats(text)]
        for text in readable(seen):
            if re.search(r"\{[a-z_]+\}", text) and "{seq" not in text:  # {seq}: a number format
                problems.append(f"{seen.where}: a placeholder left unfilled in {text!r}")
            if language == "en":
                continue
            if (english := _untranslated(language, text)) is not None:
                problems.append(f"{seen.where}: English message {english!r} in {text!r}")
            # English-only words: in German as asked, in French and Italian as much (no words there)
            prose = _prose(text)
            for name in names:
                prose = prose.replace(name, " ")
            if found := ENGLISH_ONLY.search(prose):
                problems.append(f"{seen.where}: English {found.group(0)!r} in {text!r}")
    unique = list(dict.fromkeys(problems))
    assert not unique, f"{len(unique)} problem(s) in {language}:\n" + "\n".join(unique[:60])


@pytest.mark.parametrize(
    ("language", "apology"),
    [
        ("de", "Entschuldigung — bei uns ist etwas schiefgegangen"),
        ("fr", "Désolé"),
        ("it", "Scusa"),
        ("en", "Sorry — something went wrong on our side and nothing was changed."),
    ],
)
async def test_the_apology_for_a_failure_is_in_the_persons_language(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, language: str, apology: str
) -> None:
    """The handler's language scope has ended when the error handler writes the apology: it is
    handed over (``bot.handlers.errors.SPOKEN``), so the apology is not English for everyone."""
    await _prepare(stack, language)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the week could not be read")

    monkeypatch.setattr(stack.runtime.services.week, "load", broken)
    response = await stack.slack.command("/log-hours", "week", user_id=ANDREA)
    assert response.status == 200
    said = await stack.fake.wait_for_hook(lambda body: "`" in str(body.get("text")))
    assert str(said["text"]).startswith(apology), said["text"]


@pytest.fixture
async def expired_stack(database_url: str, db: Database) -> AsyncIterator[Stack]:
    """bxhours with a personal access token that expired yesterday."""
    state = build_state("demo", timesheets=10)
    token = state.issue_pat(lifetime=timedelta(days=-1))
    async with (
        serve_sandbox(state) as sandbox,
        run_stack(database_url, bexio_url=sandbox.url, bexio_token=token) as running,
    ):
        yield running


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_expired_token_names_its_day_as_swiss_people_write_it(
    expired_stack: Stack, language: str
) -> None:
    """The date stands alone in `/bx-sync status`: `04.12.2026` in every language, never ISO."""
    with language_scope(language):
        view = await expired_stack.runtime.services.sync_status.connection(expired_stack.tenant_id)
    expired = (utcnow() - timedelta(days=1)).date()
    assert view.state == "broken"
    assert format_date(expired) in str(view.reason), view.reason
    assert expired.isoformat() not in str(view.reason)
