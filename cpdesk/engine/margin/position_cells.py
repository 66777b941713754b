"""Position rows read in bulk: which rows are plainly clean, and their values as integers.

``parse_position_rows`` reads a row field by field with exact decimals and words every problem;
a million accounts of clean rows do not need that. Here the cells of many rows are checked at
once against patterns narrower than what ``parse_position_rows`` accepts (a whole quantity below
10^15, amounts below 10^12 HKD with at most two decimals, no sign or space oddities) and
converted in bulk. A row that is not plainly clean is not judged here: its account goes to
``parse_position_rows``, which says what is wrong (or accepts it after all).

Amounts are parsed as float64 and scaled to cents: below 10^12 HKD the nearest double is within
10^-4 HKD of the decimal, so rounding x 100 to the nearest integer gives the cents exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

WHOLE_QUANTITY = r"^[+-]?[0-9]{1,15}$"
AMOUNT = r"^[+-]?[0-9]{1,12}(\.[0-9]{1,2})?$"


@dataclass(frozen=True, eq=False)
class CleanCells:
    instrument: pa.Array  # the codes, spaces trimmed
    clean: BoolArray  # per row: every field plainly valid, and no warning due
    quantity: IntArray  # whole units (0 where not clean)
    contract_value_cents: IntArray
    market_value_cents: IntArray


def read_clean_cells(
    instrument: Sequence[str], quantity: Sequence[str], contract: Sequence[str], market: Sequence[str]
) -> CleanCells:
    """The cells of a column each, as read. ASCII spaces around them are trimmed (a subset of what
    ``parse_position_rows`` strips: a cell with any other kind around it is not clean)."""
    codes, quantities, contracts, markets = (
        pc.ascii_trim_whitespace(pa.array(column, type=pa.string()))
        for column in (instrument, quantity, contract, market)
    )
    clean = np.asarray(
        pc.and_(
            pc.and_(
                pc.greater(pc.utf8_length(codes), 0), pc.match_substring_regex(quantities, WHOLE_QUANTITY)
            ),
            pc.and_(pc.match_substring_regex(contracts, AMOUNT), pc.match_substring_regex(markets, AMOUNT)),
        ),
        dtype=bool,
    )
    count = len(clean)
    q = np.zeros(count, dtype=np.int64)
    cv = np.zeros(count, dtype=np.int64)
    mv = np.zeros(count, dtype=np.int64)
    if clean.any():
        keep = pa.array(clean)
        q[clean] = pc.cast(pc.filter(quantities, keep), pa.int64()).to_numpy()
        cv[clean] = np.rint(pc.cast(pc.filter(contracts, keep), pa.float64()).to_numpy() * 100)
        mv[clean] = np.rint(pc.cast(pc.filter(markets, keep), pa.float64()).to_numpy() * 100)
    # parse_position_rows warns where a market value's sign is not the quantity's.
    clean &= (mv == 0) | ((mv > 0) == (q > 0))
    return CleanCells(codes, clean, q, cv, mv)
