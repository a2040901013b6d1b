# Palett AI: `make run` sets up and starts the app; `make test` sets up and runs every test.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BUN_VERSION := 1.4.4
BUN := .tools/node_modules/@oven/bun-linux-x64/bin/bun
# Keep Reflex from calling out to anything but the package registries.
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export REFLEX_HTTP_CLIENT_BIND_ADDRESS := 0.0.0.0
export REFLEX_BUN_PATH := $(CURDIR)/$(BUN)
export NPM_CONFIG_REGISTRY ?= $(shell npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
PORT ?= 3000

.PHONY: run dev worker cluster seed-demo test setup setup-dev migrate lint types unit integration browser screenshots clean \
	smoke-live contracts \
	bench-tools bench-frontend bench-memory

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(BIN)/.dev-installed: requirements-dev.txt $(BIN)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

$(BUN):
	mkdir -p .tools
	npm install --silent --no-audit --no-fund --prefix .tools @oven/bun-linux-x64@$(BUN_VERSION)

models/u2netp.onnx: | $(BIN)/.installed
	$(BIN)/python scripts/fetch_u2netp.py

setup: $(BIN)/.installed $(BUN) models/u2netp.onnx

setup-dev: setup $(BIN)/.dev-installed
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@command -v caddy >/dev/null || (apt-get update -qq && apt-get install -y -qq caddy)
	@bash scripts/services.sh

## Apply the database migrations: once per deploy (app and workers refuse a database at another revision).
## On PostgreSQL an advisory lock lets two deploy steps run it at once safely.
migrate: setup
	$(BIN)/alembic upgrade head

## Start the app on http://localhost:$(PORT) (embedded defaults: SQLite, dev outbox, no keys).
## The embedded SQLite database is migrated here; a shared DATABASE_URL is migrated by `make migrate`.
run: setup
	@if [ -z "$$DATABASE_URL" ]; then $(BIN)/alembic upgrade head; \
	else echo "DATABASE_URL is set: apply migrations with 'make migrate' (once per deploy)"; fi
	@echo ""
	@echo "  Palett AI is starting on http://localhost:$(PORT)"
	@echo "  Sign up, then open http://localhost:$(PORT)/dev/outbox to click your verification link."
	@echo ""
	PALETT_PORT=$(PORT) PALETT_BACKEND_PORT=$(PORT) $(BIN)/reflex run --env prod --single-port

## Development mode with hot reload (frontend :3000, backend :8000).
dev: migrate
	$(BIN)/reflex run

## A job worker (procrastinate on PostgreSQL: needs DATABASE_URL; run the app with DISPATCH=worker too).
worker: setup
	DISPATCH=worker $(BIN)/python -m palett.worker

## The multi-machine layout on one machine (127.0.0.1 only): Caddy on :$(CLUSTER_PORT) in front of two app
## instances, two workers, PostgreSQL (a fresh database), Redis (a free DB of 13..8) and moto's S3. Ctrl-C stops it.
CLUSTER_PORT ?= 8080
cluster: setup-dev
	$(BIN)/python scripts/cluster.py --port $(CLUSTER_PORT)

## A demo account (demo@palett.local) with IMAGES images; OTHERS adds other users' rows for benchmarks.
seed-demo: migrate
	$(BIN)/python scripts/seed_demo.py --images $(or $(IMAGES),200) --others $(or $(OTHERS),0)

## The cheapest real call of every Fal/OpenAI catalog entry (needs FAL_KEY / OPENAI_API_KEY; costs money).
smoke-live: setup
	$(BIN)/python scripts/smoke_live.py

## Regenerate tests/contracts/ from Fal's published endpoint types and the openai SDK (needs the network).
contracts: setup-dev
	$(BIN)/python scripts/refresh_contracts.py

lint: setup-dev
	$(BIN)/ruff check palett tests alembic scripts bench examples

types: setup-dev
	$(BIN)/mypy palett

unit: setup-dev
	$(BIN)/pytest tests/unit -q

integration: setup-dev
	$(BIN)/pytest tests/integration -q

browser: setup-dev
	$(BIN)/pytest tests/browser -q

test: setup-dev lint types
	$(BIN)/pytest tests -q -p no:cacheprovider

screenshots: setup-dev
	PALETT_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser -q

## Benchmark tools: Lighthouse (pinned; runs on Node 20) in .bench-node/, never in the shared .tools.
LIGHTHOUSE_VERSION := 12.2.3
.bench-node/node_modules/.bin/lighthouse:
	mkdir -p .bench-node
	npm install --silent --no-audit --no-fund --prefix .bench-node lighthouse@$(LIGHTHOUSE_VERSION)

bench-tools: .bench-node/node_modules/.bin/lighthouse

## Palett's pages vs a bare Reflex counter (ratios, Lighthouse); backend memory over a mixed session.
bench-frontend: setup-dev bench-tools
	$(BIN)/python -m bench.frontend --lighthouse

bench-memory: setup-dev
	$(BIN)/python -m bench.memory

clean:
	rm -rf .web .states data
