# Two commands matter: `make run` (the whole system on 127.0.0.1:3000) and
# `make test` (every test layer). Both create the virtual environment on demand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The /docs end-to-end test renders the page in a real headless browser: Debian's chromium.
CHROMIUM := /usr/bin/chromium
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run run-fresh test test-fast bench lint job redrive clean

$(STAMP): requirements.txt requirements-dev.txt shared/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 declares pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get install -y --no-install-recommends chromium || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

## make run: the whole system on 127.0.0.1 (API on :3000). ARGS=--fresh starts from empty data.
run: $(STAMP)
	$(PY) -m infrastructure.local $(ARGS)

run-fresh: $(STAMP)
	$(PY) -m infrastructure.local --fresh

# Each layer across every core (pytest-xdist), cheapest first; the first failing layer stops the run.
# Integration tests spread one by one (each process builds its moto world once); the others by file,
# so the fuzzer's local system starts once, not once per process.
PYTEST := $(PY) -m pytest -n auto

## make test: unit (+ architecture), integration, contract and infrastructure, then end-to-end tests.
test: $(STAMP) $(CHROMIUM)
	$(PYTEST) tests/unit tests/architecture
	$(PYTEST) tests/integration --dist load
	$(PYTEST) tests/contract tests/infrastructure --dist loadfile
	$(PYTEST) tests/e2e --dist loadfile

## make test-fast: everything but what starts the local system (the e2e mark).
test-fast: $(STAMP)
	$(PYTEST) tests/unit tests/architecture
	$(PYTEST) tests/integration --dist load
	$(PYTEST) tests/contract tests/infrastructure --dist loadfile -m "not e2e"

## make bench: cold starts, DynamoDB calls per operation, gateway overhead.
bench: $(STAMP)
	$(PY) bench/run.py

## make redrive: move every dead-lettered message back to its queue on the running local system.
redrive: $(STAMP)
	$(PY) -m infrastructure.local.jobs --redrive

## make job NAME=reconcile_provisioning: fire a scheduled job now on the running local system.
job: $(STAMP)
	$(PY) -m infrastructure.local.jobs $(NAME)

lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml
	PYTHONPATH=".:$$(printf '%s:' functions/*)" $(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) .local .pytest_cache
