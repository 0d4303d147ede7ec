# The two commands: `make run` (the desk on the bundled demo) and `make test`
# (everything CI checks). Both build .venv from pyproject.toml when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint typecheck pytest screenshots bench clean

run: $(STAMP_RUN)
	$(BIN)/desk demo

test: $(STAMP_TEST) lint typecheck pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check desk tests benchmarks scripts
	$(BIN)/ruff format --check desk tests benchmarks scripts

typecheck: $(STAMP_TEST)
	$(BIN)/mypy desk/core

pytest: $(STAMP_TEST)
	$(BIN)/pytest -q

screenshots: $(STAMP_TEST)
	$(BIN)/python scripts/screenshots.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
