# One entry point for developers and CI. Every target installs what it needs first.
SHELL := /bin/bash
PY ?= python3
STAGE ?= dev
ROLE ?= merchandisers
UV_VERSION := 0.13.8
TOOLS := .tools
VENV := .venv
UV := $(TOOLS)/bin/uv
PYTHON := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install run token test lint format typecheck synth deploy bench clean

help:
	@echo "make run | test | lint | synth | deploy STAGE=dev | bench | token ROLE=merchandisers | clean"

$(UV):
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# --compile-bytecode: PYTHONDONTWRITEBYTECODE (above) keeps Python from writing .pyc files as it imports, so
# without them every process of the local stack (moto, the fork server, 41 functions) and every test worker
# compiled the libraries from source on each start; once here, they read them.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock Makefile
	$(UV) sync --frozen --python $(PY) --quiet --compile-bytecode
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

install: $(VENV)/.synced node_modules/.installed

run: install ## start the whole local stack (moto, local API, pollers), seed the demo catalog
	$(PYTHON) -m infra.local run

token: $(VENV)/.synced ## print a locally signed bearer token for ROLE
	@$(PYTHON) -m infra.local token --role $(ROLE)

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/kernel/python functions infra bench

format: $(VENV)/.synced
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint ## lint, type-check and run every test suite
	$(PYTHON) -m pytest -n 2 --dist loadgroup -q

synth: install ## synthesise every stage offline into cdk.out/
	npx cdk synth --quiet --context stage=dev --output cdk.out/dev
	$(if $(ALARM_EMAIL),npx cdk synth --quiet --context stage=prod --context alarmEmail=$(ALARM_EMAIL) --output cdk.out/prod,@echo "prod not synthesised: production needs an alarm address, make synth ALARM_EMAIL=<address>")

deploy: install
	npx cdk deploy --all --context stage=$(STAGE) $(if $(ALARM_EMAIL),--context alarmEmail=$(ALARM_EMAIL)) --require-approval broadening

bench: install ## run the benchmarks; figures go to bench/results/*.json
	$(PYTHON) -m bench

clean:
	rm -rf $(VENV) $(TOOLS) cdk.out .local node_modules .pytest_cache .mypy_cache .ruff_cache
