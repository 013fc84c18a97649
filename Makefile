# aslkit: the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed

# The first Python >= 3.12 on PATH (pyenv's shim honours .python-version).
PYTHON_BOOT := $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: help install localstack system-packages build check-build lint typecheck test demo bench clean

help:
	@echo "make demo    run every workflow on a local LocalStack: summary table and build/demo/report.html"
	@echo "make test    lint, type-check, check statemachines/ is fresh, run the test suite"
	@echo "make build   regenerate statemachines/ from workflows/"
	@echo "make bench   print build/lint, LocalStack harness, engine and CLI timings"
	@echo "make localstack  build LocalStack's own venv with aslkit's plugins (`aslkit local install`; test and demo do it)"

define need_python
	@if [ -z "$(PYTHON_BOOT)" ]; then \
		echo "aslkit (and LocalStack) need Python >= 3.12 and found none on PATH."; \
		echo "Install one (pyenv install 3.13, or your package manager's python3.13) and run make again."; \
		exit 1; fi
endef

$(STAMP): pyproject.toml
	$(need_python)
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade 'pip>=25.1'
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,local,cdk]' --group dev
	@touch $(STAMP)

install: $(STAMP)

# LocalStack gets its own venv in the user's cache (its pins conflict with the project's), with aslkit's plugins:
# the same command a user of the library runs. Instant when it is already there.
localstack: install
	$(VENV)/bin/aslkit local install

# Graphviz draws diagrams (SVG/PNG, the report); Chromium runs the page tests. Best effort: see the script.
system-packages:
	@bash scripts/system-packages.sh graphviz chromium

build: install
	$(VENV)/bin/aslkit build

check-build: install
	$(VENV)/bin/aslkit build --check

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

# The checks run while the LocalStack tier already runs in the background (see the script).
test: install localstack system-packages
	@bash scripts/test-tiers.sh $(PY) "$(MAKE) --no-print-directory lint typecheck check-build"

demo: install localstack
	@bash scripts/system-packages.sh graphviz
	$(PY) -m aslkit.demo

bench: install localstack
	$(PY) benchmarks/bench_build_lint.py
	$(PY) benchmarks/bench_localstack.py
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_cli.py

clean:
	rm -rf $(VENV) .localstack .pytest_cache .mypy_cache .ruff_cache build dist
