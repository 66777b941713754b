"""One compiled pass over the scenario matrix: row bounds and the 10-decimal-place check."""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

# The kernel's exact path scales a return by 1e10 in float64, exact while |return| x 1e10 < 2^53;
# the parser refuses returns at or beyond this bound (a 10,000,000% move).
MAX_ABS_RETURN = 100_000.0


@nb.njit(cache=True, nogil=True)
def _row_checks(
    returns: npt.NDArray[np.float64], max_abs: npt.NDArray[np.float64], fine: npt.NDArray[np.bool_]
) -> None:  # pragma: no cover - compiled
    for row in range(returns.shape[0]):
        biggest = 0.0
        ok = True
        for col in range(returns.shape[1]):
            value = returns[row, col]
            magnitude = abs(value)
            biggest = max(biggest, magnitude)
            scaled = value * 1e10
            # A decimal with at most 10 places scales to a whole number up to float error.
            if abs(scaled - np.rint(scaled)) > 1e-3 * max(1.0, abs(scaled) * 1e-12):
                ok = False
        max_abs[row] = biggest
        fine[row] = ok


def row_checks(returns: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Per row: the largest absolute return, and whether every return has at most 10 decimals."""
    rows = returns.shape[0]
    max_abs = np.zeros(rows, dtype=np.float64)
    fine = np.ones(rows, dtype=np.bool_)
    if rows:
        _row_checks(returns, max_abs, fine)
    return max_abs, fine
