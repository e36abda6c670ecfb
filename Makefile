# anju — two commands: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export ANJU_TEST_DATA_DIR ?= $(CURDIR)/var/test

.PHONY: setup demo test lint check-migrations bench bench-divisions bench-import bench-search bench-verification bench-subsidies bench-bankfile bench-projects bench-relocation bench-relocation-imports messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/anju demo --data-dir var/demo

lint: setup
	$(BIN)/ruff check src tests bench

check-migrations: setup
	ANJU_DATA_DIR=$(ANJU_TEST_DATA_DIR) $(BIN)/anju manage makemigrations --check --dry-run

test: lint check-migrations
	ANJU_DATA_DIR=$(ANJU_TEST_DATA_DIR) $(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks print tables with their floor measured in the same run (README, "Performance"). Each takes minutes;
# BENCH_ARGS passes options, e.g. `make bench-import BENCH_ARGS="--persons 200000"`.
bench: bench-divisions bench-import bench-search bench-verification bench-subsidies bench-bankfile bench-projects bench-relocation bench-relocation-imports

bench-divisions: setup
	$(BIN)/python bench/divisions_load.py $(BENCH_ARGS)

bench-import: setup
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	$(BIN)/python bench/registry_import.py $(BENCH_ARGS)

bench-search: setup
	$(BIN)/python bench/registry_search.py $(BENCH_ARGS)

bench-verification: setup
	$(BIN)/python bench/registry_verification.py $(BENCH_ARGS)

bench-subsidies: setup
	$(BIN)/python bench/subsidies_batch.py $(BENCH_ARGS)

bench-bankfile: setup
	$(BIN)/python bench/subsidies_bankfile.py $(BENCH_ARGS)

bench-projects: setup
	$(BIN)/python bench/projects_rates.py $(BENCH_ARGS)

bench-relocation: setup
	$(BIN)/python bench/relocation_metrics.py $(BENCH_ARGS)

bench-relocation-imports: setup
	$(BIN)/python bench/relocation_imports.py $(BENCH_ARGS)

messages: setup
	cd src/anju && ../../$(BIN)/anju manage makemessages -l en --no-obsolete --no-wrap --ignore='migrations/*' && ../../$(BIN)/anju manage compilemessages -l en

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
