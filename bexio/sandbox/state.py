"""Everything a sandboxed bexio company holds, as plain data tests may read and change.

Records are the JSON objects bexio answers with (ids as keys of one dict per resource), so
`state.tables["contact"][5]["contact_group_ids"] = "1,6"` is exactly what the next
`GET /2.0/contact/5` returns. Facts bexio keeps but does not show — archived contacts,
counters behind automatic numbers — live beside the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from bexio.sandbox.clock import Clock, SystemClock
from bexio.sandbox.faults import Faults
from bexio.sandbox.json_cache import JsonCache, Record
from bexio.sandbox.ratelimit import RateLimiter
from bexio.sandbox.shapes import Shapes
from bexio.sandbox.tokens import PAT_LIFETIME, OAuthClient, TokenStore

#: The resources the sandbox serves, by the name bexio's 2.0 routes use.
TABLES: Final = (
    "user",
    "contact",
    "contact_group",
    "contact_branch",
    "country",
    "pr_project",
    "pr_project_state",
    "pr_project_type",
    "client_service",
    "timesheet",
    "timesheet_status",
    "account",
    "account_group",
    "tax",
    "unit",
    "currency",
    "language",
    "payment_type",
    "bank_account",
    "company_profile",
    "kb_item_setting",
    "kb_invoice",
    "kb_invoice_payment",
)

LOCAL_FORMAT: Final = "%Y-%m-%d %H:%M:%S"


@dataclass
class RecordedCall:
    """One call as the sandbox saw it; recorded on arrival, `status` filled in when answered."""

    method: str
    path: str
    query: dict[str, str]
    #: The parsed JSON body, or the form fields of a form-encoded body; None without a body.
    json_body: Any
    status: int
    at: datetime
    #: The route pattern that served it, e.g. "/2.0/kb_invoice/{id}" ("" when none matched).
    route: str = ""
    #: The injected fault that shaped the answer ("429", "500", "timeout", "partial", …), if any.
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "json_body": self.json_body,
            "status": self.status,
            "at": self.at.isoformat(),
            "route": self.route,
            "fault": self.fault,
        }


@dataclass
class SandboxSettings:
    timezone: str = "Europe/Zurich"
    #: A trial account without the payroll module gets 403 on every /4.0/payroll call.
    payroll_enabled: bool = True
    #: Projects get their `nr` automatically unless this is off (then `document_nr` is required).
    project_automatic_numbering: bool = True
    oauth_access_lifetime: timedelta = timedelta(hours=1)
    #: Whether 429 answers carry `Retry-After` (bexio's behaviour is not documented).
    send_retry_after: bool = True
    #: None (the default): the authorize endpoint shows the login and consent page
    #: (`bexio.sandbox.consent`), as bexio does. Set to a user id of this company: the
    #: authorize endpoint consents at once as that user, without a page (auto-consent) — for
    #: tests and demos that need a code but no browser. With several companies served, the
    #: first company's setting decides and the code is for the first company.
    oauth_login_user_id: int | None = None
    #: Reusing a refresh token that rotation already spent revokes its whole family (every
    #: access and refresh token descending from the same authorization code). Keycloak does
    #: this only with the realm setting "Revoke Refresh Token"; whether bexio's realm has it
    #: on is UNCONFIRMED. Off: the reused token is merely refused.
    oauth_reuse_revokes_family: bool = True
    #: "documented": answers also show the shapes bexio documents beyond the recordings
    #: (integer postcodes, 0/1 booleans, "" for null, …; see `bexio.sandbox.shapes`).
    shapes: Shapes = "usual"


@dataclass
class SandboxState:
    company_id: str = "sandbox0company"
    tables: dict[str, dict[int, Record]] = field(default_factory=lambda: {name: {} for name in TABLES})
    #: Next id per table; `new_id` also skips ids a test inserted by hand.
    next_ids: dict[str, int] = field(default_factory=dict)
    #: Archived contacts and projects: still readable by id, hidden from lists and searches.
    archived: dict[str, set[int]] = field(default_factory=lambda: {"contact": set(), "pr_project": set()})
    #: Last number handed out per numbering sequence ("KbInvoice", "contact", "pr_project").
    counters: dict[str, int] = field(default_factory=dict)
    #: Next id per invoice position type: bexio numbers positions per type.
    position_ids: dict[str, int] = field(default_factory=dict)
    payroll_employees: dict[str, Record] = field(default_factory=dict)
    #: employee id → absence id → absence.
    payroll_absences: dict[str, dict[str, Record]] = field(default_factory=dict)
    #: Employees deleted in bexio: their URLs answer 410 Gone.
    payroll_removed: set[str] = field(default_factory=set)
    settings: SandboxSettings = field(default_factory=SandboxSettings)
    tokens: TokenStore = field(default_factory=TokenStore)
    faults: Faults = field(default_factory=Faults)
    clock: Clock = field(default_factory=SystemClock)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    calls: list[RecordedCall] = field(default_factory=list)
    json_cache: JsonCache = field(default_factory=JsonCache)

    # -- time ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def local_now(self) -> datetime:
        return self.now().astimezone(ZoneInfo(self.settings.timezone))

    def local_timestamp(self) -> str:
        """bexio 2.0's `updated_at`: company-local wall time without a zone."""
        return self.local_now().strftime(LOCAL_FORMAT)

    def today(self) -> date:
        return self.local_now().date()

    # -- records ------------------------------------------------------------------------

    def table(self, name: str) -> dict[int, Record]:
        return self.tables[name]

    def new_id(self, table: str) -> int:
        records = self.tables[table]
        candidate = self.next_ids.get(table, 1)
        while candidate in records:
            candidate += 1
        self.next_ids[table] = candidate + 1
        return candidate

    def exists(self, table: str, record_id: int) -> bool:
        return record_id in self.tables[table]

    def touch(self, table: str, record_id: int) -> None:
        """Bump `updated_at` as bexio does on every write (contacts and invoices have one)."""
        self.tables[table][record_id]["updated_at"] = self.local_timestamp()

    def is_archived(self, table: str, record_id: int) -> bool:
        return record_id in self.archived.get(table, set())

    def invoice_setting(self) -> Record:
        """The `kb_item_setting` of invoices (numbering format, automatic numbering, defaults)."""
        for setting in self.tables["kb_item_setting"].values():
            if setting.get("kb_item_class") == "KbInvoice":
                return setting
        raise LookupError("no kb_item_setting for KbInvoice")

    # -- tokens -------------------------------------------------------------------------

    def issue_pat(self, *, user_id: int = 1, lifetime: timedelta = PAT_LIFETIME) -> str:
        return self.tokens.issue_pat(self.now(), user_id=user_id, lifetime=lifetime)

    def register_oauth_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        self.tokens.clients[client_id] = OAuthClient(client_id, client_secret, tuple(redirect_uris))

    # -- recorded calls -----------------------------------------------------------------

    def calls_to(self, method: str, path: str) -> list[RecordedCall]:
        """Calls with this method whose path — or route pattern, e.g. "/2.0/contact/{id}" — is `path`."""
        method = method.upper()
        return [call for call in self.calls if call.method == method and path in (call.path, call.route)]

    def reset_calls(self) -> None:
        self.calls.clear()
