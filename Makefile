# The two commands of the README. Each does its own set-up, idempotently: the Debian packages it needs
# (scripts/setup-system.sh: a few stat calls when they are present), the venv (rebuilt only when
# pyproject.toml changes) and node_modules (only when package-lock.json changes).

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup system-run system-test lint contracts-test clean

run: system-run setup
	$(VENV)/bin/medcred run

test: system-test setup
	$(VENV)/bin/ruff check .
	bash scripts/test-contracts.sh
	$(VENV)/bin/pytest

setup: $(STAMP) node_modules/.installed

# The system packages come first (the venv needs python3-venv, node_modules needs npm): order-only.
system-run system-test:
	@bash scripts/setup-system.sh $(@:system-%=%)

$(STAMP): pyproject.toml | system-run
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json scripts/setup-node.sh | system-run
	bash scripts/setup-node.sh
	@touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) node_modules artifacts cache
