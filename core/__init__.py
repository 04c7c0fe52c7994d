"""Pure domain logic of bxhours: every money and time rule, once, with no I/O.

Services load data and pass it in as plain values; nothing here imports a framework, a
database or an HTTP client (an import-linter contract enforces it). Modules are named after
what they hold: `money`, `durations`, `dates`, `quick_entry`, `matching`, `rates`, `taxes`,
`invoice_lines`, `invoice_totals`, `customers_rule`, `settings_schema`, ...
"""
