# BuzETA: `make run` for the product on embedded defaults, `make test` for the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SIM_PORT ?= 8765

.PHONY: run test test-quick lint format bench release clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo --base-url http://127.0.0.1:$(PORT)
	@echo "Starting web on http://127.0.0.1:$(PORT), the worker and the BuzManager simulator (Ctrl-C stops all)."
	@echo "E-mails (sign-up confirmations, date-change alerts, digests) are written to $${BUZETA_DATA_DIR:-var}/mail/."
	PATH="$(CURDIR)/$(BIN):$$PATH" BUZETA_PORT=$(PORT) BUZ_SIM_PORT=$(SIM_PORT) \
		BUZ_SIMULATOR_URL=http://127.0.0.1:$(SIM_PORT)/reports \
		exec $(BIN)/python -m buzeta.operations.procfile start -f Procfile

# Everything, including the fault tests (real processes killed, restarted, starved; minutes).
test: $(BIN)/.installed
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same without the tests marked `fault`: for the edit-test loop, not for CI.
test-quick: $(BIN)/.installed
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -m "not fault" $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/report_latency.py
	$(BIN)/python bench/export.py

# On a server, after installing requirements.txt and loading the environment (docs/deploy.md):
# a backup first, so a migration that goes wrong can be undone; then migrate, static files, checks.
release:
	$(BIN)/python manage.py db_backup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .pytest_cache
