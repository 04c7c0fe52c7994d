"""bexio's error answers, verbatim where they were observed.

Handlers raise `ApiError`; the app's middleware turns it into the JSON body bexio sends:
`{"error_code": 404, "message": "..."}`, plus `errors: [...]` on form validation failures.
Payroll (4.0) routes render the same errors as RFC 7807 `application/problem+json`.
"""

from __future__ import annotations

from typing import Any, Final

FORM_ERROR_MESSAGE: Final = "The form could not be saved due to the following errors:"
REQUIRED: Final = "Pflichtfeld"
INVALID: Final = "Diese Eingabe ist nicht korrekt."
AUTOMATIC_NUMBERING_ON: Final = (
    "Die Nummer wird automatisch vergeben. Deaktivieren Sie die automatische Nummerierung, "
    "um eine eigene Nummer zu setzen."
)


def unexpected_field(name: str) -> str:
    return f'global: Unexpected extra form field named "{name}".'


def read_only_fields(names: list[str]) -> str:
    return "Widget schema does not include the following field(s): " + ", ".join(names)


class ApiError(Exception):
    """An answer other than success, in bexio's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error_code": self.status, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body

    def problem_body(self) -> dict[str, Any]:
        """The same error as payroll's `application/problem+json`."""
        body: dict[str, Any] = {"status": self.status, "title": self.message}
        if self.errors:
            body["detail"] = "; ".join(self.errors)
        return body


def validation_failed(errors: list[str]) -> ApiError:
    return ApiError(422, FORM_ERROR_MESSAGE, errors=errors)


def not_found() -> ApiError:
    return ApiError(404, "Not found")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)
