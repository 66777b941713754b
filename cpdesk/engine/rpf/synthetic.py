"""Synthetic RPF01 files of realistic size and shape, for benchmarks, tests and the simulator.

Instruments: stocks (FieldType 1, 2 and 4), structured products on those stocks (1, 2, 5 and
some 6), Tier N stocks (3), the hedging instrument 2800, and a few corporate actions (7).
Returns have six decimal places, as HKEX's do. The CSV is formatted with numpy byte arrays
(no per-number Python formatting), so a full-size file takes seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

_DIGITS = 6


@dataclass(frozen=True, slots=True)
class SyntheticUniverse:
    """The instrument codes a synthetic file contains, by kind."""

    stocks: tuple[str, ...]
    structured_products: tuple[str, ...]
    tier_n: tuple[str, ...]
    corporate_action_positions: tuple[str, ...]

    @property
    def scenario_instruments(self) -> tuple[str, ...]:
        return self.stocks + self.structured_products


def _format_block(values: npt.NDArray[np.int64]) -> list[bytes]:
    """Rows of ``values`` (returns x 1e6, |v| < 1e6) as ``-0.012345,0.5,...`` byte strings."""
    rows, cols = values.shape
    width = _DIGITS + 4  # sign, "0", ".", digits, ","
    cells = np.empty((rows, cols, width), dtype=np.uint8)
    magnitude = np.abs(values)
    cells[:, :, 0] = ord("-")
    cells[:, :, 1] = ord("0")
    cells[:, :, 2] = ord(".")
    for k in range(_DIGITS):
        cells[:, :, 3 + k] = ord("0") + (magnitude // 10 ** (_DIGITS - 1 - k)) % 10
    cells[:, :, width - 1] = ord(",")
    keep = np.ones((rows, cols, width), dtype=bool)
    keep[:, :, 0] = values < 0
    keep[:, -1, width - 1] = False  # no comma after the last value
    flat = cells.reshape(rows, -1)
    mask = keep.reshape(rows, -1)
    return [flat[r][mask[r]].tobytes() for r in range(rows)]


# The instruments of the guide's worked example (its positions file), so a synthetic day's RPF01
# margins the simulated RMAMP01: stocks with deltas, structured products, Tier N stocks, and the
# corporate actions DSP700, SRI3606 and DIV1299.
GUIDE_CODES = SyntheticUniverse(
    stocks=("700", "1299", "1876", "2823", "3690"),
    structured_products=("26883", "60954"),
    tier_n=("658", "3456", "3457", "3606"),
    corporate_action_positions=("DSP700", "SRI3606", "DIV1299"),
)


def universe(instruments: int, pinned: SyntheticUniverse | None = None) -> SyntheticUniverse:
    """``instruments`` codes by kind; ``pinned`` codes come first in each kind (the rest made up)."""
    stocks_n = max(2, instruments // 5)
    stocks = ("2800", *(str(10_000 + i) for i in range(stocks_n - 1)))
    products = tuple(str(20_000 + i) for i in range(instruments - stocks_n))
    tier_n = tuple(str(90_000 + i) for i in range(max(1, instruments // 30)))
    corporate = tuple(
        f"{prefix}{stocks[1 + n % (len(stocks) - 1)]}" for n, prefix in enumerate(("DSP", "SRI", "DIV"))
    )
    if pinned is not None:
        stocks = (stocks[0], *pinned.stocks, *stocks[1 : len(stocks) - len(pinned.stocks)])
        products = (*pinned.structured_products, *products[: len(products) - len(pinned.structured_products)])
        tier_n = (*pinned.tier_n, *tier_n)
        corporate = pinned.corporate_action_positions
    return SyntheticUniverse(stocks, products, tier_n, corporate)


def synthetic_rpf_lines(
    instruments: int,
    hvar: int = 1000,
    svar: int = 1018,
    seed: int = 20191104,
    pinned: SyntheticUniverse | None = None,
) -> Iterator[bytes]:
    rng = np.random.default_rng(seed)
    names = universe(instruments, pinned)
    header = {
        "Valuation_DT": "4/11/2019",
        "HVaR_WGT": "0.75",
        "SVaR_WGT": "0.25",
        "HVaR_Scen_Count": str(hvar),
        "SVaR_Scen_Count": str(svar),
        "STV_Count": "200",
        "HVaR_CL": "0.994",
        "SVaR_CL": "0.98",
        "HVaR_Measure": "4",
        "SVaR_Measure": "4",
        "Rounding": "10000",
        "Holiday_Factor": "0.7320508075",
    }
    for name, value in header.items():
        yield f"{name},{value}".encode()
    yield ("InstrumentId,FieldType," + ",".join(str(i) for i in range(1, max(hvar, svar) + 1))).encode()
    ids = names.scenario_instruments
    volatility = np.where(np.arange(len(ids)) < len(names.stocks), 0.02, 0.12)[:, None]
    for field_type, count in ((1, hvar), (2, svar)):
        block = np.clip(np.rint(rng.standard_normal((len(ids), count)) * volatility * 1e6), -999_999, 999_999)
        for chunk in range(0, len(ids), 2000):
            formatted = _format_block(block[chunk : chunk + 2000].astype(np.int64))
            for instrument, row in zip(ids[chunk : chunk + 2000], formatted, strict=True):
                yield f"{instrument},{field_type},".encode() + row
    for instrument in names.tier_n:
        yield f"{instrument},3,{rng.choice(['0.12', '0.3', '0.55', '1'])}".encode()
    for n, instrument in enumerate(names.stocks):
        bucket, beta = 0.002 + (n % 3) * 0.0001, 0.8 + (n % 7) / 10
        threshold, price = 100_000_000 * (1 + n % 3), 5 + n % 400
        yield f"{instrument},4,{bucket:.4f},{beta:.1f},{threshold},{price}".encode()
    for n, instrument in enumerate(names.structured_products):
        underlying = names.stocks[1 + n % (len(names.stocks) - 1)]
        delta = round(float(rng.uniform(-0.9, 0.9)), 6)
        yield f"{instrument},5,{underlying},{delta},100,{delta * 0.4:.6f}".encode()
        if n % 10 == 0:
            yield f"{instrument},6,0.02,0.5".encode()
    for code, benefit in zip(names.corporate_action_positions, (1, 2, 3), strict=True):
        yield f"{code[3:]},7,{benefit},1,-0.5,0.5".encode()


def write_synthetic_rpf(
    path: str | Path, instruments: int, hvar: int = 1000, svar: int = 1018, seed: int = 20191104
) -> Path:
    """Write a synthetic RPF01 to ``path`` (via a temporary name, renamed when complete)."""
    target = Path(path)
    temporary = target.with_name(target.name + ".partial")
    with temporary.open("wb") as handle:
        for line in synthetic_rpf_lines(instruments, hvar, svar, seed):
            handle.write(line + b"\n")
    temporary.replace(target)
    return target
