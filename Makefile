# Every target creates .venv on first use, so a fresh clone needs nothing but python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: catalogs demo try test lint typecheck unit unit-documented run worker sandbox bench clean constraints

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The message catalogs (core/locale/<language>/*.po, edited by translators) compiled to one .mo per
# language; the package build does the same (setup.py). The .mo files are not committed.
CATALOGS := $(VENV)/.catalogs
$(CATALOGS): $(STAMP) $(wildcard core/locale/*/*.po)
	$(BIN)/python -m core.i18n
	touch $(CATALOGS)
catalogs: $(CATALOGS)

demo: $(STAMP) $(CATALOGS)
	$(BIN)/bxhours demo

# Click through by hand: the bexio sandbox, a fake Slack and bxhours serve on 127.0.0.1:8731-8733
# until Ctrl-C; it prints the `bxhours try …` commands that act as a Slack user (README: Trying it).
try: $(STAMP) $(CATALOGS)
	$(BIN)/bxhours try up

# The two test runs at once: the suite mostly waits (HTTP round trips, subprocesses, the database),
# its two workers keep about one core busy, so the documented-shapes run fits beside it. Each run's
# output is shown whole when it ends.
test: $(STAMP) lint typecheck
	$(MAKE) --no-print-directory -j2 --output-sync=target unit unit-documented

lint: $(STAMP) $(CATALOGS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml

typecheck: $(STAMP)
	$(BIN)/mypy core bexio storage

unit: $(STAMP) $(CATALOGS)
	$(BIN)/pytest -q -n 2 --dist loadfile

# The bexio client and every scenario that reads bexio once more against a sandbox that answers in
# every shape bexio documents (integer postcodes, 0/1 booleans, "" for null, dates with a time, ...),
# so a reader that only takes the recorded shapes fails here, not on a customer's first import.
# Scenarios that never read bexio (Slack's hostile input, permissions, the fuzz, logging forms) would
# only repeat themselves: they are left out to keep CI well under 15 minutes. So are those about
# tenancy and operating (uninstall, isolation, token rotation, metrics, log lines): they read bexio
# only through the import, which test_bx_sync and test_workspaces run here. So are the texts in every
# language, timers, recents, reminders, summaries, the week and the setup checklist (bxhours' own data,
# bexio read only through the import). SQLite only.
SLACK_ONLY_SCENARIOS := test_fuzz_payloads.py test_hostile_values.py test_permissions.py \
	test_malformed_payloads.py test_true_apologies.py test_slack_plumbing.py test_settings_modal.py \
	test_front_door_garbage.py test_front_door_inbox.py test_front_door_replays.py test_front_door_unverified.py \
	test_workspace_lifecycle.py test_tenant_isolation.py test_slack_token_rotation.py test_metrics.py \
	test_interaction_logs.py \
	test_every_surface_languages.py test_home_languages.py test_entries_languages.py test_languages.py \
	test_write_back_languages.py test_timers_views.py test_timers.py test_recents.py \
	test_reminders_cli.py test_summary_cli.py test_app_home_week.py test_onboarding.py test_log_expense.py \
	test_reminders.py test_summary.py test_language_choices.py test_jobs_languages.py
DOCUMENTED_SCENARIOS := $(filter-out $(addprefix tests/scenarios/,$(SLACK_ONLY_SCENARIOS)),$(wildcard tests/scenarios/test_*.py))
unit-documented: $(STAMP) $(CATALOGS)
	env -u TEST_DATABASE_URL BXHOURS_SANDBOX_SHAPES=documented \
		$(BIN)/pytest -q -n 2 --dist loadfile tests/bexio $(DOCUMENTED_SCENARIOS)

run: $(STAMP) $(CATALOGS)
	$(BIN)/bxhours serve

worker: $(STAMP) $(CATALOGS)
	$(BIN)/bxhours worker

sandbox: $(STAMP) $(CATALOGS)
	$(BIN)/bxhours sandbox --seed demo

bench: $(STAMP) $(CATALOGS)
	$(BIN)/python bench/bexio_paging.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/ack_latency.py
	$(BIN)/python bench/invoice.py
	$(BIN)/python bench/webhook_flood.py

# Pin the runtime dependencies the image installs to what this environment runs (after a dependency changed).
constraints: $(STAMP)
	$(BIN)/python tools/constraints.py constraints.txt

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
