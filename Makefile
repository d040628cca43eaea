# The two set-up commands of the README, and the checks CI runs. Each target works on a fresh machine:
# it makes the virtual environment and installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: example test lint docs schema bench cassettes

$(BIN)/pytest: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## The main job: the example application's test suite, on the fake (no Stripe account needed).
example: $(BIN)/pytest
	$(BIN)/python -m pytest -q -n 2 examples

## The project's own tests, with the plugin's repeatable Hypothesis profile.
test: $(BIN)/pytest
	$(BIN)/python -m pytest -q -n 2 tests --hypothesis-profile checkout-ci

## ruff and mypy --strict on the package.
lint: $(BIN)/pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict pytest_checkout

## The documentation, built strictly (a broken link or a page missing from the nav fails it) into site/.
docs: $(BIN)/pytest
	$(BIN)/mkdocs build --strict --quiet

## Regenerate the schema modules: 2022-08-01 from Stripe's spec (SPEC=path/to/spec3.yaml), and the version
## the installed stripe package pins (stripe 16.1.0: 2026-10-28.endive) from that package's modules.
SPEC ?= ../shared/reference/stripe-openapi-2022-08-01/spec3.yaml
schema: $(BIN)/pytest
	$(BIN)/python scripts/generate_schema.py $(SPEC)
	$(BIN)/python scripts/generate_schema.py --sdk "$$($(BIN)/python -c 'import os, stripe; print(os.path.dirname(stripe.__file__))')"

## The fake's benchmarks (speed against a static stub, memory at 100,000 sessions); see bench/README.md.
bench: $(BIN)/pytest
	$(BIN)/python bench/bench_fake.py

## Record the project's own cassettes again, against the fake served on 127.0.0.1 (see docs/cassettes.md).
cassettes: $(BIN)/pytest
	$(BIN)/python scripts/record_cassettes.py
