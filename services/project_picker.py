"""The project picker of the entry forms (issue 15 §8): a project is shown and found with its
customer — "Website Relaunch · Steiner AG" — because people think of the customer first, and two
customers' "Website" projects must be told apart without knowing their numbers.

Matching is the time-entry search's (number prefix, then name prefix, then name containing the
text) plus the customer's name: typing "steiner" lists all of Steiner AG's active projects.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.matching import normalise_name
from services.invoicing.customers import customer_name
from storage.db import Database
from storage.models import Customer, Project

MAX_OPTIONS = 100
"""Slack shows at most 100 options; typing narrows the list."""


@dataclass(frozen=True, slots=True)
class ProjectOption:
    id: int
    label: str


def project_label(name: str, customer: str | None, nr: str | None = None) -> str:
    """`Website Relaunch · Steiner AG`; the project number only when there is no customer to name."""
    if customer:
        return f"{name} · {customer}"
    return f"{name} · {nr}" if nr else name


async def search_projects(db: Database, tenant_id: int, query: str) -> list[ProjectOption]:
    """Active projects matching ``query`` by number, name or customer, best matches first."""
    wanted = normalise_name(query)
    number = wanted.lstrip("0") if wanted.isascii() and wanted.isdigit() else None
    async with db.session(tenant_id) as session:
        customers = {c.id: customer_name(c) for c in await session.scalars(select(Customer))}
        rows = (
            await session.execute(
                select(Project.id, Project.nr, Project.name, Project.customer_id)
                .where(Project.active.is_(True))
                .order_by(Project.name, Project.id)
            )
        ).all()
    ranked: list[tuple[int, str, ProjectOption]] = []
    for project_id, nr, name, customer_id in rows:
        customer = customers.get(customer_id) if customer_id is not None else None
        folded = normalise_name(name)
        if not wanted or (number is not None and nr is not None and nr.lstrip("0").startswith(number)):
            rank = 0
        elif folded.startswith(wanted):
            rank = 1
        elif wanted in folded:
            rank = 2
        elif customer is not None and wanted in normalise_name(customer):
            rank = 3
        else:
            continue
        ranked.append((rank, folded, ProjectOption(project_id, project_label(name, customer, nr))))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [found for _rank, _name, found in ranked[:MAX_OPTIONS]]
