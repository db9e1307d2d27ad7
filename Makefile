# Guía IPN backend: everyday commands. `make help` lists them.
#
# Installs are skipped when nothing changed: a stamp file in .venv is newer than the
# requirements files it was installed from.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=

export TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: help venv install install-dev run test test-unit lint lint-static format \
	services requirements docker-build clean bench-peers eval-cache bench-cache

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP) ## Create .venv and install the runtime dependencies

install-dev: $(DEV_STAMP) ## Create .venv and install runtime + development dependencies

# gevent unless SOCKETIO_ASYNC_MODE is set in the environment or in .env.
run: install ## Start the server on the embedded default (SQLite, in-process Redis), gevent mode
	@mode="$${SOCKETIO_ASYNC_MODE:-$$(sed -n 's/^[[:space:]]*SOCKETIO_ASYNC_MODE=//p' .env 2>/dev/null | tail -n 1)}"; \
	SOCKETIO_ASYNC_MODE="$${mode:-gevent}" $(BIN)/python run.py

services: ## Make sure PostgreSQL and Redis for the integration tests answer
	@bash scripts/ensure_services.sh

lint-static: install-dev ## Requirements sync, shell syntax, actionlint, docker compose config
	@PYTHON=$(BIN)/python bash scripts/lint_static.sh

lint: install-dev ## black --check and ruff
	$(BIN)/black --check .
	$(BIN)/ruff check .

format: install-dev ## Format with black and apply ruff's fixes
	$(BIN)/black .
	$(BIN)/ruff check --fix .

# pytest's exit code 5 means it collected no test: a run that tested nothing is a failure.
test: install-dev lint-static lint services ## Static checks, black, ruff, then the whole pytest suite
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing, a run must test something" >&2; exit 1; fi; \
	exit $$rc

test-unit: install-dev ## Only the fast unit tests (no PostgreSQL/Redis needed)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

# N and WORKERS as in bench/peers.sh, e.g. `make bench-peers N="1 200 500 1000" WORKERS=1`.
bench-peers: install ## Streaming capacity side by side with the Node socket.io peer (../shared/peers)
	WORKERS=$(or $(WORKERS),1) bash bench/peers.sh $(N)

eval-cache: install-dev ## Semantic cache on its evaluation set: hit rate, false hits, lookup latency
	$(BIN)/python bench/eval_cache.py

bench-cache: install-dev ## Semantic lookup p50/p99 with 100k stored answers
	$(BIN)/python bench/bench_semantic_cache.py

requirements: ## Regenerate requirements*.txt from the pins in pyproject.toml
	$(PYTHON) scripts/sync_requirements.py

docker-build: ## Build the production image (needs a Docker engine)
	docker build -t guia-ipn-backend:latest .

clean: ## Remove the virtual environment, node_modules and caches
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
