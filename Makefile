# Two commands: `make run` (embedded default, or DATABASE_URL/REDIS_URL when set)
# and `make test` (the whole suite on PostgreSQL and Redis).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_REGISTRATIONS ?= 3000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/teeka
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: run worker test lint messages venv bench

# An existing virtualenv is kept (venv refuses one that is a link to a shared one).
$(BIN)/.installed: requirements.txt
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(BIN)/.installed

run: venv
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_geography
	$(BIN)/python manage.py seed_demo --registrations $(DEMO_REGISTRATIONS) --seed 1 --if-empty
	$(BIN)/python manage.py allocate
	$(BIN)/python manage.py demo_logins
	@# Without Redis there is no beat: run its schedule in a process beside the server.
	if [ -z "$$REDIS_URL" ]; then $(BIN)/python manage.py run_periodic & fi; \
		trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
		$(BIN)/python manage.py runserver 127.0.0.1:8000

worker: venv
	$(BIN)/celery -A teeka worker --beat --loglevel=info --queues=celery,sms --concurrency=4

test: venv
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=true \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages: venv
	$(BIN)/python scripts/translate_hi.py
