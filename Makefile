# The two commands: `make run` and `make test`. Both create the virtualenv and install first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint typecheck clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## make run: install, then crawl the bundled demo paper into archive/baotinh.sqlite (offline)
run: $(STAMP)
	$(BIN)/baotinh demo

## make test: install, type-check, run the whole test suite
test: $(STAMP)
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q

## make bench: the benchmark suite; rewrites benchmarks/RESULTS.md
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

typecheck: $(STAMP)
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache
