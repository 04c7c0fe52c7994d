"""Help texts of the slash commands (what `/<command> help` answers)."""

from __future__ import annotations

from core.i18n import N_, _

LOG_HOURS = N_("""*`/log-hours` — log time*
`/log-hours DURATION [nb] [DATE] PROJECT [/ ACTIVITY] [: NOTE]`
• `/log-hours 2h30 Website Relaunch / Umsetzung: checkout bug`
• `/log-hours 1.5h yesterday 000042`
• `/log-hours 45m 20.11. website: call with client`
DURATION: `2h`, `2h30`, `2.5h`, `2,5h`, `90m`, `1:30` · `nb` = not billable
DATE: `today`/`heute`, `yesterday`/`gestern`, `mon`…`sun`/`mo`…`so`, `2026-11-20`, `20.11.2026`, `20.11.`
PROJECT: number (`42`) or name; a unique prefix is enough; quote names containing ` / ` or `:`
`/log-hours` alone opens a form · `/log-hours week` shows this week
`/log-hours again` repeats your last entry for today · `/log-hours start PROJECT [/ ACTIVITY]` starts a timer, `/log-hours stop` stops it and logs its minutes""")

LOG_EXPENSE = N_("""*`/log-expense` — log an expense*
`/log-expense AMOUNT [DATE] PROJECT [/ CATEGORY] [: NOTE]`
• `/log-expense 84.50 yesterday Website Relaunch / Reisekosten: train Bern–Zürich`
AMOUNT is what the receipt says, VAT included, in CHF. CATEGORY defaults to `Spesen`.
`/log-expense` alone opens a form.""")

INVOICE = N_("""*`/invoice` — create a draft invoice in bexio*
`/invoice` opens the invoice form: pick the customer, project and period, tick the services,
check the preview (VAT, CHF rounding) and submit — the draft appears in bexio with a link back.
Only admins and the people in the setting `billing_users` can invoice.""")

BX_SYNC = N_("""*`/bx-sync` — import from bexio*
• `/bx-sync` — re-import users, customers, projects, activities, accounts, taxes and historic hours (admins)
• `/bx-sync status` — the bexio connection, the last import, pending and failed jobs
• `/bx-sync link @person bexio-email` — link a Slack user to a bexio user by hand (admins)
• `/bx-sync help` — this text""")

BY_COMMAND = {
    "/log-hours": LOG_HOURS,
    "/log-expense": LOG_EXPENSE,
    "/invoice": INVOICE,
    "/bx-sync": BX_SYNC,
}


def text(command: str) -> str:
    """The help of a command in the current language."""
    return _(BY_COMMAND[command])


def unknown_subcommand(command: str, word: str) -> str:
    return _(
        "`{command} {word}` is not something I know. Here is what `{command}` can do:\n\n{help}",
        command=command,
        word=word,
        help=text(command),
    )


def unknown_command(command: str) -> str:
    known = ", ".join(f"`{name}`" for name in BY_COMMAND)
    return _(
        "I don't know the command `{command}`. bxhours understands {known} — add `help` to any of them.",
        command=command,
        known=known,
    )
