# obsdrill: the two commands a new user runs on a fresh machine are `make demo` and `make test`.
# Both set up everything they need first (Python venv, container runtime, images): idempotent.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup runtime browser images demo test unit lint report reap clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || (apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV))
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(BIN)/.installed runtime browser images

runtime: $(BIN)/.installed
	$(BIN)/obsdrill runtime

# Debian's Chromium for the scenarios' browser users (`load.browsers`), driven by Playwright
browser: $(BIN)/.installed
	$(BIN)/obsdrill browser

images: runtime
	$(BIN)/obsdrill images build

# The built-in acceptance suite on the real stack, then the Allure HTML report (reports/allure-report/).
demo: setup
	$(BIN)/obsdrill run --report

# The project's tests: lint, types, unit tests, the real-stack integration tests (pillars, platform, every
# fault, routing, mutations, lifecycle) and the built-in acceptance suite, all on one session stack.
test: setup lint
	$(BIN)/python -m pytest tests harness/suite/test_scenarios.py --alluredir=reports/allure-results-tests \
		--clean-alluredir --durations=15

# The fast unit tests (no process started, no wait of seconds); `make test` runs the slow ones too.
unit: $(BIN)/.installed
	$(BIN)/python -m pytest tests/unit -m "not slow"

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/obsdrill validate

report: $(BIN)/.installed
	$(BIN)/obsdrill report

reap: $(BIN)/.installed
	$(BIN)/obsdrill reap --all

clean:
	rm -rf $(VENV) .tools reports/allure-results reports/allure-report reports/allure-results-tests reports/runs
