# The two commands: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

-include .env
export

.PHONY: demo test check install reference lock bench clean bench-portal

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's Chromium; Playwright never downloads a browser of its own.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$$( [ "$$(id -u)" -ne 0 ] && echo sudo ) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" -ne 0 ] && echo sudo ) apt-get install -y -qq chromium

# The deployment test runs the documented nginx site in front of `citesmart serve`.
NGINX := /usr/sbin/nginx
$(NGINX):
	$$( [ "$$(id -u)" -ne 0 ] && echo sudo ) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" -ne 0 ] && echo sudo ) apt-get install -y -qq nginx

# A test makes an XFS file system (on a loop device, as root) to check that a refresh's copy
# of the read model is a reflink there (analytics.clone).
MKFS_XFS := /usr/sbin/mkfs.xfs
$(MKFS_XFS):
	$$( [ "$$(id -u)" -ne 0 ] && echo sudo ) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" -ne 0 ] && echo sudo ) apt-get install -y -qq xfsprogs

# The browser tests' accessibility checks inject axe-core from npm (dev only, never served).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

# Development/demo mode unless the environment says otherwise.
demo: export DEBUG ?= 1
demo: $(STAMP) $(CHROMIUM)
	@mkdir -p var
	$(BIN)/citesmart migrate --noinput -v0
	$(BIN)/citesmart load_reference
	$(BIN)/citesmart demo_data
	$(BIN)/citesmart demo_historic
	$(BIN)/citesmart analytics rebuild
	$(BIN)/citesmart create_demo_users
	$(BIN)/citesmart demo_targets
	$(BIN)/citesmart demo_closings
	$(BIN)/citesmart demo_publications
	$(BIN)/citesmart demo_surveys
# Last: the open data carry the surveys, closings and publications loaded above.
	$(BIN)/citesmart publish_opendata
	$(BIN)/citesmart collectstatic --noinput -v0
	@echo "Portal: http://127.0.0.1:$(PORT)/   Back office: http://127.0.0.1:$(PORT)/admin/"
	@echo "Datos abiertos: http://127.0.0.1:$(PORT)/datos/"
	$(BIN)/citesmart runserver 127.0.0.1:$(PORT)

# Tests run with DEBUG=1 in the environment so no production secret is needed; pytest-django
# still runs each test with settings.DEBUG = False. DATABASE_URL selects PostgreSQL.
test: export DEBUG := 1
test: $(STAMP) $(CHROMIUM) $(NGINX) $(MKFS_XFS) node_modules/.installed
	@mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: export DEBUG := 1
check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_house_layers.py  # floors, cycles, sizes
	$(BIN)/mypy src/citesmart/lib src/citesmart/accounts src/citesmart/network src/citesmart/geo
	$(BIN)/python -m citesmart.ops.audit requirements.lock

# Analytics benchmark on a separate PostgreSQL database (BENCH_ARGS=--10m for 10M services).
bench: export DEBUG := 1
bench: $(STAMP)
	@mkdir -p var/bench bench/results
	$(BIN)/python bench/analytics_bench.py $(BENCH_ARGS)

# Portal page server times on the database in DATABASE_URL (BENCH_ARGS="--db URL --label 10m").
bench-portal: export DEBUG := 1
bench-portal: $(STAMP)
	@mkdir -p bench/results
	$(BIN)/python bench/portal_bench.py $(BENCH_ARGS)

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf $(VENV)/lock && $(PYTHON) -m venv $(VENV)/lock
	$(VENV)/lock/bin/pip install --quiet -e ".[dev]"
	$(VENV)/lock/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf $(VENV)/lock

clean:
	rm -rf $(VENV) var
