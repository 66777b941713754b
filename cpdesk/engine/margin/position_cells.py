"""Position rows read in bulk: which rows are plainly clean, and their values as integers.

``parse_position_rows`` reads a row field by field with exact decimals and words every problem;
a million accounts of clean rows do not need that. Here the cells of many rows are checked at
once against patterns narrower than what ``parse_position_rows`` accepts (a whole quantity below
10^15, amounts below 10^12 HKD with at most two decimals, no sign or space oddities) and
converted in bulk. A row that is not plainly clean is not judged here: its account goes to
``parse_position_rows``, which says what is wrong (or accepts it after all).

The patterns (``WHOLE_QUANTITY``, ``AMOUNT``) are matched and read in one compiled pass over each
column's bytes, digit by digit into whole units and cents: no regex engine, no float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numba as nb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from numba import prange

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


Column: TypeAlias = Sequence[str] | pa.StringArray

_DIGITS_QUANTITY = 15
_DIGITS_AMOUNT = 12


@nb.njit(cache=True, nogil=True, inline="always")
def _whole_number(
    data: npt.NDArray[np.uint8], start: int, end: int, int_digits: int, decimals: int
) -> tuple[np.int64, bool]:  # pragma: no cover - compiled
    """``data[start:end]``, ASCII spaces around it trimmed, read as
    ``^[+-]?[0-9]{1,int_digits}(\\.[0-9]{1,decimals})?$`` (no decimals when ``decimals`` is 0)
    into a whole number of ``10^-decimals`` units; and whether it matches."""
    # ASCII spaces (space, and tab to carriage return): what ascii_trim_whitespace trims.
    while start < end and (data[start] == 32 or 9 <= data[start] <= 13):
        start += 1
    while end > start and (data[end - 1] == 32 or 9 <= data[end - 1] <= 13):
        end -= 1
    negative = False
    if start < end and (data[start] == 43 or data[start] == 45):
        negative = data[start] == 45
        start += 1
    value = np.int64(0)
    digits = 0
    while start < end and 48 <= data[start] <= 57:
        value = value * 10 + (data[start] - 48)
        digits += 1
        start += 1
    if digits == 0 or digits > int_digits:
        return np.int64(0), False
    fraction = 0
    if decimals and start < end and data[start] == 46:
        start += 1
        while start < end and 48 <= data[start] <= 57 and fraction < decimals:
            value = value * 10 + (data[start] - 48)
            fraction += 1
            start += 1
        if fraction == 0:
            return np.int64(0), False
    if start != end:
        return np.int64(0), False
    for _ in range(fraction, decimals):
        value *= 10
    return (-value if negative else value), True


@nb.njit(cache=True, nogil=True, parallel=True)
def _whole_numbers(
    offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8], int_digits: int, decimals: int
) -> tuple[IntArray, BoolArray]:  # pragma: no cover - compiled
    """Each cell ``data[offsets[i]:offsets[i + 1]]`` read by :func:`_whole_number`, cells in
    parallel (a batch reads millions)."""
    count = offsets.shape[0] - 1
    values = np.zeros(count, np.int64)
    ok = np.zeros(count, np.bool_)
    for i in prange(count):
        values[i], ok[i] = _whole_number(data, offsets[i], offsets[i + 1], int_digits, decimals)
    return values, ok


def _read(column: pa.StringArray, int_digits: int, decimals: int) -> tuple[IntArray, BoolArray]:
    """The cells' values and which match, straight from the array's offsets and bytes."""
    column = column.cast(pa.large_string())  # int64 offsets, one contiguous buffer
    _, offsets, data = column.buffers()
    count = len(column)
    starts = np.frombuffer(offsets, dtype=np.int64)[column.offset : column.offset + count + 1]
    content = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return _whole_numbers(starts, content, int_digits, decimals)


def read_clean_cells(instrument: Column, quantity: Column, contract: Column, market: Column) -> CleanCells:
    """The cells of a column each, as read. ASCII spaces around them are trimmed (a subset of what
    ``parse_position_rows`` strips: a cell with any other kind around it is not clean)."""
    codes, quantities, contracts, markets = (
        column if isinstance(column, pa.Array) else pa.array(column, type=pa.string())
        for column in (instrument, quantity, contract, market)
    )
    codes = pc.ascii_trim_whitespace(codes)
    q, q_ok = _read(quantities, _DIGITS_QUANTITY, 0)
    cv, cv_ok = _read(contracts, _DIGITS_AMOUNT, 2)
    mv, mv_ok = _read(markets, _DIGITS_AMOUNT, 2)
    clean = np.asarray(pc.greater(pc.utf8_length(codes), 0), dtype=bool) & q_ok & cv_ok & mv_ok
    # parse_position_rows warns where a market value's sign is not the quantity's.
    clean &= (mv == 0) | ((mv > 0) == (q > 0))
    return CleanCells(codes, clean, np.where(clean, q, 0), np.where(clean, cv, 0), np.where(clean, mv, 0))
