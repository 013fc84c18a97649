# aslkit: the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# The first Python >= 3.12 on PATH (pyenv's shim honours .python-version).
PYTHON_BOOT := $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: help install build check-build lint typecheck test demo bench clean

help:
	@echo "make demo    build, lint and show every workflow's state machines"
	@echo "make test    lint, type-check, check statemachines/ is fresh, run the test suite"
	@echo "make build   regenerate statemachines/ from workflows/"
	@echo "make bench   print build and lint timings"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON_BOOT)" ]; then \
		echo "aslkit needs Python >= 3.12 and found none on PATH."; \
		echo "Install one (pyenv install 3.13, or your package manager's python3.13) and run make again."; \
		exit 1; fi
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

build: install
	$(VENV)/bin/aslkit build

check-build: install
	$(VENV)/bin/aslkit build --check

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

test: lint typecheck check-build
	$(PY) -m pytest

demo: install
	$(PY) -m aslkit.demo

bench: install
	$(PY) benchmarks/bench_build_lint.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
