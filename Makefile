# The two commands of README.md: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run demo test lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

## The whole system on one machine, with the demo site: Prefect UI on :4200, job API on :8000.
run: install
	$(BIN)/seology up --demo

## Lint, then every test (PostgreSQL tests run when SEOLOGY_TEST_POSTGRES_URL is set).
test: install lint
	$(BIN)/pytest

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
