# cpdesk: `make demo` and `make test` work on a fresh machine with Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo demo-margin dashboard test lint bench bench-quick workbooks clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cpdesk needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# A simulated trading day fetched twice from two simulated HKEX facilities.
demo: $(STAMP)
	$(BIN)/cpdesk demo

# The operations dashboard on two simulated facilities (a late report, a key near expiry, LOP results).
dashboard: $(STAMP)
	$(BIN)/cpdesk demo --dashboard

# The guide's worked example (HKSCC VaR Platform IM Calculation Guide v1.4, §3).
demo-margin: $(STAMP)
	$(BIN)/cpdesk margin --lenient \
		--rpf cpdesk/samples/guide/rpf01-guide-sample.csv \
		--positions cpdesk/samples/guide/guide-sample-positions.csv \
		--flat-groups cpdesk/samples/guide/flat-groups.csv \
		--multiplier 2 --ipo 1876,3690 --holiday \
		--alc 75000000 --alc-multiplier 4 --alc-cap 280000000 --pla-rate 0.25 \
		--credit-risk-addon 12000000 --adhoc-addon 600000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/margin_bench.py --json
	$(BIN)/python bench/sync_bench.py --json
	$(BIN)/python bench/lop_bench.py --json
	$(BIN)/python bench/dashboard_bench.py --json
	$(BIN)/python bench/excel_bench.py --json
	$(BIN)/python bench/positions_bench.py --json

bench-quick: $(STAMP)
	$(BIN)/python bench/margin_bench.py --quick --json

# The blank LOP templates in workbooks/, regenerated from cpdesk/engine/lop/schema.toml, and the
# traders' margin workbook (the guide's example, xlwings' quickstart template).
workbooks: $(STAMP)
	rm -f workbooks/*_template.xlsx
	$(BIN)/cpdesk lop template all --out workbooks
	$(BIN)/cpdesk excel workbook --out workbooks/cpdesk-margin.xlsm

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
