# The README's two commands are `make run` and `make test`; everything else serves them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo install test lint unit bench screenshots mutate clean bytecode

# The dashboard: your opsdash.toml when there is one, else the embedded demo service.
run: $(STAMP) bytecode
	@if [ -f opsdash.toml ]; then $(BIN)/opsdash; else $(BIN)/opsdash demo; fi

demo: $(STAMP) bytecode
	$(BIN)/opsdash demo

# Our modules' bytecode, as pip writes it when installing a wheel: an editable install
# has none, and under PYTHONDONTWRITEBYTECODE (set here) Python never writes it, so every
# start compiled the ~35 modules it needs before the first frame (60-80 ms of CPU,
# measured) and ~100 after. compileall redoes only what changed since.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q tui panels runbooks common

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Everything: Debian servers the tests start, the venv, linters, the whole suite.
test: $(STAMP)
	./scripts/install-system-deps.sh
	$(BIN)/ruff check tui panels runbooks common tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check tui panels runbooks common tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# Every benchmark's figures beside DESIGN.md's budgets (printed, never asserted). glances
# (the CPU/RSS/first-paint yardstick) goes into its own venv, .venv-bench, never this one.
# `make bench BENCHES=glances` runs one; BENCH_RUNS/BENCH_WINDOW/BENCH_PARTS tune it.
bench: $(STAMP) bytecode
	./scripts/install-system-deps.sh
	$(BIN)/python -m benchmarks $(BENCHES)

screenshots: $(STAMP)
	$(BIN)/python scripts/export_screenshots.py

# Mutation testing of the modules where a silent bug costs most (the list and each
# module's fast tests: MODULES in scripts/mutate.py). mutmut only generates the mutants;
# a warm worker per module forks per mutant and runs just the tests that reach its line.
# Ends with "mutation score: NN% ..."; the survivors' diffs go to mutants-report.txt.
# MODULES="panels/promql.py" for one; `scripts/mutate.py --sample N` for a quick check.
mutate: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,mutate]'
	$(BIN)/python scripts/mutate.py $(MODULES)

clean:
	rm -rf $(VENV) .venv-bench .mypy_cache .ruff_cache .pytest_cache
