"""Margin engine benchmark: prints one JSON object of timings.

    python bench/margin_bench.py [--quick] [--json] [--instruments N]

- ``parse_s``: cold parse of a synthetic full-size RPF01 (no binary cache yet)
- ``cache_load_s``: loading the same file again from its binary cache
- ``single_portfolio_us``: one 50-position portfolio, full breakdown, warm (median)
- ``batch_pps``: portfolios per second, 10,000 portfolios of 20 positions, exact rounding
- ``roofline_pps``: the bare compiled gather-round-sum-tail kernel alone on the same
  positions (float rounding, no tie check, no lookups or grouping), measured in the same run
- ``batch_vs_roofline``: batch_pps / roofline_pps

Targets on the 2-core reference machine: parse_s < 10, cache_load_s < 0.5,
single_portfolio_us < 200, batch_pps >= 20,000 and >= 0.5 x roofline_pps.
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

from cpdesk.engine.margin import MarginParameters, calculate_margin
from cpdesk.engine.margin.batch import PortfolioBatch, portfolio_margin_batch
from cpdesk.engine.margin.kernel import bare_tail_sums
from cpdesk.engine.margin.portfolio import TailParameters
from cpdesk.engine.margin.positions import Position
from cpdesk.engine.rpf.cache import cache_path_for, load_rpf
from cpdesk.engine.rpf.model import RiskParameterFile
from cpdesk.engine.rpf.synthetic import universe, write_synthetic_rpf

PORTFOLIOS = 10_000
POSITIONS_PER_PORTFOLIO = 20
SINGLE_POSITIONS = 50


def _random_positions(rng: np.random.Generator, names: list[str], count: int) -> list[Position]:
    picks = rng.choice(len(names), size=count, replace=False)
    out = []
    for pick in picks:
        quantity = int(rng.integers(-200_000, 200_000)) or 1
        price_cents = int(rng.integers(1, 50_000))
        mv = Decimal(quantity * price_cents) / 100
        contract = (mv * Decimal("0.97")).quantize(Decimal("0.01"))
        out.append(Position(names[pick], Decimal(quantity), contract, mv))
    return out


def _load_fully(path: Path) -> tuple[float, RiskParameterFile]:
    start = time.perf_counter()
    parsed = load_rpf(path)
    elapsed = time.perf_counter() - start
    if parsed.value is None:
        raise SystemExit("\n".join(str(p) for p in parsed.problems))
    return elapsed, parsed.value


def run(instruments: int) -> dict[str, float | int]:
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory(prefix="cpdesk-bench-") as folder:
        source = write_synthetic_rpf(Path(folder) / "RPF01_synthetic.csv", instruments)
        warm = write_synthetic_rpf(Path(folder) / "warmup.csv", 50, 20, 20)
        load_rpf(warm, use_cache=False)  # load compiled numba code outside the timings

        parse_s, _ = _load_fully(source)  # cold: no cache exists yet, this parse writes it
        assert cache_path_for(source).exists(), "the cache was not written"
        cache_load_s, rpf = _load_fully(source)

    names = universe(instruments)
    tradeable = list(names.scenario_instruments) + list(names.tier_n)
    single = _random_positions(rng, tradeable, SINGLE_POSITIONS)
    params = MarginParameters(ipo_codes=frozenset({names.stocks[1]}), holiday=True)
    calculate_margin(rpf, single, params)
    samples = []
    for _ in range(300):
        start = time.perf_counter()
        calculate_margin(rpf, single, params)
        samples.append(time.perf_counter() - start)
    single_us = statistics.median(samples) * 1e6

    scenario_names = list(names.scenario_instruments)
    portfolios = [_random_positions(rng, scenario_names, POSITIONS_PER_PORTFOLIO) for _ in range(PORTFOLIOS)]
    batch = PortfolioBatch.of(portfolios)
    portfolio_margin_batch(rpf, PortfolioBatch.of(portfolios[:10]), params.ipo_codes, params.floor_rate)
    batch_s = min(
        _timed(lambda: portfolio_margin_batch(rpf, batch, params.ipo_codes, params.floor_rate))
        for _ in range(3)
    )

    tail = TailParameters.of(rpf)
    rows = np.array([rpf.scenarios.index[i] for i in batch.instrument_ids], dtype=np.int64)
    mv = batch.market_value_cents / 100.0
    out = np.zeros((PORTFOLIOS, 2))
    bare_tail_sums(
        rpf.scenarios.returns,
        rows[:40],
        mv[:40],
        batch.offsets[:3],
        tail.hvar_count,
        tail.hvar_k,
        tail.svar_k,
        out,
    )
    roof_s = min(
        _timed(
            lambda: bare_tail_sums(
                rpf.scenarios.returns, rows, mv, batch.offsets, tail.hvar_count, tail.hvar_k, tail.svar_k, out
            )
        )
        for _ in range(3)
    )
    return {
        "instruments": instruments,
        "hvar_scenarios": rpf.hvar_count,
        "svar_scenarios": rpf.svar_count,
        "parse_s": round(parse_s, 3),
        "cache_load_s": round(cache_load_s, 3),
        "single_portfolio_us": round(single_us, 1),
        "batch_pps": round(PORTFOLIOS / batch_s),
        "roofline_pps": round(PORTFOLIOS / roof_s),
        "batch_vs_roofline": round(roof_s / batch_s, 3),
    }


def _timed(action: object) -> float:
    assert callable(action)
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3,000 instruments instead of 15,000")
    parser.add_argument("--instruments", type=int, help="number of scenario instruments")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args(argv)
    instruments = args.instruments or (3_000 if args.quick else 15_000)
    result = run(instruments)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:22} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
