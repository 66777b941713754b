"""The scenario P&L kernel: gather, multiply, round each term exactly, sum, take the tail.

For every (sub-)portfolio and scenario the guide sums ``round_off(market value x return)`` over
positions (footnotes 20-26), then averages the k worst sums. That is ~2,000 scenarios per
position, so the loop is compiled with numba and fused: one pass over each gathered row.

Exactness. Market values are whole cents and RPF returns carry at most 10 decimal places, so
each true term ``mv x r`` is a multiple of 1e-12 and its rounding is well defined. The fast path
rounds the float64 product; it can only be wrong when the product lies within float error of a
half. Those terms are flagged (a cheap branch-free test) and recomputed exactly in integers:
``cents x round(r x 1e10)`` modulo 1e12 gives the fractional part with no overflow, and the
float product gives the integer part (its error is far below one).

Tails. A margin needs only the k worst sums of each sub-portfolio, not every sum exact: the
sums are taken of the unrounded float products (the bare arithmetic without its rounding), and
only the few scenarios that can be in the tail are summed again exactly, column by column
(:func:`exact_tails`).
Every scenario's exact P&L (attribution, :func:`scenario_pnl`) takes the fused pass.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt
from numba import prange

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# The exact path takes a term's integer part from float64, exact while |term| stays far below
# 2^52, and the sums of whole-HKD terms are exact while they stay below 2^53: callers keep the
# sum over a sub-portfolio of |market value| x max |return| (which bounds every term and every
# partial sum) under MAX_ABS_TERM_HKD. (The exact path also scales returns by 1e10, which the
# parser bounds with MAX_ABS_RETURN.)
MAX_ABS_TERM_HKD = 1e14
_SCALE = 1_000_000_000_000  # cents (1e2) x return scale (1e10)
_HALF = 500_000_000_000
_SPLIT = 1_000_000
# Relative bound on the float error of |mv x r| + 0.5 (about 4 ulps); doubled for margin.
_TIE_TOLERANCE = 1e-15


@nb.njit(cache=True, nogil=True, inline="always")
def exact_rounded_term(mv_cents: np.int64, ret: np.float64) -> float:  # pragma: no cover - compiled
    """round_off(mv_cents / 100 x ret) exactly, halves away from zero."""
    ret_scaled = np.int64(np.rint(ret * 1e10))
    a = mv_cents % _SCALE  # Python semantics: non-negative
    b = ret_scaled % _SCALE
    b_low = b % _SPLIT
    b_high = b // _SPLIT
    fraction = ((a * b_low) % _SCALE + ((a * b_high) % _SPLIT) * _SPLIT) % _SCALE
    approx = (mv_cents * 0.01) * ret
    floor_value = np.rint(approx - fraction / 1e12)
    negative = (mv_cents < 0) != (ret_scaled < 0) and mv_cents != 0 and ret_scaled != 0
    if negative:
        return float(floor_value + (1.0 if fraction > _HALF else 0.0))
    return float(floor_value + (1.0 if fraction >= _HALF else 0.0))


@nb.njit(cache=True, nogil=True, inline="always")
def _rounded(mv: float, ret: float, tolerance: float) -> tuple[float, bool]:  # pragma: no cover
    """The term mv x ret rounded in float, halves away from zero, and whether it is near a tie."""
    x = mv * ret
    y = abs(x) + 0.5
    whole = np.floor(y)
    gap = y - whole
    return np.copysign(whole, x), (gap < tolerance) | (gap > 1.0 - tolerance)


@nb.njit(cache=True, nogil=True, inline="always")
def _fix_ties(
    acc: FloatArray, returns: FloatArray, row: np.int64, mv: np.float64, mv_cents: np.int64, tolerance: float
) -> None:  # pragma: no cover - compiled
    """Replace the row's float-rounded terms that were near a tie by their exact rounding."""
    for s in range(acc.shape[0]):
        term, near = _rounded(mv, returns[row, s], tolerance)
        if near:
            acc[s] += exact_rounded_term(mv_cents, returns[row, s]) - term


@nb.njit(cache=True, nogil=True, inline="always")
def _accumulate_rows(
    acc: FloatArray,
    returns: FloatArray,
    max_abs: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    mv_cents: IntArray,
    start: int,
    end: int,
) -> None:  # pragma: no cover - compiled
    """Add the rounded terms of positions ``start:end`` to ``acc``. Four rows go per pass:
    ``acc`` is loaded and stored once for four terms (one row per pass spent most of its time
    on that), and the sum of four whole numbers far below 2^53 is exact in any order."""
    j = start
    while j + 3 < end:
        r0, r1, r2, r3 = rows[j], rows[j + 1], rows[j + 2], rows[j + 3]
        m0, m1, m2, m3 = mv[j], mv[j + 1], mv[j + 2], mv[j + 3]
        t0 = _TIE_TOLERANCE * (abs(m0) * max_abs[r0] + 1.0)
        t1 = _TIE_TOLERANCE * (abs(m1) * max_abs[r1] + 1.0)
        t2 = _TIE_TOLERANCE * (abs(m2) * max_abs[r2] + 1.0)
        t3 = _TIE_TOLERANCE * (abs(m3) * max_abs[r3] + 1.0)
        near_ties = 0
        for s in range(acc.shape[0]):
            w0, n0 = _rounded(m0, returns[r0, s], t0)
            w1, n1 = _rounded(m1, returns[r1, s], t1)
            w2, n2 = _rounded(m2, returns[r2, s], t2)
            w3, n3 = _rounded(m3, returns[r3, s], t3)
            near_ties += n0 | n1 | n2 | n3
            acc[s] += (w0 + w1) + (w2 + w3)
        if near_ties:
            _fix_ties(acc, returns, r0, m0, mv_cents[j], t0)
            _fix_ties(acc, returns, r1, m1, mv_cents[j + 1], t1)
            _fix_ties(acc, returns, r2, m2, mv_cents[j + 2], t2)
            _fix_ties(acc, returns, r3, m3, mv_cents[j + 3], t3)
        j += 4
    while j < end:
        row, m = rows[j], mv[j]
        tolerance = _TIE_TOLERANCE * (abs(m) * max_abs[row] + 1.0)
        near_ties = 0
        for s in range(acc.shape[0]):
            w, near = _rounded(m, returns[row, s], tolerance)
            near_ties += near
            acc[s] += w
        if near_ties:
            _fix_ties(acc, returns, row, m, mv_cents[j], tolerance)
        j += 1


# Up to this k the tail is picked in one pass keeping the k smallest so far (a new one is rare
# after the first few hundred scenarios); beyond it np.partition, which copies and selects.
_ONE_PASS_K = 32


@nb.njit(cache=True, nogil=True, inline="always")
def _k_smallest(values: FloatArray, k: int) -> FloatArray:  # pragma: no cover - compiled
    """The k smallest values, in no order (1 <= k < len(values))."""
    if k > _ONE_PASS_K:
        return np.partition(values, k - 1)[:k]
    kept = values[:k].copy()
    worst = np.argmax(kept)
    for i in range(k, values.shape[0]):
        if values[i] < kept[worst]:
            kept[worst] = values[i]
            worst = np.argmax(kept)
    return kept


@nb.njit(cache=True, nogil=True, inline="always")
def _k_smallest_at(values: FloatArray, k: int) -> IntArray:  # pragma: no cover - compiled
    """The indices of k smallest values, in no order (1 <= k < len(values))."""
    if k > _ONE_PASS_K:
        return np.argpartition(values, k - 1)[:k]
    kept = np.arange(k)
    worst = int(np.argmax(values[:k]))
    for i in range(k, values.shape[0]):
        if values[i] < values[kept[worst]]:
            kept[worst] = i
            worst = 0
            for j in range(1, k):
                if values[kept[j]] > values[kept[worst]]:
                    worst = j
    return kept


@nb.njit(cache=True, nogil=True, inline="always")
def smallest_sum(values: FloatArray, k: int) -> float:  # pragma: no cover - compiled
    """The sum of the k smallest values (whole numbers: the sum is exact in any order)."""
    if k >= values.shape[0]:
        return float(values.sum())
    return float(_k_smallest(values, k).sum())


# The tails are picked from float sums of the unrounded products (the bare arithmetic, without
# even its rounding). Each exact term is within 0.5 of its true product (the rounding); the float
# products and their sum are within (n + 3) x B x 2^-53 of the true sum, where B is the
# sub-portfolio's term bound (the sum of |mv| x max |r|, which bounds the sum of |terms|: three
# roundings per product, the market value's, the return's and the product's, and at most n - 1
# additions above each term, in any order). So a float sum is within
# w = n/2 + (n + 3) x B x 2^-53 of the exact sum of its n terms. A scenario whose float sum lies
# more than 2w above the k-th smallest therefore has at least k exact sums below its own and is
# not in the tail: only the scenarios within that band (the candidates, as a rule k or a few
# more) are summed exactly, column by column. The band's error term is taken twice, for the
# bound's own rounding and the band's addition. Where more than _MAX_CANDIDATES crowd it (sums
# bunched together, as with tiny positions), the sub-portfolio is summed again with the fused
# exact pass.
_MAX_CANDIDATES = 64
_SUM_ERROR = 2.0**-51  # 2w's error term per position, doubled


@nb.njit(cache=True, nogil=True, inline="always")
def _plain(mv: float, ret: float) -> float:  # pragma: no cover - compiled
    x = mv * ret
    return float(np.copysign(np.floor(abs(x) + 0.5), x))


@nb.njit(cache=True, nogil=True, inline="always")
def _accumulate_plain(
    acc: FloatArray, returns: FloatArray, rows: IntArray, mv: FloatArray, start: int, end: int
) -> None:  # pragma: no cover - compiled
    """Add the float-rounded terms of positions ``start:end`` to ``acc``, four rows per pass."""
    j = start
    while j + 3 < end:
        r0, r1, r2, r3 = rows[j], rows[j + 1], rows[j + 2], rows[j + 3]
        m0, m1, m2, m3 = mv[j], mv[j + 1], mv[j + 2], mv[j + 3]
        for s in range(acc.shape[0]):
            acc[s] += (_plain(m0, returns[r0, s]) + _plain(m1, returns[r1, s])) + (
                _plain(m2, returns[r2, s]) + _plain(m3, returns[r3, s])
            )
        j += 4
    while j < end:
        for s in range(acc.shape[0]):
            acc[s] += _plain(mv[j], returns[rows[j], s])
        j += 1


@nb.njit(cache=True, nogil=True, inline="always")
def _accumulate_products(
    acc: FloatArray, returns: FloatArray, rows: IntArray, mv: FloatArray, start: int, end: int
) -> None:  # pragma: no cover - compiled
    """Add the unrounded products of positions ``start:end`` to ``acc``, four rows per pass."""
    j = start
    while j + 3 < end:
        r0, r1, r2, r3 = rows[j], rows[j + 1], rows[j + 2], rows[j + 3]
        m0, m1, m2, m3 = mv[j], mv[j + 1], mv[j + 2], mv[j + 3]
        for s in range(acc.shape[0]):
            acc[s] += (m0 * returns[r0, s] + m1 * returns[r1, s]) + (
                m2 * returns[r2, s] + m3 * returns[r3, s]
            )
        j += 4
    while j < end:
        for s in range(acc.shape[0]):
            acc[s] += mv[j] * returns[rows[j], s]
        j += 1


@nb.njit(cache=True, nogil=True, inline="always")
def term_bound(
    max_abs: FloatArray, rows: IntArray, mv: FloatArray, start: int, end: int
) -> float:  # pragma: no cover - compiled
    """The sum of |mv| x max |r| over positions ``start:end``: it bounds every term and partial
    sum (HKD); callers hold it under MAX_ABS_TERM_HKD."""
    total = 0.0
    for j in range(start, end):
        total += abs(mv[j]) * max_abs[rows[j]]
    return total


@nb.njit(cache=True, nogil=True, inline="always")
def _exact_sums(
    returns: FloatArray,
    max_abs: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    mv_cents: IntArray,
    start: int,
    end: int,
    scenarios: IntArray,
) -> FloatArray:  # pragma: no cover - compiled
    """The exact sums over positions ``start:end`` of the given scenarios (the fused pass's
    rule: float rounding where it is certain, integers near a half), row by row."""
    sums = np.zeros(scenarios.shape[0])
    near_ties = 0
    for j in range(start, end):
        row, m = rows[j], mv[j]
        tolerance = _TIE_TOLERANCE * (abs(m) * max_abs[row] + 1.0)
        for c in range(scenarios.shape[0]):
            term, near = _rounded(m, returns[row, scenarios[c]], tolerance)
            sums[c] += term
            near_ties += near
    if near_ties:  # rare: the terms near a half again, each replaced by its exact rounding
        for j in range(start, end):
            row, m = rows[j], mv[j]
            tolerance = _TIE_TOLERANCE * (abs(m) * max_abs[row] + 1.0)
            for c in range(scenarios.shape[0]):
                ret = returns[row, scenarios[c]]
                term, near = _rounded(m, ret, tolerance)
                if near:
                    sums[c] += exact_rounded_term(mv_cents[j], ret) - term
    return sums


@nb.njit(cache=True, nogil=True, inline="always")
def _exact_tail(
    float_sums: FloatArray,
    lo: int,
    k: int,
    band: float,
    returns: FloatArray,
    max_abs: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    mv_cents: IntArray,
    start: int,
    end: int,
) -> tuple[float, bool]:  # pragma: no cover - compiled
    """The sum of the k smallest exact sums of scenarios ``lo:lo + len(float_sums)`` from their
    float sums, each within ``band`` / 2 of its exact sum; False (and 0) when more than
    _MAX_CANDIDATES are candidates."""
    n = float_sums.shape[0]
    if k >= n:
        candidates, count = lo + np.arange(n), n
    else:
        smallest = _k_smallest_at(float_sums, k)
        limit = float_sums[smallest].max() + band
        count = 0
        for s in range(n):  # no branch: as a rule only the k smallest are within the band
            count += float_sums[s] <= limit
        if count == k:
            candidates = lo + smallest
        else:
            candidates = np.empty(_MAX_CANDIDATES, np.int64)
            count = 0
            for s in range(n):
                if float_sums[s] <= limit:
                    if count == _MAX_CANDIDATES:
                        return 0.0, False
                    candidates[count] = lo + s
                    count += 1
    sums = _exact_sums(returns, max_abs, rows, mv, mv_cents, start, end, candidates[:count])
    return smallest_sum(sums, k), True


@nb.njit(cache=True, nogil=True, inline="always")
def exact_tails(
    acc: FloatArray,
    returns: FloatArray,
    max_abs: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    mv_cents: IntArray,
    start: int,
    end: int,
    bound: float,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
) -> tuple[float, float]:  # pragma: no cover - compiled
    """The HVaR and SVaR tail sums of positions ``start:end``, exact (``acc``: zeros, one per
    scenario, used as scratch; ``bound``: the positions' term_bound)."""
    _accumulate_products(acc, returns, rows, mv, start, end)
    n = end - start
    band = n + (n + 3) * bound * _SUM_ERROR  # 2w, its error term doubled
    hvar, hvar_found = _exact_tail(
        acc[:hvar_count], 0, hvar_k, band, returns, max_abs, rows, mv, mv_cents, start, end
    )
    svar, svar_found = _exact_tail(
        acc[hvar_count:], hvar_count, svar_k, band, returns, max_abs, rows, mv, mv_cents, start, end
    )
    if hvar_found and svar_found:
        return hvar, svar
    acc[:] = 0.0
    _accumulate_rows(acc, returns, max_abs, rows, mv, mv_cents, start, end)
    return smallest_sum(acc[:hvar_count], hvar_k), smallest_sum(acc[hvar_count:], svar_k)


@nb.njit(cache=True, nogil=True, inline="always")
def _store_tails(
    acc: FloatArray, hvar_count: int, hvar_k: int, svar_k: int, out: FloatArray, p: int
) -> None:  # pragma: no cover - compiled
    out[p, 0] = smallest_sum(acc[:hvar_count], hvar_k)
    out[p, 1] = smallest_sum(acc[hvar_count:], svar_k)


@nb.njit(cache=True, nogil=True)
def scenario_pnl(
    returns: FloatArray, max_abs: FloatArray, rows: IntArray, mv: FloatArray, mv_cents: IntArray
) -> FloatArray:  # pragma: no cover - compiled
    """P&L of one portfolio in every scenario (HVaR columns then SVaR columns), in HKD."""
    acc = np.zeros(returns.shape[1])
    _accumulate_rows(acc, returns, max_abs, rows, mv, mv_cents, 0, rows.shape[0])
    return acc


@nb.njit(cache=True, nogil=True, inline="always")
def _sub_portfolio_tails(
    returns: FloatArray,
    max_abs: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    mv_cents: IntArray,
    offsets: IntArray,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    out: FloatArray,
    p: int,
) -> None:  # pragma: no cover - compiled
    start, end = offsets[p], offsets[p + 1]
    acc = np.zeros(returns.shape[1])
    bound = term_bound(max_abs, rows, mv, start, end)
    out[p, 0], out[p, 1] = exact_tails(
        acc, returns, max_abs, rows, mv, mv_cents, start, end, bound, hvar_count, hvar_k, svar_k
    )
    if out.shape[1] > 2:
        out[p, 2] = bound


@nb.njit(cache=True, nogil=True, parallel=True)
def tail_sums(
    returns: FloatArray,
    max_abs: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    mv_cents: IntArray,
    offsets: IntArray,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    out: FloatArray,
) -> None:  # pragma: no cover - compiled
    """For each sub-portfolio ``p`` (positions ``offsets[p]:offsets[p+1]``): the sums of its
    ``hvar_k`` worst HVaR and ``svar_k`` worst SVaR scenario P&Ls, into ``out[p, 0:2]``; and
    where ``out`` has a third column, the bound on its terms' sum, the sum of |mv| x max |r|
    (HKD), which the caller checks against MAX_ABS_TERM_HKD."""
    for p in prange(offsets.shape[0] - 1):
        _sub_portfolio_tails(
            returns, max_abs, rows, mv, mv_cents, offsets, hvar_count, hvar_k, svar_k, out, p
        )


@nb.njit(cache=True, nogil=True)
def serial_tail_sums(
    returns: FloatArray,
    max_abs: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    mv_cents: IntArray,
    offsets: IntArray,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    out: FloatArray,
) -> None:  # pragma: no cover - compiled
    """:func:`tail_sums` on the calling thread: for a few sub-portfolios, starting the thread
    pool costs more than the work (3 ms against 30 µs for one small portfolio on a busy machine)."""
    for p in range(offsets.shape[0] - 1):
        _sub_portfolio_tails(
            returns, max_abs, rows, mv, mv_cents, offsets, hvar_count, hvar_k, svar_k, out, p
        )


PARALLEL_FROM_SUB_PORTFOLIOS = 16


@nb.njit(cache=True, nogil=True, inline="always")
def _bare_sub_portfolio(
    returns: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    offsets: IntArray,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    out: FloatArray,
    p: int,
) -> None:  # pragma: no cover - compiled
    acc = np.zeros(returns.shape[1])
    _accumulate_plain(acc, returns, rows, mv, offsets[p], offsets[p + 1])
    _store_tails(acc, hvar_count, hvar_k, svar_k, out, p)


@nb.njit(cache=True, nogil=True, parallel=True)
def bare_tail_sums(
    returns: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    offsets: IntArray,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    out: FloatArray,
) -> None:  # pragma: no cover - compiled
    """The same gather-round-sum-tail, four rows per pass as the exact one, with plain float
    rounding and no tie check.

    Not exact; it exists as the benchmark's roofline, the speed of the arithmetic alone.
    """
    for p in prange(offsets.shape[0] - 1):
        _bare_sub_portfolio(returns, rows, mv, offsets, hvar_count, hvar_k, svar_k, out, p)


@nb.njit(cache=True, nogil=True)
def serial_bare_tail_sums(
    returns: FloatArray,
    rows: IntArray,
    mv: FloatArray,
    offsets: IntArray,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    out: FloatArray,
) -> None:  # pragma: no cover - compiled
    """:func:`bare_tail_sums` on the calling thread: the baseline for one portfolio (no thread
    pool to start, which makes it the faster of the two there)."""
    for p in range(offsets.shape[0] - 1):
        _bare_sub_portfolio(returns, rows, mv, offsets, hvar_count, hvar_k, svar_k, out, p)
