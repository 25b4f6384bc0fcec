# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint sample venv clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime

## make run: install (pinned) and serve the dashboard on the bundled sample export
run: $(VENV)/.runtime
	$(BIN)/python -m rfa_dash serve --server.port $(PORT) --server.address 127.0.0.1

## make test: install app + test requirements (and Debian's chromium, poppler-utils, postgresql, nginx and faketime if missing), lint, type-check, run every test
test: $(VENV)/.dev
	@(command -v /usr/bin/chromium && command -v pdftoppm && ls /usr/lib/postgresql/*/bin/initdb && test -x /usr/sbin/nginx && command -v faketime) >/dev/null 2>&1 || sh tests/install_debian_packages.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

## make sample: regenerate the bundled synthetic sample export and its REDCap form
sample: $(VENV)/.runtime
	$(BIN)/python -m rfa_dash synth --out sample_data --patients 30 --seed 20257
	rm -rf .sample_redcap && $(BIN)/python -m rfa_dash to-redcap sample_data --out .sample_redcap
	rm -rf sample_data/redcap && mv .sample_redcap sample_data/redcap  # to-redcap never writes into an export

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache .ruff_cache
