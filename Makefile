# Two set-up commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8050
HOST ?= 127.0.0.1
# test processes: one per core (CI has 2); TEST_WORKERS=0 runs the suite in this process
TEST_WORKERS ?= auto

.PHONY: demo test lint bench install clean

$(STAMP): pyproject.toml
	@echo "==> Creating $(VENV) and installing linkready with its test tools (about a minute the first time)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]' | grep -E '^(Collecting|Successfully)' || true
	$(BIN)/python -c "import linkready, duckdb, polars, dash" && touch $(STAMP)
	@echo "==> Installed"

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/linkready demo --port $(PORT) --host $(HOST)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=15; rc=$$?; if [ $$rc -eq 5 ]; then echo 'pytest collected no tests' >&2; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python bench/synth.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/linkage.py
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf demo-data demo.duckdb demo.duckdb.* demo-accounts.txt tests/artifacts
