"""Excel add-in benchmark: worksheet functions on a full-size RPF01, conversion included.

    python bench/excel_bench.py [--json] [--instruments N]

``CPD_RPF`` loads a synthetic RPF01 (15,000 instruments × 2,018 scenarios) once; then, each call
made as Windows Excel makes it (tests/support/excel.py: xlwings' decorators and conversion layer):
``margin_cell_ms``, one 50-position ``CPD_MARGIN(..., "total")`` (median of 300);
``thousand_cells_s``, 1,000 ``CPD_MARGIN`` cells over distinct 20-position portfolios; and, in the
same run, ``engine_single_ms``, the engine's own ``margin_breakdown`` (what the cell calls) on the
same 50 positions.
Targets (issue 12): margin_cell_ms under 1, thousand_cells_s under 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cpdesk.engine.margin import MarginParameters
from cpdesk.engine.margin.figures import margin_breakdown
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.rpf.synthetic import universe, write_synthetic_rpf
from tests.support.excel import call_like_excel, windows_udfs

HEADER = ("InstrumentID", "Quantity", "ContractValue", "MarketValue")


def _portfolio(rng: np.random.Generator, names: list[str], count: int) -> list[tuple[object, ...]]:
    """Positions as a range holds them: text codes, floats for numbers."""
    rows: list[tuple[object, ...]] = [HEADER]
    for pick in rng.choice(len(names), size=count, replace=False):
        quantity = int(rng.integers(-200_000, 200_000)) or 1
        mv = quantity * int(rng.integers(1, 50_000)) / 100
        rows.append((names[pick], float(quantity), round(mv * 0.97, 2), mv))
    return rows


def run(instruments: int) -> dict[str, float | int]:
    udfs = windows_udfs()
    rng = np.random.default_rng(11)
    with tempfile.TemporaryDirectory(prefix="cpdesk-excel-bench-") as folder:
        source = write_synthetic_rpf(Path(folder) / "RPF01_synthetic.csv", instruments)
        start = time.perf_counter()
        (handle,) = call_like_excel(udfs.CPD_RPF, str(source))[0]
        load_s = time.perf_counter() - start
        assert str(handle).startswith("RPF01 "), handle
        names = universe(instruments)
        tradeable = list(names.scenario_instruments)
        single = _portfolio(rng, tradeable, 50)
        call_like_excel(udfs.CPD_MARGIN, single, handle, "total")  # warm
        cell = []
        for _ in range(300):
            began = time.perf_counter()
            (total,) = call_like_excel(udfs.CPD_MARGIN, single, handle, "total")[0]
            cell.append(time.perf_counter() - began)
        assert isinstance(total, int), total

        rpf = udfs.LIBRARY.find(handle).rpf
        positions = [
            Position(str(r[0]), Decimal(str(r[1])), Decimal(str(r[2])), Decimal(str(r[3])))
            for r in single[1:]
        ]
        engine = []
        for _ in range(300):
            began = time.perf_counter()
            margin_breakdown(rpf, positions, MarginParameters())
            engine.append(time.perf_counter() - began)

        sheets = [_portfolio(rng, tradeable, 20) for _ in range(1000)]
        began = time.perf_counter()
        for sheet in sheets:
            call_like_excel(udfs.CPD_MARGIN, sheet, handle, "total")
        thousand_s = time.perf_counter() - began
    return {
        "instruments": instruments,
        "rpf_load_s": round(load_s, 2),
        "margin_cell_ms": round(statistics.median(cell) * 1e3, 3),
        "engine_single_ms": round(statistics.median(engine) * 1e3, 3),
        "cell_over_engine": round(statistics.median(cell) / statistics.median(engine), 2),
        "thousand_cells_s": round(thousand_s, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--instruments", type=int, default=15_000)
    args = parser.parse_args(argv)
    result = run(args.instruments)
    print(json.dumps(result) if args.json else "\n".join(f"{k:18} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
