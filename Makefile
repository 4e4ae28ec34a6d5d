# The two commands of the README. Each does its own set-up, idempotently: the venv is rebuilt only
# when pyproject.toml changes, node_modules only when package-lock.json changes.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup lint contracts-test clean

run: setup
	$(VENV)/bin/medcred run

test: setup
	$(VENV)/bin/ruff check .
	bash scripts/test-contracts.sh
	$(VENV)/bin/pytest

setup: $(STAMP) node_modules/.installed

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json scripts/setup-node.sh
	bash scripts/setup-node.sh
	@touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) node_modules artifacts cache
