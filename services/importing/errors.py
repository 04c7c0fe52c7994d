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
from core.i18n import N_, _
from services.bexio_access import NOT_CONNECTED, NotConnected

PAT_HELP = N_(
    "Create a new personal access token at developer.bexio.com → Personal Access Tokens, "
    "set it as BEXIO_ACCESS_TOKEN, restart bxhours and run `/bx-sync` again."
)
OAUTH_HELP = N_(
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
        return ImportFailed(_(NOT_CONNECTED), connection_broken=True)
    if isinstance(error, BexioAuthError):
        help_text = _(OAUTH_HELP) if auth_kind == "oauth" else _(PAT_HELP)
        return ImportFailed(
            _(
                "bexio refused the access token while reading {reading} — it has expired or was revoked. "
                "{help}",
                reading=reading,
                help=help_text,
            ),
            connection_broken=True,
        )
    if isinstance(error, BexioPermissionError):
        if error.missing_scope:
            return ImportFailed(
                _(
                    "bexio refused to show {reading}: the token needs the scope `{scope}` "
                    "and the bexio user the right to see them. Grant it, then run `/bx-sync` again.",
                    reading=reading,
                    scope=error.missing_scope,
                ),
                connection_broken=True,
            )
        return ImportFailed(
            _(
                "bexio refused to show {reading}: the bexio user behind the token lacks the right to see "
                "them. Give that user the right in bexio, then run `/bx-sync` again.",
                reading=reading,
            ),
            connection_broken=True,
        )
    if isinstance(error, BexioRateLimited):
        return ImportFailed(
            _(
                "bexio kept answering “too many requests” while reading {reading}. "
                "Nothing more was changed; try `/bx-sync` again in a few minutes.",
                reading=reading,
            )
        )
    if isinstance(error, BexioUnavailable):
        return ImportFailed(
            _(
                "bexio could not be reached while reading {reading} ({detail}). "
                "Nothing more was changed; try `/bx-sync` again later.",
                reading=reading,
                detail=error.message,
            )
        )
    if isinstance(error, BexioUnexpectedResponse):
        return ImportFailed(
            _(
                "bexio sent an answer bxhours cannot read while reading {reading} ({detail}). "
                "Nothing more was changed; tell whoever runs bxhours.",
                reading=reading,
                detail=error.message,
            )
        )
    if isinstance(error, BexioError):
        return ImportFailed(
            _(
                "bexio refused a request while reading {reading}: {detail}.",
                reading=reading,
                detail=error.message,
            )
        )
    return None
