"""The last part of `make demo`: bexio changes, bxhours follows — by webhook and by polling.

bexio pushes nothing itself. A customer's automation may post a signed change notification to
``/bexio/webhook``; the worker re-reads just that contact. And the poller looks by itself: here it
finds that the draft the demo created was issued and paid in bexio, and the App Home says so.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import select

from bexio.sandbox import RunningSandbox
from bxhours.fakes.stack import ANDREA, Stack
from core.money import format_money
from services.changes.schedule import POLL_CHANGES, POLL_KEYS
from storage.models import Customer, Invoice
from webhooks.endpoint import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

if TYPE_CHECKING:
    from bxhours.demo import Transcript


async def changes_tour(stack: Stack, transcript: Transcript, sandbox: RunningSandbox) -> None:
    async with stack.runtime.db.session(stack.tenant_id) as session:
        invoice = await session.scalar(select(Invoice).order_by(Invoice.id.desc()).limit(1))
        assert invoice is not None and invoice.bexio_id is not None
        customer = await session.get(Customer, invoice.customer_id)
        assert customer is not None and customer.bexio_id is not None
    async with httpx.AsyncClient(timeout=10) as http:
        await _webhook(stack, transcript, sandbox, http, customer.bexio_id)
        await _poller(stack, transcript, sandbox, http, invoice.id, invoice.bexio_id)


async def _webhook(
    stack: Stack, transcript: Transcript, sandbox: RunningSandbox, http: httpx.AsyncClient, contact_id: int
) -> None:
    transcript.section("bexio changes: a signed change notification")
    contact = sandbox.state.tables["contact"][contact_id]
    before = contact["name_1"]
    contact["name_1"] = f"{before}-Keller"
    sandbox.state.touch("contact", contact_id)
    transcript.note(f"In bexio, someone renames the contact {before} → {contact['name_1']}.")
    body = json.dumps({"resource": "contact", "id": contact_id, "action": "updated"}).encode()
    timestamp = str(int(time.time()))
    secret = stack.runtime.settings.bexio_webhook_secret
    assert secret is not None
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret.get_secret_value(), timestamp, body),
    }
    transcript.request("their automation", f"POST /bexio/webhook {body.decode()} (signed)")
    calls = len(sandbox.state.calls)
    response = await http.post(f"{stack.url}/bexio/webhook", content=body, headers=headers)
    transcript.note(f"← HTTP {response.status_code} {response.text}")

    async def renamed() -> bool:
        async with stack.runtime.db.session(stack.tenant_id) as session:
            name = await session.scalar(select(Customer.name).where(Customer.bexio_id == contact_id))
        return name == contact["name_1"]

    await _until(renamed, "the worker to re-read the contact")
    reads = [f"{call.method} {call.path}" for call in sandbox.state.calls[calls:]]
    transcript.note(f"The worker re-read bexio ({len(reads)} call: {', '.join(reads)}); bxhours now knows")
    transcript.note(f"the customer as {contact['name_1']}. The payload itself is never trusted.")


async def _poller(
    stack: Stack,
    transcript: Transcript,
    sandbox: RunningSandbox,
    http: httpx.AsyncClient,
    invoice_id: int,
    bexio_id: int,
) -> None:
    transcript.section("bexio changes: the poller (bexio pushes nothing itself)")
    bexio = httpx.AsyncClient(
        base_url=sandbox.url,
        headers={"Authorization": f"Bearer {sandbox.token}", "Accept": "application/json"},
        timeout=10,
    )
    async with bexio:
        (await bexio.post(f"/2.0/kb_invoice/{bexio_id}/issue", json={})).raise_for_status()
        total = sandbox.state.tables["kb_invoice"][bexio_id]["total"]
        today = stack.runtime.services.invoicing.today().isoformat()
        paid = await bexio.post(f"/2.0/kb_invoice/{bexio_id}/payment", json={"date": today, "value": total})
        paid.raise_for_status()
    transcript.note(
        f"In bexio, the draft is issued and the customer pays {format_money(Decimal(total))} "
        f"(status {sandbox.state.tables['kb_invoice'][bexio_id]['kb_item_status_id']} = paid)."
    )
    transcript.note(
        "The poller runs every poll_contacts_seconds (60 s); the demo does not wait a minute and runs it now:"
    )
    queue = stack.runtime.queue
    await queue.enqueue(stack.tenant_id, POLL_CHANGES, {}, dedup_key=POLL_KEYS[POLL_CHANGES])
    stack.runtime.worker.wake()

    async def recorded() -> bool:
        async with stack.runtime.db.session(stack.tenant_id) as session:
            status = await session.scalar(select(Invoice.bexio_status_id).where(Invoice.id == invoice_id))
        return status == 9

    await _until(recorded, "the poller to notice the payment")
    transcript.request("Andrea", "opens the bxhours App Home")
    published = len(stack.fake.calls_to("views.publish"))
    await stack.slack.open_home(ANDREA)
    await stack.fake.wait_for("views.publish", count=published + 1)
    for block in stack.fake.home[ANDREA]["blocks"]:
        if block.get("block_id") == "home_invoices":
            transcript.note(block["text"]["text"])


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
