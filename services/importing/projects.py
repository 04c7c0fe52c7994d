"""bexio projects, with their state and type names, invoice type and amount, linked to customers.

bexio hides archived projects from lists (they stay readable by id), so a project that leaves the
list is marked inactive with a reason — never deleted, as entries may point at it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import select

from bexio.errors import BexioNotFound
from bexio.models import Project as BexioProject
from bexio.models import ProjectState, ProjectType
from bexio.reading import PageReader
from bexio.search import Criterion
from core.money import quantize_money
from services.importing.context import ImportContext, Row
from services.importing.staging import LIVE, Mirror
from services.importing.summary import ResourceChanges
from storage.models import Customer, Project

PROJECTS = Mirror(
    "projects",
    Project,
    fields=(
        "nr",
        "name",
        "customer_id",
        "bexio_contact_id",
        "state_id",
        "state_name",
        "type_id",
        "type_name",
        "invoice_type",
        "invoice_amount",
        "start_date",
        "end_date",
        "bexio_user_id",
    ),
    constants={"created_in_bxhours": False},
    on_retire={"inactive_reason": "archived or deleted in bexio"},
    touched=("updated_at",),
)
PROJECTS_READER: PageReader[BexioProject] = PageReader(BexioProject)
STATES_READER: PageReader[ProjectState] = PageReader(ProjectState)
TYPES_READER: PageReader[ProjectType] = PageReader(ProjectType)


def project_row(
    project: BexioProject,
    *,
    customers: Mapping[int, int],
    states: Mapping[int, str],
    types: Mapping[int, str],
) -> Row:
    amount = project.pr_invoice_type_amount
    return {
        "bexio_id": project.id,
        "nr": project.nr,
        "name": project.name,
        "customer_id": customers.get(project.contact_id) if project.contact_id is not None else None,
        "bexio_contact_id": project.contact_id,
        "state_id": project.pr_state_id,
        "state_name": states.get(project.pr_state_id) if project.pr_state_id is not None else None,
        "type_id": project.pr_project_type_id,
        "type_name": types.get(project.pr_project_type_id)
        if project.pr_project_type_id is not None
        else None,
        "invoice_type": project.pr_invoice_type_id,
        "invoice_amount": quantize_money(amount) if amount is not None else None,
        "start_date": project.start_date,
        "end_date": project.end_date,
        "bexio_user_id": project.user_id,
        LIVE: True,
    }


async def import_projects(ctx: ImportContext) -> ResourceChanges:
    to_row = await _row_builder(ctx)
    async with ctx.workspace.stage(PROJECTS) as stage:
        await ctx.stage_pages(stage, ctx.client.projects.path, PROJECTS_READER, to_row, by_id=True)
        return await stage.apply(ctx.now)


async def import_project(ctx: ImportContext, project_id: int) -> ResourceChanges:
    """Re-read one project (two bexio calls): by id, then among its customer's projects, because
    bexio hides archived projects from lists and searches but still shows them by id. State and
    type names come from the projects already stored; their lists are read only for an id bxhours
    has not seen (a renamed state reaches bxhours with the next full re-read)."""
    try:
        project: BexioProject | None = await ctx.client.projects.get(project_id)
    except BexioNotFound:
        project = None
    if project is not None and project.contact_id is not None:
        listed = await ctx.client.projects.search([Criterion("contact_id", "=", project.contact_id)])
        if all(other.id != project_id for other in listed):
            project = None  # archived
    to_row = await _row_builder(ctx, only=project)
    async with ctx.workspace.stage(PROJECTS) as stage:
        if project is not None:
            await stage.add([to_row(project)])
        return await stage.apply(ctx.now, scope=[project_id])


async def _row_builder(ctx: ImportContext, only: BexioProject | None = None) -> Callable[[BexioProject], Row]:
    """Rows for all projects (state and type lists read from bexio), or for ``only`` one project."""
    session = ctx.workspace.session
    states: dict[int, str] = {}
    types: dict[int, str] = {}
    async with session.begin():
        rows = await session.execute(
            select(Customer.bexio_id, Customer.id).where(Customer.bexio_id.is_not(None))
        )
        customers = {bexio_id: local_id for bexio_id, local_id in rows if bexio_id is not None}
        if only is not None:
            named = await session.execute(
                select(Project.state_id, Project.state_name, Project.type_id, Project.type_name).distinct()
            )
            for state_id, state_name, type_id, type_name in named:
                if state_id is not None and state_name is not None:
                    states[state_id] = state_name
                if type_id is not None and type_name is not None:
                    types[type_id] = type_name
    if only is None or (only.pr_state_id is not None and only.pr_state_id not in states):
        states = {
            s.id: s.name
            for s in await ctx.reference_list(
                ctx.client.project_states.path, STATES_READER, resource="project_states"
            )
        }
    if only is None or (only.pr_project_type_id is not None and only.pr_project_type_id not in types):
        types = {
            t.id: t.name
            for t in await ctx.reference_list(
                ctx.client.project_types.path, TYPES_READER, resource="project_types"
            )
        }

    def to_row(project: BexioProject) -> Row:
        return project_row(project, customers=customers, states=states, types=types)

    return to_row
