"""Payroll (4.0): employees and absences, answered as ``{"data": [...]}`` with UUID ids.

Needs bexio's payroll module; without it bexio answers 403 (``BexioPermissionError``), as it does
without the scopes ``payroll_employee_show``, ``payroll_absence_show``, ``payroll_absence_edit``.
An absence is created with ``reason`` and ``start_date`` required (``end_date``, ``half_day`` and
the figures optional), replaced with ``PUT`` and every field, and deleted; both answer 204.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter

from bexio.models import PayrollAbsence, PayrollEmployee
from bexio.resources._base import query

if TYPE_CHECKING:
    from bexio.client import BexioClient

M = TypeVar("M", bound=BaseModel)


class _Envelope(BaseModel, Generic[M]):
    model_config = ConfigDict(extra="ignore")
    data: list[M]


_EMPLOYEES = TypeAdapter(_Envelope[PayrollEmployee])
_EMPLOYEE = TypeAdapter(PayrollEmployee)
_ABSENCES = TypeAdapter(_Envelope[PayrollAbsence])
_ABSENCE = TypeAdapter(PayrollAbsence)


def absence_body(
    *,
    reason: str,
    start_date: date,
    end_date: date,
    half_day: bool,
    continued_pay: Decimal | None = None,
    disability: Decimal | None = None,
    paid_hours: Decimal | None = None,
) -> dict[str, Any]:
    """The JSON bexio payroll takes for an absence; the figures only when given (numbers)."""
    body: dict[str, Any] = {
        "reason": reason,
        "start_date": start_date.isoformat(),
        "end_date": end_date.isoformat(),
        "half_day": half_day,
    }
    for name, value in (
        ("continued_pay", continued_pay),
        ("disability", disability),
        ("paid_hours", paid_hours),
    ):
        if value is not None:
            body[name] = int(value) if value == value.to_integral_value() else float(value)
    return body


class Payroll:
    path = "/4.0/payroll/employees"

    def __init__(self, client: BexioClient) -> None:
        self._client = client

    async def employees(self) -> list[PayrollEmployee]:
        """The active employees."""
        return (await self._client.get(self.path, _EMPLOYEES)).data

    async def employee(self, employee_id: str, *, on: date | None = None) -> PayrollEmployee:
        """One employee as of ``on`` (bexio: 404/410 once deleted → ``BexioNotFound``)."""
        params = query(date=on.isoformat() if on is not None else None)
        return await self._client.get(f"{self.path}/{employee_id}", _EMPLOYEE, params=params)

    async def absences(self, employee_id: str, *, business_year: int) -> list[PayrollAbsence]:
        return (
            await self._client.get(
                f"{self.path}/{employee_id}/absences", _ABSENCES, params={"businessYear": business_year}
            )
        ).data

    async def absence(self, employee_id: str, absence_id: str) -> PayrollAbsence:
        return await self._client.get(f"{self.path}/{employee_id}/absences/{absence_id}", _ABSENCE)

    async def create_absence(self, employee_id: str, body: dict[str, Any]) -> PayrollAbsence:
        """``POST …/absences`` (201 with the absence and its UUID); see ``absence_body``."""
        return await self._client.post(f"{self.path}/{employee_id}/absences", _ABSENCE, body)

    async def replace_absence(self, employee_id: str, absence_id: str, body: dict[str, Any]) -> None:
        """``PUT …/absences/{id}``: bexio requires every field (204)."""
        await self._client.request("PUT", f"{self.path}/{employee_id}/absences/{absence_id}", json_body=body)

    async def delete_absence(self, employee_id: str, absence_id: str) -> None:
        """``DELETE …/absences/{id}`` (204; 404 when it is gone already)."""
        await self._client.action("DELETE", f"{self.path}/{employee_id}/absences/{absence_id}")
