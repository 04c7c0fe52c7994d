"""Why a change could not be processed for good (the worker parks the job instead of retrying)."""

from __future__ import annotations


class ChangeRefused(Exception):
    """Retrying cannot help: the payload is not a change, or bexio refuses bxhours' access until an
    admin fixes the connection. ``message`` says which, in words an admin can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
