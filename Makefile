# Two commands on a fresh machine: `make run` and `make test`. Only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000

.PHONY: run test lint format install install-dev migrate web worker bench clean lock typecheck

# uv installs the locks (a cold install of the dev lock: seconds, where pip takes about a minute); it is
# installed first, by pip, from its own hashed lock. uv reads no pip.conf: it goes to PyPI, or to UV_INDEX_URL.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: requirements-uv.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-uv.lock
	touch $@

# Installed from the locks (every package pinned, with its hashes); reinstalled only when a lock changes.
# requirements*.txt are the inputs: edit them, then `make lock`.
# When uv cannot reach its index (a proxy or a mirror only pip is configured for), pip installs the same lock.
install_lock = VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv pip install --quiet --require-hashes -r $(1) \
	|| { echo "WARNING: uv could not install $(1); installing it with pip (slower)"; \
	     $(BIN)/pip install --quiet --require-hashes -r $(1); }
$(VENV)/.runtime-installed: requirements.lock | $(BIN)/uv
	$(call install_lock,requirements.lock)
	touch $@

$(VENV)/.dev-installed: requirements.lock requirements-dev.lock | $(BIN)/uv
	$(call install_lock,requirements-dev.lock)
	touch $@ $(VENV)/.runtime-installed

## lock: resolve requirements*.txt again into the hashed locks (uv, the version pinned in requirements-uv.txt).
## The dev lock is constrained by the runtime lock, so both agree on shared packages.
LOCK_FLAGS := --generate-hashes --python-version 3.11 --custom-compile-command "make lock" --quiet
lock: | $(BIN)/uv
	$(BIN)/uv pip compile requirements-uv.txt $(LOCK_FLAGS) -o requirements-uv.lock
	$(BIN)/uv pip compile requirements.txt $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile requirements-dev.txt -c requirements.lock $(LOCK_FLAGS) -o requirements-dev.lock

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo

## run: set up, then serve the API on $(ADDR) with a Celery worker (and beat) beside it; Ctrl-C stops both
## (scripts/run.py: each in its own process group, TERM then KILL after 10 s, waited for).
run: migrate
	@echo "API on http://$(ADDR)/api/v1/health — docs at http://$(ADDR)/api/docs/ — admin at http://$(ADDR)/admin/"
	@exec $(BIN)/python scripts/run.py $(ADDR)

web: migrate
	$(BIN)/python manage.py runserver $(ADDR)

worker: install
	$(BIN)/celery -A leadsy worker --beat --loglevel INFO

## test: the whole suite (SQLite and the filesystem broker unless DATABASE_URL / CELERY_BROKER_URL say otherwise).
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run

## typecheck: mypy with django-stubs and djangorestframework-stubs over the files of [tool.mypy] in pyproject.toml
## (every app's services.py and selectors.py, the whole imports app, companies/access.py, leadsy's operations modules).
typecheck: install-dev
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: import speed and memory on PostgreSQL, each against a baseline measured in the same run (raw COPY,
## a plain calamine read); see bench/import_bench.py. DATABASE_URL (default leadsy_bench, dropped and created again
## each run); BENCH_ARGS="--quick". Then the lead export against COPY (bench/export_bench.py) and the lead list's
## page at 100k and 1M leads, the old search and count against the new (bench/list_bench.py, BENCH_LIST_ARGS=
## "--sizes 100000"). BENCH_ONLY=import, export or list runs only that one.
bench: install-dev
	$(if $(filter-out import,$(or $(BENCH_ONLY),import)),,$(BIN)/python bench/import_bench.py $(BENCH_ARGS))
	$(if $(filter-out export,$(or $(BENCH_ONLY),export)),,$(BIN)/python bench/export_bench.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick))
	$(if $(filter-out list,$(or $(BENCH_ONLY),list)),,$(BIN)/python bench/list_bench.py $(BENCH_LIST_ARGS))

clean:
	rm -rf var/test_db.sqlite3* var/test-broker-*

.PHONY: fuzz loadtest audit faults client-check

## client-check: generate a Python client from the live schema (openapi-python-client) and run a web client's
## scenario through it: sign up, log in, create a company, upload a CSV, poll until completed, list leads. A
## temporary SQLite database and filesystem broker, gunicorn and one worker; all removed on exit. About 15 s.
client-check: install-dev
	$(BIN)/python scripts/client_check.py $(CLIENT_CHECK_ARGS)

## faults: the fault tests (reliability plan R19-R26: pool child and whole worker SIGKILLed, PostgreSQL sessions
## terminated and the server restarted, Redis restarted, poison file, frozen runner, cancel) on 200k-row imports
## (FAULT_ROWS), with real workers on PostgreSQL and Redis. DATABASE_URL (default leadsy_faults; pytest uses
## test_leadsy_faults), CELERY_BROKER_URL (Redis DB 11), CACHE_URL (DB 12); PYTEST_ARGS="-k cancel".
faults: install-dev
	DATABASE_URL="$${DATABASE_URL:-postgresql://root@127.0.0.1:5432/leadsy_faults}" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/11}" \
	CACHE_URL="$${CACHE_URL:-redis://127.0.0.1:6379/12}" \
	FAULT_ROWS="$${FAULT_ROWS:-200000}" \
		$(BIN)/python -m pytest -m faults --durations=15 tests/imports/test_faults.py tests/imports/test_worker.py \
		$(PYTEST_ARGS)

## fuzz: schemathesis against a live production-like stack (PostgreSQL, Redis, gunicorn, a worker); see
## scripts/fuzz.py. DATABASE_URL (dropped and recreated), CELERY_BROKER_URL, CACHE_URL; FUZZ_ARGS="-n 50".
fuzz: install-dev
	$(BIN)/python scripts/fuzz.py $(FUZZ_ARGS)

## loadtest: wrk at 50 connections against gunicorn -w 2 on PostgreSQL with 100k leads; see bench/loadtest.py.
loadtest: install-dev
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		{ echo "wrk is missing: install it with 'apt-get install wrk'"; exit 1; }
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

## audit: known vulnerabilities in every package of the locks (pip-audit, PyPI's advisory data). When PyPI cannot
## be reached it prints a WARNING and skips; a finding, or a package it could not look up, fails.
audit: install-dev
	$(BIN)/python scripts/audit.py requirements.lock requirements-dev.lock requirements-uv.lock
