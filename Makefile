# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate demo lint format worker beat bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed.
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py load_catalogue
	$(BIN)/python manage.py load_demo_data

run: demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	HYPOTHESIS_PROFILE=ci $(BIN)/pytest

lint: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The property tests with Hypothesis's "fuzz" profile (conftest.py): fifty times the examples of
# `make test`, from a new random seed each run (about six minutes). Every failure it finds
# becomes an @example on the property, so `make test` keeps checking it.
FUZZ_TESTS := funding/tests/test_funding_properties.py \
	participants/tests/test_form_properties.py participants/tests/test_import_properties.py
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest $(FUZZ_TESTS)

# With REDIS_URL set: a worker and the beat scheduler, each in its own terminal.
worker: install
	$(BIN)/celery -A npq_portal worker --loglevel=INFO

beat: install
	$(BIN)/celery -A npq_portal beat --loglevel=INFO

# Measures against a throw-away PostgreSQL database and rewrites docs/performance.md
# (BENCH_SCALE=small is CI's quick run: it writes its report to a temporary file instead).
BENCH_DB ?= npq_bench
BENCH_SCALE ?= full
BENCH_DATABASE_URL := postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
# The benchmark's own process runs with DEBUG off, as gunicorn does, so what it profiles in
# process is what is served (its tasks still run in process: no REDIS_URL here).
BENCH_ENV := DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=false ALLOWED_HOSTS=127.0.0.1 \
	SECURE_SSL_REDIRECT=false
bench: install
	psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "DROP DATABASE IF EXISTS $(BENCH_DB)" -c "CREATE DATABASE $(BENCH_DB)"
	$(BENCH_ENV) $(BIN)/python manage.py migrate --no-input -v0
	$(BENCH_ENV) $(BIN)/python manage.py load_catalogue -v0
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --no-input -v0
	$(BENCH_ENV) $(BIN)/python manage.py bench --scale $(BENCH_SCALE)

clean:
	rm -rf $(VENV) db.sqlite3 .dfe-fake.pickle staticfiles .pytest_cache
