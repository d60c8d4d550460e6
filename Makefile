# Recurrent Neural Networks from Basic to Advanced: build, test, refresh.
#   make html      build the website into _build/html (creates .venv on first use)
#   make test      everything CI checks: ruff, unit tests, nbval, strict book build
#   make execute   re-run every notebook in place so the committed outputs are fresh
# Variables: PYTHON (default python3.11, else python3), TORCH=1 to add the PyTorch cross-check.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(shell find chapters -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)

.PHONY: html test lint unit nbval book execute clean torch

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test,docs]"
	touch $(STAMP)

torch: $(STAMP)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet -e ".[torch]"

html: $(STAMP)
	$(BIN)/jupyter-book build --quiet .
	@echo "Open file://$(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check rnnlib tests chapters

unit: $(STAMP) $(if $(TORCH),torch)
	$(BIN)/python -m pytest -q tests

nbval: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval --nbval-sanitize-with sanitize.cfg $(NOTEBOOKS)

book: $(STAMP)
	$(BIN)/jupyter-book build --quiet -n -W --keep-going --all .

test: lint unit nbval book

execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=120 $(NOTEBOOKS)

clean:
	rm -rf _build
