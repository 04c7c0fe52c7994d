"""Each resource method calls the route bexio documents, with the right verb and body, and parses it."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
import respx

from bexio.auth import StaticTokenAuth
from bexio.client import BexioClient
from bexio.errors import BexioNotFound
from bexio.models import (
    AccountGroup,
    BankAccount,
    BusinessActivity,
    CompanyProfile,
    ContactSector,
    Currency,
    Language,
    PaymentType,
    ProjectState,
    ProjectType,
    TimesheetStatus,
)
from bexio.pacing import Pacer
from bexio.payloads import (
    BusinessActivityCreate,
    ContactEdit,
    DurationTrackingIn,
    InvoiceEdit,
    ProjectCreate,
    TimesheetCreate,
    TimesheetEdit,
)
from bexio.search import Criterion
from bexio.testing import FakeTime
from tests.bexio.recorded import SHARED

BASE = "https://api.bexio.test"
SUCCESS = httpx.Response(200, json={"success": True})
TIMESHEET = {
    "id": 9,
    "user_id": 1,
    "status_id": 1,
    "client_service_id": 3,
    "text": "Workshop",
    "allowable_bill": True,
    "charge": None,
    "contact_id": None,
    "sub_contact_id": None,
    "pr_project_id": 2,
    "pr_package_id": None,
    "pr_milestone_id": None,
    "travel_time": None,
    "travel_charge": None,
    "travel_distance": 0,
    "estimated_time": None,
    "date": "2026-05-20",
    "duration": "2:30",
    "running": False,
    "tracking": {"type": "duration", "date": "2026-05-20", "duration": "2:30"},
}
PROJECT = {
    "id": 2,
    "uuid": "474cc93a-2d6f-47e9-bd3f-a5b5a1941314",
    "nr": "000002",
    "name": "Website",
    "start_date": "2026-01-01 00:00:00",
    "end_date": None,
    "comment": "",
    "pr_state_id": 2,
    "pr_project_type_id": 2,
    "contact_id": 1,
    "contact_sub_id": None,
    "pr_invoice_type_id": 3,
    "pr_invoice_type_amount": "160.00",
    "pr_budget_type_id": None,
    "pr_budget_type_amount": None,
    "user_id": 1,
}


def recorded(name: str) -> httpx.Response:
    raw = json.loads((SHARED / "bexio-recorded" / name).read_text(encoding="utf-8"))
    headers = {key: value for key, value in raw["headers"].items() if key.lower() != "content-length"}
    return httpx.Response(raw["statusCode"], headers=headers, text=raw["data"])


@pytest.fixture
async def client() -> AsyncIterator[BexioClient]:
    fake_time = FakeTime()
    pacer = Pacer(clock=fake_time.clock, sleep=fake_time.sleep)
    async with BexioClient(
        BASE, StaticTokenAuth("pat"), pacer=pacer, sleep=fake_time.sleep, rng=random.Random(2)
    ) as bexio:
        yield bexio


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


def sent(route: respx.Route) -> object:
    return json.loads(route.calls.last.request.content)


async def test_contact_lifecycle(client: BexioClient, api: respx.MockRouter) -> None:
    get = api.get("/2.0/contact/1").mock(return_value=recorded("Contacts/fetch-a-contact.json"))
    edit = api.post("/2.0/contact/32").mock(return_value=recorded("Contacts/edit-contact.json"))
    delete = api.delete("/2.0/contact/36").mock(return_value=recorded("Contacts/delete-a-contact.json"))
    restore = api.patch("/2.0/contact/36/restore").mock(
        return_value=recorded("Contacts/restore-a-contact.json")
    )

    contact = await client.contacts.get(1)
    edited = await client.contacts.edit(32, ContactEdit(name_1="Edited", contact_group_ids=frozenset({1, 4})))
    await client.contacts.delete(36)
    await client.contacts.restore(36)

    assert contact.name_1 == "bexio AG"
    assert edited.name_1.startswith("Edited")
    assert sent(edit) == {"name_1": "Edited", "contact_group_ids": "1,4"}
    assert (get.call_count, delete.call_count, restore.call_count) == (1, 1, 1)


async def test_invoice_lifecycle_and_pdf(client: BexioClient, api: respx.MockRouter) -> None:
    api.get("/2.0/kb_invoice/188").mock(return_value=recorded("Invoices/fetch-an-invoice-edit.json"))
    edit = api.post("/2.0/kb_invoice/188").mock(return_value=recorded("Invoices/edit-an-invoice.json"))
    issue = api.post("/2.0/kb_invoice/188/issue").mock(
        return_value=recorded("Invoices/issue-an-invoice-for-cancel.json")
    )
    revert = api.post("/2.0/kb_invoice/188/revert_issue").mock(return_value=SUCCESS)
    sent_route = api.post("/2.0/kb_invoice/188/mark_as_sent").mock(return_value=SUCCESS)
    cancel = api.post("/2.0/kb_invoice/188/cancel").mock(
        return_value=recorded("Invoices/cancel-an-invoice.json")
    )
    delete = api.delete("/2.0/kb_invoice/188").mock(return_value=recorded("Invoices/delete-an-invoice.json"))
    pdf = api.get("/2.0/kb_invoice/1/pdf").mock(return_value=recorded("Invoices/show-pdf.json"))

    invoice = await client.invoices.get(188)
    edited = await client.invoices.edit(188, InvoiceEdit(title="Test Invoice"))
    await client.invoices.issue(188)
    await client.invoices.revert_issue(188)
    await client.invoices.mark_as_sent(188)
    await client.invoices.cancel(188)
    await client.invoices.delete(188)
    document = await client.invoices.pdf(1, logopaper=False)

    assert invoice.positions is not None
    assert edited.title == "Test Invoice"
    assert sent(edit) == {"title": "Test Invoice"}
    assert all(route.call_count == 1 for route in (issue, revert, sent_route, cancel, delete))
    assert pdf.calls.last.request.url.params["logopaper"] == "0"
    assert document.pdf_bytes().startswith(b"%PDF")
    assert client.stats.calls["GET /2.0/kb_invoice/{id}/pdf"] == 1


async def test_find_by_api_reference_ignores_like_style_near_misses(
    client: BexioClient, api: respx.MockRouter
) -> None:
    search = api.post("/2.0/kb_invoice/search").mock(return_value=recorded("Invoices/search-invoices.json"))

    missing = await client.invoices.find_by_api_reference("4cd39391")

    assert missing is None
    assert sent(search) == [{"field": "api_reference", "value": "4cd39391", "criteria": "="}]


async def test_projects(client: BexioClient, api: respx.MockRouter) -> None:
    listing = api.get("/2.0/pr_project").mock(return_value=httpx.Response(200, json=[PROJECT]))
    search = api.post("/2.0/pr_project/search").mock(return_value=httpx.Response(200, json=[PROJECT]))
    create = api.post("/2.0/pr_project").mock(return_value=httpx.Response(201, json=PROJECT))
    archive = api.post("/2.0/pr_project/2/archive").mock(return_value=SUCCESS)
    reactivate = api.post("/2.0/pr_project/2/reactivate").mock(return_value=SUCCESS)
    api.get("/2.0/pr_project/2").mock(return_value=httpx.Response(200, json=PROJECT))

    projects = await client.projects.all(order_by="name")
    found = await client.projects.search([Criterion("contact_id", "=", 1)])
    created = await client.projects.create(
        ProjectCreate(name="Website", contact_id=1, user_id=1, pr_state_id=2, pr_project_type_id=2)
    )
    fetched = await client.projects.get(2)
    await client.projects.archive(2)
    await client.projects.reactivate(2)

    assert projects == found == [created] == [fetched]
    assert sent(create) == {
        "name": "Website",
        "contact_id": 1,
        "user_id": 1,
        "pr_state_id": 2,
        "pr_project_type_id": 2,
    }
    assert created.pr_invoice_type_amount == Decimal("160.00")
    assert created.start_date == date(2026, 1, 1)
    assert listing.calls.last.request.url.params["order_by"] == "name"
    assert sent(search) == [{"field": "contact_id", "value": 1, "criteria": "="}]
    assert (archive.call_count, reactivate.call_count) == (1, 1)


async def test_timesheets(client: BexioClient, api: respx.MockRouter) -> None:
    listing = api.get("/2.0/timesheet").mock(return_value=httpx.Response(200, json=[TIMESHEET]))
    create = api.post("/2.0/timesheet").mock(return_value=httpx.Response(201, json=TIMESHEET))
    edit = api.post("/2.0/timesheet/9").mock(return_value=httpx.Response(200, json=TIMESHEET))
    api.get("/2.0/timesheet/9").mock(return_value=httpx.Response(200, json=TIMESHEET))
    api.delete("/2.0/timesheet/9").mock(return_value=SUCCESS)
    api.post("/2.0/timesheet/search").mock(return_value=httpx.Response(200, json=[]))
    api.get("/2.0/timesheet_status").mock(return_value=httpx.Response(200, json=[{"id": 1, "name": "Offen"}]))

    pages = [page async for page in client.timesheets.pages(order_by="date_desc")]
    created = await client.timesheets.create(
        TimesheetCreate(
            user_id=1,
            client_service_id=3,
            allowable_bill=True,
            pr_project_id=2,
            text="Workshop",
            tracking=DurationTrackingIn(date=date(2026, 5, 20), duration=150),
        )
    )
    tracking = DurationTrackingIn(date=date(2026, 5, 20), duration=150)
    await client.timesheets.edit(
        9,
        TimesheetEdit(
            user_id=1, client_service_id=3, allowable_bill=True, tracking=tracking, text="Workshop"
        ),
    )
    fetched = await client.timesheets.get(9)
    await client.timesheets.delete(9)
    searched = await client.timesheets.search([Criterion("pr_project_id", "=", 2)])
    statuses = await client.timesheet_statuses.list()

    assert pages == [[created]]
    assert fetched.duration == 150
    assert listing.calls.last.request.url.params["order_by"] == "date_desc"
    assert sent(create)["tracking"] == {"type": "duration", "date": "2026-05-20", "duration": "02:30"}  # type: ignore[index]
    # bexio's edit form requires the same four fields as a create, so they are always sent.
    assert sent(edit) == {
        "user_id": 1,
        "client_service_id": 3,
        "allowable_bill": True,
        "tracking": {"type": "duration", "date": "2026-05-20", "duration": "02:30"},
        "text": "Workshop",
    }
    assert searched == []
    assert statuses == [TimesheetStatus(id=1, name="Offen")]


async def test_business_activities(client: BexioClient, api: respx.MockRouter) -> None:
    api.get("/2.0/client_service").mock(
        return_value=recorded("BusinessActivities/fetch-a-list-of-business-activities.json")
    )
    search = api.post("/2.0/client_service/search").mock(return_value=httpx.Response(200, json=[]))
    create = api.post("/2.0/client_service").mock(
        return_value=httpx.Response(
            201,
            json={
                "id": 6,
                "name": "Beratung",
                "default_is_billable": True,
                "default_price_per_hour": 180,
                "account_id": 95,
            },
        )
    )

    activities = await client.business_activities.list(order_by="name")
    await client.business_activities.search([Criterion("name", "like", "Bera")])
    created = await client.business_activities.create(
        BusinessActivityCreate(
            name="Beratung", default_is_billable=True, default_price_per_hour=Decimal(180), account_id=95
        )
    )

    assert [activity.name for activity in activities][:2] == ["Administration", "Meeting"]
    assert all(isinstance(activity, BusinessActivity) for activity in activities)
    assert sent(search) == [{"field": "name", "value": "Bera", "criteria": "like"}]
    assert sent(create) == {
        "name": "Beratung",
        "default_is_billable": True,
        "default_price_per_hour": 180.0,
        "account_id": 95,
    }
    assert created.default_price_per_hour == Decimal(180)


async def test_reference_data(client: BexioClient, api: respx.MockRouter) -> None:
    api.get("/2.0/contact_branch").mock(
        return_value=recorded("ContactSectors/fetch-a-list-of-contact-sectors.json")
    )
    api.get("/2.0/pr_project_state").mock(return_value=httpx.Response(200, json=[{"id": 1, "name": "Offen"}]))
    api.get("/2.0/pr_project_type").mock(return_value=httpx.Response(200, json=[{"id": 1, "name": "Intern"}]))
    api.get("/2.0/accounts").mock(return_value=recorded("Accounts/fetch-a-list-of-accounts.json"))
    accounts_search = api.post("/2.0/accounts/search").mock(
        return_value=recorded("Accounts/search-accounts.json")
    )
    api.get("/2.0/account_groups").mock(
        return_value=recorded("AccountGroups/fetch-a-list-of-account-groups.json")
    )
    api.get("/3.0/currencies").mock(return_value=recorded("Currencies/fetch-a-list-of-currencies.json"))
    api.get("/2.0/language").mock(return_value=recorded("Languages/fetch-a-list-of-languages.json"))
    api.get("/2.0/payment_type").mock(
        return_value=recorded("PaymentTypes/fetch-a-list-of-payment-types.json")
    )
    api.get("/3.0/banking/accounts").mock(
        return_value=recorded("BankAccounts/fetch-a-list-of-bank-accounts.json")
    )
    api.get("/3.0/banking/accounts/1").mock(
        return_value=recorded("BankAccounts/fetch-a-single-bank-account.json")
    )
    api.get("/2.0/company_profile").mock(
        return_value=recorded("CompanyProfiles/fetch-a-list-of-company-profiles.json")
    )
    api.get("/2.0/kb_item_setting").mock(
        return_value=recorded("DocumentSettings/fetch-a-list-of-document-settings.json")
    )
    api.get("/3.0/taxes/7").mock(return_value=recorded("Taxes/fetch-a-tax.json"))
    api.get("/3.0/users/1").mock(return_value=recorded("Users/fetch-authenticated-user.json"))

    assert await client.contact_sectors.list() == list[ContactSector]()
    assert await client.project_states.list() == [ProjectState(id=1, name="Offen")]
    assert await client.project_types.list() == [ProjectType(id=1, name="Intern")]
    accounts = await client.accounts.all()
    assert sum(account.is_income for account in accounts) > 0
    assert await client.accounts.search([Criterion("account_no", "=", "3400")]) == []
    assert sent(accounts_search) == [{"field": "account_no", "value": "3400", "criteria": "="}]
    groups = await client.account_groups.list()
    assert isinstance(groups[0], AccountGroup)
    currencies = await client.currencies.list()
    assert currencies[0] == Currency(id=1, name="CHF", round_factor=Decimal("0.05"))
    assert isinstance((await client.languages.list())[0], Language)
    assert (await client.payment_types.list())[3] == PaymentType(id=4, name="Rechnung")
    banks = await client.bank_accounts.list()
    assert banks == [await client.bank_accounts.get(1)]
    assert isinstance(banks[0], BankAccount)
    profile = await client.company_profile.current()
    assert isinstance(profile, CompanyProfile)
    assert profile.name == "Mustermann AG"
    invoice_settings = await client.document_settings.for_class("KbInvoice")
    assert invoice_settings.enumeration_format == "RE-%nummer%"
    with pytest.raises(BexioNotFound, match="KbNothing"):
        await client.document_settings.for_class("KbNothing")
    assert (await client.taxes.get(7)).code == "V00"
    assert (await client.users.get(1)).id == 1


async def test_payroll_unwraps_the_data_envelope(client: BexioClient, api: respx.MockRouter) -> None:
    employee = {
        "id": "2b1bd0c9-3c0b-4cf8-9e4b-0b1c5e5b7a11",
        "first_name": "Anna",
        "last_name": "Meier",
        "hours_per_week": 42,
        "employment_level": 80,
        "address": {
            "street_name": "Bahnhofstrasse",
            "house_number": "1",
            "zip_code": "8001",
            "city": "Zürich",
        },
    }
    absence = {"id": "7c1f0f1a", "reason": "Vacation", "start_date": "2026-07-06", "end_date": "2026-07-17"}
    api.get("/4.0/payroll/employees").mock(return_value=httpx.Response(200, json={"data": [employee]}))
    one = api.get(f"/4.0/payroll/employees/{employee['id']}").mock(
        return_value=httpx.Response(200, json=employee)
    )
    absences = api.get(f"/4.0/payroll/employees/{employee['id']}/absences").mock(
        return_value=httpx.Response(200, json={"data": [absence]})
    )

    employees = await client.payroll.employees()
    single = await client.payroll.employee(str(employee["id"]), on=date(2026, 7, 1))
    listed = await client.payroll.absences(str(employee["id"]), business_year=2026)

    assert employees == [single]
    assert single.address is not None
    assert single.address.city == "Zürich"
    assert single.employment_level == Decimal(80)
    assert one.calls.last.request.url.params["date"] == "2026-07-01"
    assert absences.calls.last.request.url.params["businessYear"] == "2026"
    assert listed[0].reason == "Vacation"
