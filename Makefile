# Two commands do everything on a fresh clone:
#   make run   - set up, ingest knowledge/, ask a first question, then serve the app
#   make test  - set up (with test tools) and run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test setup setup-test ingest eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

setup-test: setup
	bash scripts/install-test-deps.sh

run: setup
	$(BIN)/coach ingest knowledge/
	$(BIN)/coach ask "How do I handle a timing objection?"
	$(BIN)/coach ui

test: setup-test
	$(BIN)/python -m pytest -q

eval: setup
	$(BIN)/coach ingest knowledge/
	$(BIN)/coach eval

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf .coach test-artifacts
