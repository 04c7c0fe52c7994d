"""One small class per bexio resource; ``BexioClient`` exposes an instance of each."""

from bexio.resources.accounting import AccountGroups, Accounts, BankAccounts, Currencies, Taxes
from bexio.resources.contacts import ContactGroups, Contacts, ContactSectors
from bexio.resources.invoices import Invoices
from bexio.resources.master_data import (
    CompanyProfiles,
    DocumentSettings,
    Languages,
    PaymentTypes,
    Units,
    Users,
)
from bexio.resources.payroll import Payroll
from bexio.resources.projects import Projects, ProjectStates, ProjectTypes
from bexio.resources.timesheets import BusinessActivities, Timesheets, TimesheetStatuses

__all__ = [
    "AccountGroups",
    "Accounts",
    "BankAccounts",
    "BusinessActivities",
    "CompanyProfiles",
    "ContactGroups",
    "ContactSectors",
    "Contacts",
    "Currencies",
    "DocumentSettings",
    "Invoices",
    "Languages",
    "PaymentTypes",
    "Payroll",
    "ProjectStates",
    "ProjectTypes",
    "Projects",
    "Taxes",
    "TimesheetStatuses",
    "Timesheets",
    "Units",
    "Users",
]
