# omieshare: `make run` for a working site with demo data, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgresql://omieshare:omieshare@127.0.0.1:5432/omieshare
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_RECORDS ?= 3000
DEBUG ?= 0

.PHONY: venv run test screenshots lint migrations-check bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Makes sure PostgreSQL is reachable (as `make test` does), migrates, compiles messages,
# loads the demo data once, then runs the django-q2 worker in the background and the web
# server in the foreground (see scripts/run.sh). DEBUG off unless DEBUG=1: users see the
# product's own error pages. DB=sqlite runs without PostgreSQL (no sharing activation).
run: venv
	HOST=$(HOST) PORT=$(PORT) DEMO_RECORDS=$(DEMO_RECORDS) DEBUG=$(DEBUG) bash scripts/run.sh

# Makes sure PostgreSQL is reachable (installs/starts it and creates the role and database
# when missing), that Redis answers (for the deployment tests; installed/started when
# missing) and that Debian's Chromium is installed for the browser tests (skipped, with
# a loud message, where it cannot be), then runs the whole suite against it.
test: venv
	bash scripts/ensure_postgres.sh
	bash scripts/ensure_redis.sh
	bash tests/browser/ensure_chromium.sh
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

# The suite in a random order with a new seed, printed at the top ("Using --randomly-seed=N"):
# `make test PYTEST_ARGS=--randomly-seed=N` replays that order and that data.
.PHONY: test-random
test-random:
	$(MAKE) test PYTEST_ARGS="--randomly-seed=default $(PYTEST_ARGS)"

# Runs the browser tests and keeps their pictures of each step in docs/screenshots/ (shown
# in the README); commit them when the pages change.
screenshots: venv
	bash scripts/ensure_postgres.sh
	bash tests/browser/ensure_chromium.sh
	UPDATE_SCREENSHOTS=1 DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -m browser tests/browser

lint: venv
	$(VENV)/bin/ruff check .

# Fails when a model change has no migration (no database needed: SQLite in memory).
migrations-check: venv
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
