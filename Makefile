# The two commands of README.md: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run demo test test-shared test-other lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

## The whole system on one machine, with the demo site: Prefect UI on :4200, job API on :8000.
run: install
	$(BIN)/seology up --demo

## Lint, then every test (PostgreSQL tests run when SEOLOGY_TEST_POSTGRES_URL is set), in
## two pytest processes at once: most of a test's time is waiting (stacks starting, jobs
## running), so the two share the machine's cores well. The tests that use machine-wide
## things (Chromium processes found by their mark, Redis database 7) all go to the first.
SHARED_TESTS := tests/e2e tests/unit tests/integration/crawler/test_rendering.py \
	tests/integration/crawler/test_browser_processes.py
OTHER_TESTS := tests/integration --ignore=tests/integration/crawler/test_rendering.py \
	--ignore=tests/integration/crawler/test_browser_processes.py

test: install lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-shared test-other

test-shared: install
	$(BIN)/pytest $(SHARED_TESTS)

test-other: install
	$(BIN)/pytest -p no:cacheprovider $(OTHER_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Benchmarks: figures and ratios printed, never asserted.
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .seology .pytest_cache .ruff_cache
