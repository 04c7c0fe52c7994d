"""Payroll (4.0): employees and absences, answered as ``{"data": [...]}`` with UUID ids.

Needs bexio's payroll module; without it bexio answers 403.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Generic, TypeVar

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
