# Rendezvous: `make run` serves on SQLite in dev mode; `make test` runs lint, types and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest openapi clients screenshots bench chaos clean

$(BIN)/rendezvous: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/rendezvous
	$(BIN)/rendezvous migrate
	$(BIN)/rendezvous serve --dev --host $(HOST) --port $(PORT)

lint: $(BIN)/rendezvous
	$(BIN)/ruff check app tests bench migrations examples
	$(BIN)/ruff format --check app tests bench migrations examples
	$(BIN)/lint-imports --no-cache

typecheck: $(BIN)/rendezvous
	$(BIN)/mypy app

# The suite runs on SQLite, then again on PostgreSQL when RENDEZVOUS_TEST_DATABASE_URL is set: in two
# processes (each test file in one of them, each process with a database of its own), then the fuzzer on its
# own (Schemathesis makes one test case per operation only in a single process).
PYTEST := $(BIN)/pytest -n 2 --dist loadfile --ignore=tests/test_fuzz_api.py
FUZZ := $(BIN)/pytest tests/test_fuzz_api.py
pytest: $(BIN)/rendezvous
	env -u RENDEZVOUS_TEST_DATABASE_URL $(PYTEST)
	env -u RENDEZVOUS_TEST_DATABASE_URL $(FUZZ)
	@if [ -n "$$RENDEZVOUS_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL"; $(PYTEST) && $(FUZZ); \
	fi

test: lint typecheck pytest

openapi: $(BIN)/rendezvous
	$(BIN)/python -m app.openapi > openapi.json

# The generated clients, from openapi.json: Python (openapi-python-client) and TypeScript types for
# openapi-fetch (openapi-typescript, from the committed lockfile). The generated code is committed.
clients: openapi
	$(BIN)/openapi-python-client generate --path openapi.json --meta none --overwrite \
		--output-path clients/python/rendezvous_client --config clients/python-config.yaml
	cd clients/typescript && npm ci --include=dev --no-audit --no-fund && npm run generate

# The console's screenshots in docs/, taken by its browser tests (Debian's chromium).
screenshots: $(BIN)/rendezvous
	env -u RENDEZVOUS_TEST_DATABASE_URL RENDEZVOUS_SCREENSHOTS=docs $(BIN)/pytest tests/test_console.py

bench: $(BIN)/rendezvous
	$(BIN)/python bench/run.py

chaos: $(BIN)/rendezvous
	$(BIN)/python -m tests.chaos --seconds 120

clean:
	rm -rf $(VENV) rendezvous.db rendezvous.db-wal rendezvous.db-shm
