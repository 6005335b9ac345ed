# The README's commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install synapse run demo test test-sqlite test-postgres lint bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,similar]'
	touch $@

## A Matrix homeserver (Synapse) for the Matrix tests, in its own venv so its pinned
## dependencies never meet ours; the tests start it on loopback (tests/chat/synapse.py).
SYNAPSE_VENV ?= .venv-synapse

synapse: $(SYNAPSE_VENV)/.installed

$(SYNAPSE_VENV)/.installed:
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install -q --upgrade pip
	$(SYNAPSE_VENV)/bin/pip install -q 'matrix-synapse>=1.163,<1.164'
	touch $@

## Run the app at http://127.0.0.1:8000 with its data in ./data (SQLite).
run: install
	$(BIN)/incidentdesk serve

## The same, with a realistic sample loaded on first run.
demo: install
	$(BIN)/incidentdesk serve --demo

## The Matrix homeserver the chat tests start (installed once), lint and types (seconds), then
## the whole test suite on SQLite and, when TEST_DATABASE_URL is set, the tests that use the
## database again on PostgreSQL. The two passes run at the same time, one per core; each one's
## output is printed as one block when it ends, and `make test` fails if either fails.
test: install synapse lint
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the suite on SQLite and, at the same time, on PostgreSQL (each printed when it ends) =="; \
		$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres; \
	else \
		$(MAKE) --no-print-directory test-sqlite test-postgres; \
	fi

test-sqlite: install
	@echo "== on SQLite: every test =="
	$(BIN)/pytest

## Only the tests that use the database (tests/conftest.py, --database-tests-only): the others
## do the same on either database and ran on SQLite. No browser tests either.
test-postgres: install
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== on PostgreSQL: the tests that use the database =="; \
		DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/pytest -m "not browser" --database-tests-only; \
	else \
		echo "(TEST_DATABASE_URL is not set: the PostgreSQL pass is skipped; .ci/run sets it)"; \
	fi

## ruff's rules and formatting over the tree, mypy over the whole package.
## `.venv/bin/ruff format .` and `.venv/bin/ruff check --fix .` fix most of what ruff reports.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy incidentdesk

bench: install
	$(BIN)/python bench/declare_and_command.py
