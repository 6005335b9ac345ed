# The README's commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run demo test test-sqlite test-postgres lint bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

## Run the app at http://127.0.0.1:8000 with its data in ./data (SQLite).
run: install
	$(BIN)/incidentdesk serve

## The same, with a realistic sample loaded on first run.
demo: install
	$(BIN)/incidentdesk serve --demo

## The whole test suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set.
test: install test-sqlite test-postgres

test-sqlite: install
	$(BIN)/pytest

test-postgres: install
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL =="; \
		DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/pytest -m "not browser"; \
	else \
		echo "(TEST_DATABASE_URL is not set: the PostgreSQL pass is skipped; .ci/run sets it)"; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy incidentdesk/incidents/rules.py incidentdesk/incidents/models.py incidentdesk/incidents/commands.py incidentdesk/postmortems incidentdesk/core/errors.py incidentdesk/accounts/permissions.py

bench: install
	$(BIN)/python bench/declare_and_command.py
