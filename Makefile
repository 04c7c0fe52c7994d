# Every target creates .venv on first use, so a fresh clone needs nothing but python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit unit-documented run worker sandbox bench clean constraints

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/bxhours demo

test: $(STAMP) lint typecheck unit unit-documented

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml

typecheck: $(STAMP)
	$(BIN)/mypy core bexio storage

unit: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadfile

# The bexio client and the scenarios once more against a sandbox that answers in every shape
# bexio documents (integer postcodes, 0/1 booleans, "" for null, dates with a time, ...), so a
# reader that only takes the recorded shapes fails here, not on a customer's first import.
# SQLite only (the database is not what this run is about); about two minutes.
unit-documented: $(STAMP)
	env -u TEST_DATABASE_URL BXHOURS_SANDBOX_SHAPES=documented \
		$(BIN)/pytest -q -n 2 --dist loadfile tests/bexio tests/scenarios

run: $(STAMP)
	$(BIN)/bxhours serve

worker: $(STAMP)
	$(BIN)/bxhours worker

sandbox: $(STAMP)
	$(BIN)/bxhours sandbox --seed demo

bench: $(STAMP)
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
