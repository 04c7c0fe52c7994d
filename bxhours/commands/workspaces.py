"""`bxhours workspaces list` and `bxhours workspaces delete T… --confirm`: the tenants of a deployment."""

from __future__ import annotations

import argparse
import json

from bxhours.commands import EXIT_OK, CommandError
from bxhours.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    workspaces = sub.add_parser("workspaces", help="the Slack workspaces this database serves")
    workspaces_sub = workspaces.add_subparsers(dest="workspaces_command", required=True, metavar="ACTION")
    listing = workspaces_sub.add_parser("list", help="every workspace: id, name, bexio company, state")
    listing.add_argument("--json", action="store_true", help="print JSON")
    delete = workspaces_sub.add_parser("delete", help="delete a workspace and all its data (no undo)")
    delete.add_argument("team", help="the workspace's Slack id (T…, or E… for an org-wide install)")
    delete.add_argument("--confirm", action="store_true", help="required: nothing is deleted without it")
    workspaces.set_defaults(handler=workspaces_command)


async def workspaces_command(args: argparse.Namespace, settings: Settings) -> int:
    from bxhours.runtime import resolve_encryption_key
    from storage.crypto import TokenCipher
    from storage.db import Database
    from storage.installations import InstallationRepository

    db = Database(settings.database_url)
    try:
        repo = InstallationRepository(db, TokenCipher(resolve_encryption_key(settings)))
        if args.workspaces_command == "list":
            rows = await repo.tenants()
            if args.json:
                print(
                    json.dumps(
                        [
                            {
                                "workspace": row.slack_team_id,
                                "name": row.slack_team_name,
                                "bexio_company": row.bexio_company_name,
                                "status": row.status,
                                "installed": row.installed,
                                "uninstalled_at": row.uninstalled_at.isoformat()
                                if row.uninstalled_at
                                else None,
                            }
                            for row in rows
                        ],
                        indent=2,
                    )
                )
            elif not rows:
                print("no workspace uses this database yet")
            for row in rows if not args.json else []:
                state = (
                    row.status
                    if row.status != "uninstalled"
                    else f"uninstalled {row.uninstalled_at:%Y-%m-%d}"
                )
                print(
                    f"{row.slack_team_id}\t{row.slack_team_name or '-'}\t"
                    f"bexio: {row.bexio_company_name or 'not connected'}\t{state}"
                )
            return EXIT_OK
        found = await repo.tenant_by_key(args.team)
        if found is None:
            raise CommandError(f"no workspace {args.team} uses this database (see `bxhours workspaces list`)")
        if not args.confirm:
            raise CommandError(
                f"this deletes {found.slack_team_name or found.slack_team_id} and every hour, expense, invoice "
                "record and setting it has; run again with --confirm"
            )
        await repo.delete_tenant(found.id)
        print(f"deleted workspace {found.slack_team_id} and all its data")
        return EXIT_OK
    finally:
        await db.dispose()
