# The two commands: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

-include .env
export

.PHONY: demo test check install reference lock bench clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# Development/demo mode unless the environment says otherwise.
demo: export DEBUG ?= 1
demo: $(STAMP)
	@mkdir -p var
	$(BIN)/citesmart migrate --noinput -v0
	$(BIN)/citesmart load_reference
	@if $(BIN)/citesmart help demo_data >/dev/null 2>&1; then $(BIN)/citesmart demo_data; fi
	$(BIN)/citesmart create_demo_users
	@echo "Portal: http://127.0.0.1:$(PORT)/   Back office: http://127.0.0.1:$(PORT)/admin/"
	$(BIN)/citesmart runserver 127.0.0.1:$(PORT)

# Tests run with DEBUG=1 in the environment so no production secret is needed; pytest-django
# still runs each test with settings.DEBUG = False. DATABASE_URL selects PostgreSQL.
test: export DEBUG := 1
test: $(STAMP)
	@mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: export DEBUG := 1
check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/citesmart/lib src/citesmart/accounts src/citesmart/network src/citesmart/geo

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf $(VENV)/lock && $(PYTHON) -m venv $(VENV)/lock
	$(VENV)/lock/bin/pip install --quiet -e ".[dev]"
	$(VENV)/lock/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf $(VENV)/lock

clean:
	rm -rf $(VENV) var
