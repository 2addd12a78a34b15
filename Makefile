# arxiv-kg: `make serve` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STORE ?= kg-store
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve build test lint install install-dev system-deps node-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

build: install
	$(BIN)/kg build --store $(STORE)

serve: build
	$(BIN)/kg serve --store $(STORE) --host $(HOST) --port $(PORT)

# System packages the tests need (headless Chromium for the UI tests); skipped when present.
system-deps:
	@bash scripts/system-deps.sh

# Comunica, the independent engine of the federation tests (npm, pinned by its package-lock.json).
COMUNICA_DIR := tests/federation/comunica
$(COMUNICA_DIR)/node_modules/.bin/comunica-sparql: $(COMUNICA_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(COMUNICA_DIR) && npm ci --no-audit --no-fund --silent && touch node_modules/.bin/comunica-sparql; \
	else echo "node-deps: npm missing: the Comunica federation test will be skipped" >&2; fi
node-deps: $(COMUNICA_DIR)/node_modules/.bin/comunica-sparql

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install-dev system-deps node-deps lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) $(STORE) $(STORE).rejects.jsonl .pytest_cache
