"""Which OAuth scope each bexio route needs.

bexio answers 403 both when the token lacks a scope and when the bexio user lacks the right, and
says neither. Knowing the scope a route needs lets the error tell an admin what to check.
Write scopes imply the read scope (``contact_edit`` ⊃ ``contact_show``). Routes not listed here
(users, business activities, units, languages, …) are open to any token and depend only on the
user's rights (bexio's pseudo-scope ``general``).
"""

from __future__ import annotations

import re

# (path pattern, read scope, write scope); the first match wins, so specific paths come first.
_ROUTE_SCOPES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), read, write)
    for pattern, read, write in (
        (r"^/2\.0/contact(_group|_branch)?(/|$)", "contact_show", "contact_edit"),
        (r"^/2\.0/pr_project", "project_show", "project_edit"),
        (r"^/2\.0/timesheet", "monitoring_show", "monitoring_edit"),
        (r"^/2\.0/kb_invoice", "kb_invoice_show", "kb_invoice_edit"),
        (r"^/2\.0/(accounts|account_groups)(/|$)", "accounting", "accounting"),
        (r"^/3\.0/taxes(/|$)", "accounting", "accounting"),
        (r"^/3\.0/banking/accounts(/|$)", "bank_account_show", "bank_account_show"),
        (r"^/4\.0/payroll/employees/[^/]+/absences", "payroll_absence_show", "payroll_absence_edit"),
        (r"^/4\.0/payroll/employees", "payroll_employee_show", "payroll_employee_edit"),
    )
)

#: What bxhours asks for when it connects through OAuth (issue 13 owns this list): ``offline_access``
#: for refresh tokens, ``company_profile`` so userinfo names the company; ``contact_edit`` because a
#: customer unknown to bexio is created there when it is first invoiced; ``kb_invoice_edit`` for the
#: drafts; ``monitoring_edit`` to write hours back (off by default); the payroll scopes to send
#: absences to bexio payroll. Not ``file``: bexio documents no way to attach a file to an invoice
#: (the timesheet report goes to the biller in Slack instead), and bxhours asks for nothing it does
#: not use. A connection granted fewer (an older version's list) is shown to admins as "Reconnect to
#: allow …".
BXHOURS_SCOPES: tuple[str, ...] = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "company_profile",
    "contact_show",
    "contact_edit",
    "project_show",
    "monitoring_show",
    "monitoring_edit",
    "kb_invoice_show",
    "kb_invoice_edit",
    "accounting",
    "bank_account_show",
    "payroll_employee_show",
    "payroll_absence_show",
    "payroll_absence_edit",
)


def required_scope(path: str, *, write: bool) -> str | None:
    """The scope a call needs, or None for routes governed only by user rights."""
    for pattern, read_scope, write_scope in _ROUTE_SCOPES:
        if pattern.search(path):
            return write_scope if write else read_scope
    return None
