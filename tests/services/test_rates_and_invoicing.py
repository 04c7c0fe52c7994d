"""`rate_key` may only merge entries `rate_for` prices alike; imported hours are invoiced only from a date on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.importing.invoicing import imported_hours_since, invoiceable_entries
from services.rates import rate_depends_on, rate_for, rate_key
from services.settings import TenantSettings
from storage.db import Database
from storage.models import Activity, Project, TimeEntry, User
from storage.tenants import TenantRepository

NOW = datetime(2026, 11, 25, tzinfo=UTC)

projects = st.builds(
    lambda kind, amount, name: Project(
        name=name, invoice_type=kind, invoice_amount=Decimal(amount) if amount else None, updated_at=NOW
    ),
    st.sampled_from([None, 1, 2, 3, 4, 9]),
    st.sampled_from([None, "0", "155", "160.50"]),
    st.sampled_from(["Website", "Shop"]),
)
activities = st.builds(
    lambda name, rate: Activity(name=name, default_rate=Decimal(rate) if rate else None, updated_at=NOW),
    st.sampled_from(["Umsetzung", "Meeting"]),
    st.sampled_from([None, "0", "120", "137.50"]),
)
users = st.one_of(
    st.none(),
    st.builds(
        lambda email: User(email=email, updated_at=NOW), st.sampled_from([None, "mia@a.ch", "Noah@a.ch"])
    ),
)
tenant_settings = st.builds(
    lambda values: TenantSettings(dict(values)),
    st.lists(
        st.sampled_from(
            [
                ("activity_rate:umsetzung", "150.00"),
                ("person_rate:mia@a.ch", "170.00"),
                ("person_rate:noah@a.ch", "90.00"),
            ]
        ),
        unique=True,
    ),
)
combos = st.tuples(projects, activities, users)


@settings(max_examples=300, deadline=None)
@given(tenant_settings, combos, combos)
def test_equal_rate_keys_mean_equal_rates(settings_: TenantSettings, first, second) -> None:  # type: ignore[no-untyped-def]
    (p1, a1, u1), (p2, a2, u2) = first, second
    if rate_key(project=p1, activity=a1, user=u1) != rate_key(project=p2, activity=a2, user=u2):
        return
    one = rate_for(settings_, project=p1, activity=a1, user=u1)
    two = rate_for(settings_, project=p2, activity=a2, user=u2)
    assert (one.rate, one.source) == (two.rate, two.source)


@settings(max_examples=300, deadline=None)
@given(projects, activities, activities, users, users)
def test_rate_key_reads_only_what_rate_depends_on_says(project, a1, a2, u1, u2) -> None:  # type: ignore[no-untyped-def]
    """The import remembers rates by (project, activity?, person?) as ``rate_depends_on`` says:
    an activity or person it leaves out must not change ``rate_key`` — and one it keeps must."""
    by_activity, by_person = rate_depends_on(project)
    if not by_activity:
        assert rate_key(project=project, activity=a1, user=u1) == rate_key(
            project=project, activity=a2, user=u1
        )
    if not by_person:
        assert rate_key(project=project, activity=a1, user=u1) == rate_key(
            project=project, activity=a1, user=u2
        )
    if by_activity and (a1.name, a1.default_rate) != (a2.name, a2.default_rate):
        assert rate_key(project=project, activity=a1, user=u1) != rate_key(
            project=project, activity=a2, user=u1
        )
    if by_person and (u1 and u1.email) != (u2 and u2.email):
        assert rate_key(project=project, activity=a1, user=u1) != rate_key(
            project=project, activity=a1, user=u2
        )


async def test_invoiceable_entries_in_sql(db: Database) -> None:
    tenant = await TenantRepository(db).ensure("T1")
    rows = [("slack", date(2025, 6, 1)), ("bexio", date(2025, 12, 31)), ("bexio", date(2026, 1, 1))]
    async with db.session(tenant.id) as session:
        for source, day in rows:
            session.add(TimeEntry(day=day, minutes=60, source=source, created_at=NOW, updated_at=NOW))
    for since, expected in [
        (None, [("slack", date(2025, 6, 1))]),
        (date(2026, 1, 1), [("slack", date(2025, 6, 1)), ("bexio", date(2026, 1, 1))]),
    ]:
        async with db.session(tenant.id) as session:
            found = (
                await session.execute(
                    select(TimeEntry.source, TimeEntry.day)
                    .where(invoiceable_entries(since))
                    .order_by(TimeEntry.day)
                )
            ).all()
        assert [tuple(row) for row in found] == expected


def test_imported_hours_since_reads_the_setting() -> None:
    assert imported_hours_since(TenantSettings({})) is None
    assert imported_hours_since(TenantSettings({"invoice_imported_hours_since": "2026-01-01"})) == date(
        2026, 1, 1
    )
