"""What a job tells a person is written in that person's language (issue 14 §2)."""

from __future__ import annotations

from typing import Any

from core.i18n import language_scope
from services.changes.invoices import DELETED, InvoiceChanges
from services.invoicing.items import MovedItems


class Languages:
    def __init__(self, **people: str) -> None:
        self.people = people

    async def for_person(self, tenant_id: int, slack_user_id: str | None) -> str:
        return self.people.get(slack_user_id or "", "en")


class Notifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def direct_message(self, user_id: str, text: str, blocks: Any = None) -> None:
        self.sent.append((user_id, text))

    async def refresh_home(self, tenant_id: int, user_id: str) -> None:
        return None


async def test_the_deleted_invoice_dm_speaks_its_recipients_language() -> None:
    notifier = Notifier()
    changes = InvoiceChanges(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        notifier,  # type: ignore[arg-type]
        lambda: None,  # type: ignore[arg-type, return-value]
        Languages(U0GRETA="de", U0FRANCINE="fr"),  # type: ignore[arg-type]
    )
    released = MovedItems(entries=3, expenses=0)
    with language_scope("en"):  # the job's (the workspace's) language
        await changes._tell(1, "U0GRETA", "RE-00042", DELETED, released, "deleted")
        await changes._tell(1, "U0FRANCINE", "RE-00042", DELETED, released, "deleted")
        await changes._tell(1, "U0ENGLISH", "RE-00042", DELETED, released, "deleted")
    german, french, english = (text for _person, text in notifier.sent)
    assert "RE-00042" in german and "bexio" in german and german != english
    assert "RE-00042" in french and french not in (german, english)
    assert english == "Draft RE-00042 was deleted in bexio: its 3 entries are unbilled again."
