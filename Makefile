# The README's two commands (demo, test) and a few helpers. Every target installs what it needs;
# a second run skips what is already done (stamp files under .venv/).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamps

.PHONY: demo test test-fast lint fmt bench setup crsqlite clean

setup: $(STAMP)/system $(STAMP)/python crsqlite

$(STAMP)/system: scripts/setup_system.sh
	bash scripts/setup_system.sh
	mkdir -p $(STAMP) && touch $@

$(PY):
	python3 -m venv $(VENV)

$(STAMP)/python: pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	mkdir -p $(STAMP) && touch $@

crsqlite: $(STAMP)/system
	bash scripts/build_crsqlite.sh

demo: setup
	$(VENV)/bin/locanext demo

test: setup
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache
