"""`bxhours categories`: the expense categories admins keep (bexio has no such list)."""

from __future__ import annotations

import argparse

from bxhours.commands import EXIT_OK, CommandError
from bxhours.commands.tenant_db import tenant_database
from bxhours.settings import Settings
from core.settings_schema import parse_bool


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    categories = sub.add_parser("categories", help="list or change expense categories")
    actions = categories.add_subparsers(dest="categories_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every category with its defaults")
    listing.add_argument("--all", action="store_true", help="include categories no longer in use")
    save = actions.add_parser("set", help="create a category or change one")
    save.add_argument("name")
    save.add_argument("--billable", type=_flag, metavar="yes|no", help="billed to the customer by default")
    save.add_argument("--tax", metavar="CODE", help="sales tax code such as UN81, or 'default'")
    save.add_argument("--account", metavar="NR", help="bexio income account number, e.g. 3400")
    remove = actions.add_parser("remove", help="stop offering a category (logged expenses keep it)")
    remove.add_argument("name")
    categories.set_defaults(handler=categories_command)


def _flag(text: str) -> bool:
    try:
        return parse_bool(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


async def categories_command(args: argparse.Namespace, settings: Settings) -> int:
    from services.expense_categories import CategoryError, CategoryRow, ExpenseCategoryService
    from storage.jobs import utcnow

    def show(row: CategoryRow) -> str:
        billing = "billable" if row.billable_default else "not billable"
        tax = row.tax_code or "default sales tax"
        account = f"account {row.account_no}" if row.account_no else "no account yet"
        state = "" if row.active else " (not in use)"
        return f"{row.name}: {billing}, {tax}, {account}{state}"

    async with tenant_database(settings) as (db, tenant_id):
        service = ExpenseCategoryService(db, utcnow)
        try:
            if args.categories_command == "list":
                for row in await service.list(tenant_id, include_inactive=args.all):
                    print(show(row))
            elif args.categories_command == "set":
                row = await service.save(
                    tenant_id,
                    args.name,
                    actor="cli",
                    billable=args.billable,
                    tax_code=args.tax,
                    account_no=args.account,
                )
                print(show(row))
            else:
                print(show(await service.deactivate(tenant_id, args.name, actor="cli")))
        except CategoryError as exc:
            raise CommandError(exc.message) from None
    return EXIT_OK
