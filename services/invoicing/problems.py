"""What blocks a draft, said before anyone submits it (issue 15 §4, §7).

One sentence per problem, in the reader's language, naming what to fix: the preview's own (no
lines, nothing ticked, too many lines, a line without rate, account, tax or unit) and the
numbering, which depends on bexio's settings rather than on the lines. The command line prints
them (``preview --json``: ``"problems"``), the modal shows the same sentences, and the submit
step refuses with the same ones — a refusal the preview did not show would be a defect.

Accounts count as they are stored: an account bxhours only proposes (§5) is no account until an
admin confirmed it, so a line with a proposal still has its problem here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.invoicing.numbering import bexio_numbers_automatically, next_own_number, numbering_problem
from services.invoicing.preview import Preview
from services.settings import TenantSettings


async def draft_problems(
    session: AsyncSession,
    settings: TenantSettings,
    preview: Preview,
    *,
    invoice_date: date,
    use_bexio_numbering: bool | None = None,
) -> tuple[str, ...]:
    """Every reason the preview's ticked lines cannot become a draft now; empty when they can."""
    found = list(preview.problems)
    use_bexio = settings.get("use_bexio_numbering") if use_bexio_numbering is None else use_bexio_numbering
    example = (await next_own_number(session, settings.get("invoice_number_format"), invoice_date)).number
    numbering = numbering_problem(use_bexio, await bexio_numbers_automatically(session), example)
    if numbering is not None:
        found.append(numbering)
    return tuple(dict.fromkeys(found))
