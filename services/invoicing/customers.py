"""Customers as invoicing sees them: who has unbilled work (and how much), finding one by number
or name, and creating one in bxhours before it exists in bexio.

A customer created here has no bexio id; the first draft for it links or creates the bexio
contact (``services.invoicing.bexio_customers``). Its projects are bxhours projects, so hours can
be logged on them at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.i18n import _
from core.invoice_lines import Grouping, build_lines
from core.invoice_totals import compute_totals
from core.matching import Candidate, MatchKind, match, normalise_name
from core.rates import InvoiceType
from services.invoicing.preview import CustomerRef, customer_ref, time_rounding_of
from services.invoicing.selection import BillableReader
from services.settings import TenantSettings
from storage.models import AuditLog, Customer, Language, Project

MAX_CHOICES = 100
"""Slack shows at most 100 options in a select; typing narrows the list."""
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CENT = Decimal("0.01")


def customer_name(customer: Customer) -> str:
    """The one way people read a customer's name — modal, App Home, DM, CSV, project picker
    (issue 15 §8): the company's name, or a person's first and last name."""
    return customer_ref(customer).name


@dataclass(frozen=True, slots=True)
class CustomerChoice:
    customer: CustomerRef
    unbilled: Decimal | None
    """Net amount of the billable work in the period; None when there is none."""


async def unbilled_by_customer(
    session: AsyncSession, settings: TenantSettings, *, period_from: date | None, period_to: date | None
) -> dict[int, Decimal]:
    """Customer id → net amount of everything billable in the period (lines by activity, as the
    modal's default preview bills them), for every customer that has some."""
    reader = BillableReader(session, settings)
    found = await reader.billable(customer_ids=None, period_from=period_from, period_to=period_to)
    if not found:
        return {}
    taxes = await reader.taxes()
    fixed_projects = {
        e.project_id for b in found.values() for e in b.entries if e.invoice_type is InvoiceType.FIXED_PRICE
    }
    billed = await reader.fixed_price_billed(fixed_projects)
    rounding = time_rounding_of(settings)
    amounts: dict[int, Decimal] = {}
    for customer_id, billable in found.items():
        build = build_lines(
            billable.entries,
            billable.expenses,
            taxes=taxes,
            grouping=Grouping.BY_ACTIVITY,
            time_rounding=rounding,
            fixed_price_billed=billed,
        )
        amounts[customer_id] = compute_totals(build.lines, _CENT).net
    return amounts


async def customer_choices(
    session: AsyncSession,
    settings: TenantSettings,
    query: str,
    *,
    period_from: date | None,
    period_to: date | None,
) -> list[CustomerChoice]:
    """Customers matching what was typed: those with unbilled work first (with the amount), then
    the other active ones, each group by name; at most `MAX_CHOICES`."""
    amounts = await unbilled_by_customer(session, settings, period_from=period_from, period_to=period_to)
    wanted = normalise_name(query)
    rows = await session.scalars(select(Customer).order_by(Customer.name, Customer.id))
    with_work: list[CustomerChoice] = []
    others: list[CustomerChoice] = []
    for customer in rows:
        has_work = customer.id in amounts
        if not (has_work or customer.active) or not _matches(customer, wanted):
            continue
        choice = CustomerChoice(customer_ref(customer), amounts.get(customer.id))
        (with_work if has_work else others).append(choice)
    return (with_work + others)[:MAX_CHOICES]


def _matches(customer: Customer, wanted: str) -> bool:
    if not wanted:
        return True
    if wanted.isdigit() and customer.nr and customer.nr.lstrip("0").startswith(wanted.lstrip("0")):
        return True
    names = (customer.name, customer.name_2 or "")
    return any(wanted in normalise_name(name) for name in names)


class CustomerNotFound(DomainError):
    """What was typed names no customer, or several; the message lists what came close."""


async def find_customer(session: AsyncSession, text: str) -> Customer:
    """A customer by bexio number (`12`, `000012`) or name (exact, or a unique prefix)."""
    customers = list(await session.scalars(select(Customer)))
    candidates = [Candidate(c.id, c.name, c.nr, c.active) for c in customers]
    result = match(text, candidates)
    chosen = result.unique
    if chosen is not None:
        return next(c for c in customers if c.id == chosen.key)
    if result.kind is MatchKind.AMBIGUOUS:
        names = ", ".join(f"{c.name} ({c.nr})" if c.nr else c.name for c in result.found[:5])
        raise CustomerNotFound(
            _("“{text}” matches several customers: {names} — give the number.", text=text, names=names)
        )
    if result.suggestions:
        raise CustomerNotFound(
            _(
                "No customer “{text}”. Did you mean {suggestions}?",
                text=text,
                suggestions=", ".join(result.suggestions),
            )
        )
    raise CustomerNotFound(_("No customer “{text}”.", text=text))


# --- customers created in bxhours ----------------------------------------------------------


@dataclass(frozen=True)
class NewCustomer:
    """A customer typed into the "+ New customer" form (not yet in bexio)."""

    name: str
    """Company name, or the last name of a person."""
    is_person: bool = False
    first_name: str | None = None
    email: str | None = None
    street_name: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    project_name: str | None = None
    project_invoice_type: InvoiceType = InvoiceType.PER_ACTIVITY
    project_amount: Decimal | None = None
    language: str | None = None
    """The language of the customer's documents (``de``, ``fr``, ``it``, ``en``): bexio's language
    of that ISO code, when bexio's languages list was imported."""


class CustomerFormError(DomainError):
    """Field → message for the "+ New customer" form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class CreatedCustomer:
    customer_id: int
    project_id: int | None
    label: str


async def create_customer(
    session: AsyncSession, new: NewCustomer, *, actor: str, now: Callable[[], datetime]
) -> CreatedCustomer:
    """Store a customer (and optionally its first project) that bexio does not know yet."""
    errors: dict[str, str] = {}
    name = " ".join(new.name.split())
    if not name:
        errors["name"] = _("Give the company name (or the person's last name).")
    email = (new.email or "").strip() or None
    if email is not None and not _EMAIL.fullmatch(email):
        errors["email"] = _("“{email}” is not an e-mail address.", email=email)
    project_name = " ".join((new.project_name or "").split()) or None
    needs_amount = new.project_invoice_type in (InvoiceType.PER_PROJECT, InvoiceType.FIXED_PRICE)
    if project_name and needs_amount and (new.project_amount is None or new.project_amount <= 0):
        errors["project_amount"] = _(
            "A project billed per project or at a fixed price needs its amount (e.g. 150 or 12000)."
        )
    if name:
        duplicate = await session.scalar(
            select(Customer).where(func.lower(Customer.name) == name.lower(), Customer.active.is_(True))
        )
        if duplicate is not None and _same_person(duplicate, new):
            shown = f"{duplicate.name} ({duplicate.nr})" if duplicate.nr else duplicate.name
            errors["name"] = _("{customer} already exists — pick it in the customer list.", customer=shown)
    if errors:
        raise CustomerFormError(errors)
    moment = now()
    customer = Customer(
        bexio_id=None,
        contact_type=2 if new.is_person else 1,
        name=name,
        name_2=(new.first_name or "").strip() or None,
        email=email,
        street_name=(new.street_name or "").strip() or None,
        house_number=(new.house_number or "").strip() or None,
        postcode=(new.postcode or "").strip() or None,
        city=(new.city or "").strip() or None,
        language_id=await _bexio_language(session, new.language),
        created_in_bxhours=True,
        created_by=actor,
        active=True,
        updated_at=moment,
    )
    session.add(customer)
    await session.flush()
    project_id = None
    if project_name:
        project = Project(
            name=project_name,
            customer_id=customer.id,
            invoice_type=int(new.project_invoice_type),
            invoice_amount=new.project_amount if needs_amount else None,
            created_in_bxhours=True,
            active=True,
            updated_at=moment,
        )
        session.add(project)
        await session.flush()
        project_id = project.id
    session.add(
        AuditLog(
            actor=actor,
            action="customer.create",
            subject_type="customer",
            subject_id=str(customer.id),
            details={"name": name, "project_id": project_id},
            created_at=moment,
        )
    )
    return CreatedCustomer(customer.id, project_id, customer_ref(customer).label)


async def _bexio_language(session: AsyncSession, iso_code: str | None) -> int | None:
    """bexio's id of the language with this ISO code (None when the list was not imported)."""
    if not iso_code:
        return None
    return await session.scalar(
        select(Language.bexio_id)
        .where(func.lower(Language.iso_639_1) == iso_code.casefold())
        .order_by(Language.active.desc(), Language.bexio_id)
        .limit(1)
    )


def _same_person(existing: Customer, new: NewCustomer) -> bool:
    if not new.is_person:
        return existing.contact_type != 2
    return normalise_name(existing.name_2 or "") == normalise_name(new.first_name or "")
