"""Marginable positions benchmark: 100,000 unsettled positions across 2,000 stocks through every
step of the pipeline (guide §4.3–4.7).

    python bench/positions_bench.py [--json] [--rows N] [--stocks N]

Prints ``pipeline_s`` (stock and cash collateral cover, multi-counter combination, corporate
actions, cross-day netting, market values and the cross-currency MTM; the median of three runs)
beside ``pandas_groupby_s``, a bare pandas group-by-sum of the same rows by stock and currency,
measured in the same run, and their ratio. Target (issue 13): pipeline_s under 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from cpdesk.engine.marginable import FxRate, TradeRow
from cpdesk.engine.marginable.corporate import CorporateAction
from cpdesk.engine.marginable.cover import CashCollateral, StockCollateral
from cpdesk.engine.marginable.pipeline import PipelineInputs, marginable_positions

DAY = date(2026, 11, 30)
REPEATS = 3


def build(rows: int, stocks: int) -> tuple[list[TradeRow], PipelineInputs]:
    rng = np.random.default_rng(13)
    codes = [str(1 + n) for n in range(stocks)]
    multi = set(codes[:100])  # 100 multi-counter stocks with a CNY counter
    trades = []
    for n in range(rows):
        code = codes[int(rng.integers(stocks))]
        currency = "CNY" if code in multi and n % 3 == 0 else "HKD"
        quantity = int(rng.integers(-5_000, 5_000)) or 100
        price = int(rng.integers(100, 50_000))  # cents
        trade = DAY - timedelta(days=int(rng.integers(0, 2)))
        settle = trade + timedelta(days=2)
        trades.append(
            TradeRow(trade, settle, code, currency, quantity, Decimal(quantity * price) / 100, line=n + 2)
        )
    inputs = PipelineInputs(
        DAY,
        {code: Decimal(int(rng.integers(100, 50_000))) / 100 for code in codes},
        {"CNY": FxRate(Decimal("1.1"), Decimal("0.03"))},
        [StockCollateral(code, DAY + timedelta(days=1), 2_000) for code in codes[::7]],
        [CashCollateral(code, "HKD", DAY - timedelta(days=1), Decimal(50_000)) for code in codes[::11]],
        dict.fromkeys(multi, "HKD"),
        [
            CorporateAction(DAY, DAY, "HKMK", code, code, Decimal(2), f"DIV{code}", Decimal("-0.5"))
            for code in codes[::50]
        ],
    )
    return trades, inputs


def run(rows: int, stocks: int) -> dict[str, float | int]:
    trades, inputs = build(rows, stocks)
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = marginable_positions(trades, inputs)
        timings.append(time.perf_counter() - start)
    frame = pd.DataFrame(
        {
            "stock": [t.stock_code for t in trades],
            "currency": [t.currency for t in trades],
            "quantity": [t.quantity for t in trades],
            "amount": [float(t.amount) for t in trades],
        }
    )
    grouped = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        frame.groupby(["stock", "currency"], sort=False)[["quantity", "amount"]].sum()
        grouped.append(time.perf_counter() - start)
    pipeline_s, pandas_s = statistics.median(timings), statistics.median(grouped)
    return {
        "rows": rows,
        "stocks": stocks,
        "positions": len(result.positions),
        "pipeline_s": round(pipeline_s, 3),
        "pandas_groupby_s": round(pandas_s, 4),
        "pipeline_over_pandas": round(pipeline_s / pandas_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stocks", type=int, default=2_000)
    args = parser.parse_args(argv)
    result = run(args.rows, args.stocks)
    print(json.dumps(result) if args.json else "\n".join(f"{k:22} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
