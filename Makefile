# costdash: `make run` serves the demo on http://localhost:8000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The FOCUS validator (tests/reports/test_focus_export.py) pins numpy<2 and pandera 0.17: its own venv.
FOCUS_VENV := .venv-focus
FOCUS_STAMP := $(FOCUS_VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The test suite talks to the real servers at their default local addresses.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/costdash
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint install check-services benchmark clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

$(FOCUS_STAMP): requirements-focus.lock
	$(PYTHON) -m venv $(FOCUS_VENV)
	$(FOCUS_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-focus.lock
	touch $@

install: $(STAMP) $(FOCUS_STAMP)

# The embedded default: SQLite in var/, a demo team, an admin login printed; then the web server (its tasks
# in-process) beside a Celery worker with embedded beat on a folder broker in var/celery/, which runs the
# schedule (alerts, sweeps, the monthly report) as production does. Ctrl-C stops both.
run: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py demo_load
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(BIN)/python manage.py run_embedded $(HOST):$(PORT)

check-services: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python -m tests.check_services

test: $(STAMP) $(FOCUS_STAMP) check-services
	DJANGO_DEBUG=true DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
		COSTDASH_TEST_REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check costdash tests benchmarks

benchmark: $(STAMP)
	$(BIN)/python benchmarks/import_transcripts.py --generate 1GB

clean:
	rm -rf $(VENV) $(FOCUS_VENV) var
