"""Why an import stopped, in words an admin can act on (never a traceback, never a token)."""

from __future__ import annotations

from bexio.errors import (
    BexioAuthError,
    BexioError,
    BexioPermissionError,
    BexioRateLimited,
    BexioUnavailable,
    BexioUnexpectedResponse,
)
from services.bexio_access import NotConnected

PAT_HELP = (
    "Create a new personal access token at developer.bexio.com → Personal Access Tokens, "
    "set it as BEXIO_ACCESS_TOKEN, restart bxhours and run `/bx-sync` again."
)
OAUTH_HELP = (
    "An admin must connect bxhours to bexio again (sign in to bexio and grant access), then run `/bx-sync`."
)


class ImportFailed(Exception):
    """The import stopped. What was applied before stays; the resource being read was not touched."""

    def __init__(self, message: str, *, connection_broken: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.connection_broken = connection_broken
        """True when bxhours cannot reach bexio until someone fixes the connection."""


def explain(error: Exception, *, reading: str, auth_kind: str | None) -> ImportFailed | None:
    """The ImportFailed for an error raised while reading ``reading`` ("customers"); None when the
    error is not bexio's (a bug of ours, which must surface as one)."""
    if isinstance(error, ImportFailed):
        return error
    if isinstance(error, NotConnected):
        return ImportFailed(str(error), connection_broken=True)
    if isinstance(error, BexioAuthError):
        help_text = OAUTH_HELP if auth_kind == "oauth" else PAT_HELP
        return ImportFailed(
            f"bexio refused the access token while reading {reading} — it has expired or was revoked. "
            + help_text,
            connection_broken=True,
        )
    if isinstance(error, BexioPermissionError):
        if error.missing_scope:
            return ImportFailed(
                f"bexio refused to show {reading}: the token needs the scope `{error.missing_scope}` "
                "and the bexio user the right to see them. Grant it, then run `/bx-sync` again.",
                connection_broken=True,
            )
        return ImportFailed(
            f"bexio refused to show {reading}: the bexio user behind the token lacks the right to see "
            "them. Give that user the right in bexio, then run `/bx-sync` again.",
            connection_broken=True,
        )
    if isinstance(error, BexioRateLimited):
        return ImportFailed(
            f"bexio kept answering “too many requests” while reading {reading}. "
            "Nothing more was changed; try `/bx-sync` again in a few minutes."
        )
    if isinstance(error, BexioUnavailable):
        return ImportFailed(
            f"bexio could not be reached while reading {reading} ({error.message}). "
            "Nothing more was changed; try `/bx-sync` again later."
        )
    if isinstance(error, BexioUnexpectedResponse):
        return ImportFailed(
            f"bexio sent an answer bxhours cannot read while reading {reading} ({error.message}). "
            "Nothing more was changed; tell whoever runs bxhours."
        )
    if isinstance(error, BexioError):
        return ImportFailed(f"bexio refused a request while reading {reading}: {error.message}.")
    return None
