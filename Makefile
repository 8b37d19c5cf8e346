# nerveglide: `make run` starts the app on SQLite; `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha256sum | cut -c1-16)
TEST_OUTPUT ?= test-output

.PHONY: help install run test lint typecheck pytest system-deps node postgres clean \
	cluster cluster-stop cluster-status

help:
	@echo "make run    install (Python and npm packages), migrate the SQLite database and start the app"
	@echo "make test   install what the tests need, then ruff, mypy and pytest"
	@echo "make cluster [N=2]   PostgreSQL, N app instances, the worker and nginx on loopback"
	@echo "make cluster-stop    stop them"

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

run: install node
	mkdir -p $${NERVEGLIDE_DATA_DIR:-var}
	$(BIN)/nerveglide db upgrade
	$(BIN)/nerveglide serve

system-deps:
	bash scripts/install-system-deps.sh

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node: $(NODE_STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: system-deps install node lint typecheck
	@mkdir -p $(TEST_OUTPUT)
	PGURL="$$(bash scripts/test-postgres.sh | tail -n 1)"; \
	NERVEGLIDE_TEST_POSTGRES_URL="$$PGURL" NERVEGLIDE_TEST_OUTPUT="$(abspath $(TEST_OUTPUT))" \
		$(BIN)/pytest

# A cluster on loopback (see README, Deployment): scripts/cluster.py does the work.
cluster: system-deps install node
	@$(if $(N),NERVEGLIDE_CLUSTER_INSTANCES=$(N)) $(BIN)/python scripts/cluster.py start

cluster-stop:
	@$(BIN)/python scripts/cluster.py stop

cluster-status:
	@$(BIN)/python scripts/cluster.py status

clean:
	rm -rf $(VENV) node_modules $(TEST_OUTPUT) .mypy_cache .ruff_cache .pytest_cache
