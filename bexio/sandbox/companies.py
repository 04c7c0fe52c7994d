"""Several sandbox companies behind one server, told apart by token.

bexio serves every company under the same API host; what a call sees is decided by its
bearer token alone. The sandbox does the same: each `SandboxState` keeps its own records,
tokens, faults, rate limit and call log, and the gateway hands a call to the company that
issued its token (personal access token, OAuth access token, refresh token or code).
A call whose token no company knows goes to the first company, which answers 401 as usual.

OAuth clients are registered once for all companies (the developer portal knows apps, not
companies): the companies share one client table, so `state.register_oauth_client` on any
of them registers the client for every company served together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bexio.sandbox.state import SandboxState
from bexio.sandbox.tokens import DEMO_TOKEN, OAuthClient

if TYPE_CHECKING:
    from bexio.sandbox.consent import LoginSession


class SandboxCompanies:
    """The companies one sandbox server serves; the first is the default one."""

    def __init__(self, states: Sequence[SandboxState]) -> None:
        if not states:
            raise ValueError("a sandbox serves at least one company")
        ids = [state.company_id for state in states]
        duplicates = sorted({company_id for company_id in ids if ids.count(company_id) > 1})
        if duplicates:
            raise ValueError(f"two sandbox companies share the company_id {', '.join(duplicates)}")
        if len({id(state) for state in states}) != len(states):
            raise ValueError("the same SandboxState is served twice")
        if sum(DEMO_TOKEN in state.tokens.access for state in states) > 1:
            raise ValueError(
                "more than one company accepts the demo token; build the others with "
                "build_state(..., company=2) (or delete the token from their state.tokens.access)"
            )
        self.states: tuple[SandboxState, ...] = tuple(states)
        clients: dict[str, OAuthClient] = {}
        for state in reversed(self.states):  # the first company's client wins a clash
            clients.update(state.tokens.clients)
        for state in self.states:
            state.tokens.clients = clients
        #: Login pages shown and not yet answered, by tab id (see `bexio.sandbox.consent`).
        self.logins: dict[str, LoginSession] = {}

    @property
    def primary(self) -> SandboxState:
        return self.states[0]

    def holding(self, token: str) -> SandboxState | None:
        """The company that issued `token` (an access or refresh token, or a code), if any."""
        if not token:
            return None
        for state in self.states:
            if state.tokens.holds(token):
                return state
        return None

    def by_id(self, company_id: str) -> SandboxState | None:
        return next((state for state in self.states if state.company_id == company_id), None)

    def users_with_email(self, email: str) -> list[tuple[SandboxState, int]]:
        """(company, user id) of every user with this e-mail, ignoring case, in company order."""
        wanted = email.strip().casefold()
        found: list[tuple[SandboxState, int]] = []
        if not wanted:
            return found
        for state in self.states:
            for user_id, user in state.tables["user"].items():
                address = user.get("email")
                if isinstance(address, str) and address.casefold() == wanted:
                    found.append((state, user_id))
                    break
        return found

    def register_oauth_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        """Register an OAuth app for every company (they share the client table)."""
        self.primary.register_oauth_client(client_id, client_secret, redirect_uris)


def company_name(state: SandboxState) -> str:
    """The name in the company profile (what bexio's `company_name` claim says)."""
    profile = next(iter(state.tables["company_profile"].values()), {})
    name = profile.get("name")
    return name if isinstance(name, str) and name else state.company_id


def superadmin_email(state: SandboxState) -> str | None:
    """The e-mail of the company's first superadmin (lowest user id)."""
    for _, user in sorted(state.tables["user"].items()):
        if user.get("is_superadmin") is True and isinstance(user.get("email"), str):
            return str(user["email"])
    return None
