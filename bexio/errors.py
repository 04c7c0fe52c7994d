"""One error hierarchy for everything that can go wrong talking to bexio.

Every error names the call (method and path, never the query string or headers, so no token can
slip in) and carries bexio's own message. Callers decide on the class, never on the text:
``BexioWriteUncertain`` is the only error after which a write MAY have happened, and the invoice
push relies on that to search by ``api_reference`` before it tries again.
"""

from __future__ import annotations


class BexioError(Exception):
    """Base class: a bexio call failed.

    ``message`` is bexio's own message when it sent one (German, locale-dependent), else ours.
    ``may_have_happened`` is False for every error except ``BexioWriteUncertain``: bexio answered
    with a definite refusal, so nothing was changed.
    """

    may_have_happened: bool = False

    def __init__(self, message: str, *, method: str, path: str, status: int | None = None) -> None:
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        super().__init__(self._describe())

    def _describe(self) -> str:
        status = f" ({self.status})" if self.status is not None else ""
        return f"bexio {self.method} {self.path}{status}: {self.message}"


class BexioRateLimited(BexioError):
    """bexio kept answering 429 after every wait the client was allowed to make."""


class BexioAuthError(BexioError):
    """The token was refused (401) even after a refresh, or the refresh itself was refused.

    The user must reconnect bexio; retrying will not help.
    """

    def __init__(
        self,
        message: str = "bexio connection expired or revoked",
        *,
        method: str,
        path: str,
        status: int | None = 401,
    ) -> None:
        super().__init__(message, method=method, path=path, status=status)


class BexioPermissionError(BexioError):
    """403: the token lacks a scope or the bexio user lacks the right.

    bexio does not say which of the two; ``missing_scope`` names the scope the route needs when
    the client knows it, so the message can tell an admin what to grant.
    """

    def __init__(
        self, message: str, *, method: str, path: str, missing_scope: str | None, status: int = 403
    ) -> None:
        self.missing_scope = missing_scope
        super().__init__(message, method=method, path=path, status=status)

    def _describe(self) -> str:
        base = super()._describe()
        if self.missing_scope is None:
            return f"{base} (the bexio user lacks the right for this)"
        return f"{base} (needs the scope {self.missing_scope!r} and the matching right of the bexio user)"


class BexioValidationError(BexioError):
    """422: bexio refused the data. ``errors`` is bexio's list, verbatim (e.g. ``"name_1: Pflichtfeld"``)."""

    def __init__(self, message: str, *, method: str, path: str, errors: list[str], status: int = 422) -> None:
        self.errors = list(errors)
        super().__init__(message, method=method, path=path, status=status)

    def _describe(self) -> str:
        base = super()._describe()
        return f"{base} {'; '.join(self.errors)}" if self.errors else base


class BexioNotFound(BexioError):
    """404 (or 410 on payroll): the record does not exist (any more)."""


class BexioUnavailable(BexioError):
    """bexio could not be reached or kept failing (5xx, timeouts, connection errors) after retries."""


class BexioWriteUncertain(BexioUnavailable):
    """A write timed out, lost its connection or got a 5xx: bexio MAY have done it.

    Never retry such a write blindly: read back first (e.g. search invoices by ``api_reference``).
    bexio's own bug reports include 500s after a partially created invoice.
    """

    may_have_happened = True


class BexioUnexpectedResponse(BexioError):
    """bexio answered 2xx with a body the client cannot read (not JSON, or not the documented shape)."""
