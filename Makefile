# Two entry points: `make run` (install, run the demo on embedded defaults, then keep serving it) and
# `make test` (install, then the whole test suite). Both work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run serve test lint bench clean

$(BIN)/.installed: pyproject.toml tests/web/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	cd tests/web && npm ci --no-audit --no-fund --silent  # axe-core for the pages' accessibility scan
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/govpub demo --serve

serve: install
	$(BIN)/govpub serve

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/publish.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
