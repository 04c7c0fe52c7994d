"""Projects with their states and types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bexio.models import Project, ProjectState, ProjectType
from bexio.payloads import ProjectCreate
from bexio.resources._base import Fetchable, Listable, ReferenceList, Searchable

if TYPE_CHECKING:
    from bexio.client import BexioClient


class Projects(Listable[Project], Searchable[Project], Fetchable[Project]):
    """``/2.0/pr_project``; searchable by ``name``, ``contact_id`` and ``pr_state_id`` only."""

    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/pr_project", Project)

    async def create(self, project: ProjectCreate) -> Project:
        return await self._create(project.to_body())

    async def archive(self, project_id: int) -> None:
        await self._client.action("POST", f"{self.path}/{project_id}/archive")

    async def reactivate(self, project_id: int) -> None:
        """Undo ``archive``. bexio serves this at ``/reactivate`` (its operation is named
        v2UnarchiveProject, but there is no ``/unarchive`` route)."""
        await self._client.action("POST", f"{self.path}/{project_id}/reactivate")


class ProjectStates(ReferenceList[ProjectState]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/pr_project_state", ProjectState)


class ProjectTypes(ReferenceList[ProjectType]):
    def __init__(self, client: BexioClient) -> None:
        super().__init__(client, "/2.0/pr_project_type", ProjectType)
