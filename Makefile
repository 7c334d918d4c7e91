# Two commands do all the set-up on a fresh machine:
#   make demo   the main job, offline, on an embedded default
#   make test   installs what the tests need and runs them
# Both create a virtual environment in .venv and install torch first, so that a CPU-only
# machine gets the CPU build (override TORCH_SPEC / TORCH_PIP_ARGS for another build).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
EXTRAS ?= test
PYTEST_ARGS ?=

.PHONY: install install-test test demo lint format bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files re-run the install when pyproject.toml changes.
$(VENV)/.torch: | $(VENV)/bin/python
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install "$(TORCH_SPEC)" $(TORCH_PIP_ARGS)
	touch $@

$(VENV)/.installed-%: pyproject.toml $(VENV)/.torch
	$(PIP) install -e ".[$*]"
	touch $@

install: $(VENV)/.installed-$(EXTRAS)

install-test: $(VENV)/.installed-test

test: install-test
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

demo: install-test
	$(PY) -m lerobot.scripts.demo

lint: install-test
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: install-test
	$(PY) -m ruff check --fix . && $(PY) -m ruff format .

clean:
	rm -rf $(VENV) outputs .pytest_cache
