"""Every risk component of one portfolio in one compiled pass (float64 with error bounds).

``calculate_margin`` computes each component in exact decimals, position by position: the
reference, and most of a small portfolio's time. Here the same figures come out of one numba
call. Amounts stay whole cents in int64 (exact; the caller's guard keeps the sums in range); the
products with the RPF's decimal rates are taken in float64, each alongside its *magnitude*, the
same expression over absolute values. By the standard forward error bound, a float expression
of depth ``d`` over +, -, x, abs and max is within ``d x 2^-53 x magnitude`` (to first order) of
the exact value; the rounding below allows 8x that plus 20 levels. Each figure the guide rounds
off is rounded only when the whole interval ``value ± error`` rounds to the same integer; when
it does not (a value within about 1e-13 of a half, or too large to hold exactly), the portfolio
is flagged and the caller takes the exact decimal path. The result is therefore exactly the
decimal path's, which the property tests hold account by account.

Portfolio margin's tail sums come from the exact kernel (``kernel.exact_tails``); the
weighting, the floor and §3.2.7's summary are combined in int64 (:func:`summary`) under guards
that keep every operation below 2^63, or in Python integers outside (``figures.breakdown_of``).
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt
from numba import prange

from cpdesk.engine.margin.kernel import MAX_ABS_TERM_HKD, exact_tails, term_bound

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Columns of the per-code float table (NaN: the RPF gives none) and of the per-code links.
FLAT_RATE, CASH_DELTA, THRESHOLD, BUCKET_RATE, BETA, TICK_MULTIPLIER, SHORT_ADDON, LONG_ADDON = range(8)
TABLE_COLUMNS = 8
SCENARIO_ROW, LRA_GROUP = 0, 1  # -1: none

# The figures each portfolio gets (int64); OK is 0 where the exact path must decide.
(
    OK,
    MARKET_VALUE_HKD,
    CONTRACT_VALUE_HKD,
    LONG_CENTS,
    SHORT_CENTS,
    FLAT_RATE_HKD,
    LRA_INSTRUMENT_HKD,
    LRA_PORTFOLIO_HKD,
    STRUCTURED_PRODUCT_HKD,
    CORPORATE_ACTION_HKD,
    UNKNOWN,  # positions whose code the RPF does not name
    SUMMED,  # portfolio_figures: 1 where it also wrote the summary (summary)
) = range(12)
FIGURES = 12

# The constants of §3.2.7's summary as :func:`summary` reads them (int64s: figure_tables builds
# them per set of parameters, each under INPUT_BOUND).
(
    HVAR_FACTOR,
    SVAR_FACTOR,
    LOSS_DENOMINATOR,
    FLOOR_NUMERATOR,
    FLOOR_DENOMINATOR,  # of the floor rate, x 100 (the base is in cents)
    HOLIDAY_NUMERATOR,
    HOLIDAY_DENOMINATOR,
    MARGIN_CREDIT,
    CREDIT_RISK_ADDON,
    ADHOC_ADDON,
    ROUNDING,
) = range(11)
SUMMARY_TERMS = 11
SUMMARY_FIELDS = 20  # MarginBreakdown's fields, in its order
# Every int64 operation in summary stays under 2^63 when its inputs are under these bounds
# (checked in float64, whose relative error is far below the slack).
INPUT_BOUND = 2.0**58
PRODUCT_BOUND = 2.0**60

_UNIT = 2.0**-50  # 8 x the unit roundoff of float64
_EXACT_BELOW = 2.0**52  # a rounded figure must be a whole number float64 holds exactly
_SAFE_CENTS = 2.0**62  # int64 sums of cents below this cannot wrap


@nb.njit(cache=True, nogil=True)
def _rounded(value: float, magnitude: float, depth: int) -> tuple[int, bool]:  # pragma: no cover
    """round_off of a non-negative exact value that ``value`` approximates, and whether that is
    certain: ``value``'s error is within ``magnitude x depth x 2^-53`` (the +1 covers adding the
    half)."""
    if not magnitude < _EXACT_BELOW:  # also NaN
        return 0, False
    error = (magnitude + 1.0) * (depth + 20) * _UNIT
    low = np.floor(value - error + 0.5)
    return int(low), low == np.floor(value + error + 0.5)


@nb.njit(cache=True, nogil=True)
def _with_column(table: FloatArray, code: IntArray, column: int) -> IntArray:  # pragma: no cover
    """The positions whose code has a value in ``column`` of the table."""
    count = 0
    for c in code:
        if c >= 0 and not np.isnan(table[c, column]):
            count += 1
    found = np.empty(count, np.int64)
    count = 0
    for i in range(code.shape[0]):
        if code[i] >= 0 and not np.isnan(table[code[i], column]):
            found[count] = i
            count += 1
    return found


@nb.njit(cache=True, nogil=True)
def _round_cents(cents: np.int64) -> np.int64:  # pragma: no cover - compiled
    magnitude = (abs(cents) + 50) // 100
    return magnitude if cents >= 0 else -magnitude


@nb.njit(cache=True, nogil=True)
def netted(
    code: IntArray, quantity: IntArray, mv_cents: IntArray, cv_cents: IntArray, flat_group: IntArray
) -> tuple[IntArray, FloatArray, IntArray, IntArray, IntArray]:  # pragma: no cover - compiled
    """One portfolio's rows netted per code (the guide's netting, §4.6): codes ascending,
    quantities and amounts summed (the caller keeps the sums within int64), the quantity as
    float64 for the figures. Codes -1 (not in the RPF) net together, as they are all refused."""
    n = code.shape[0]
    order = np.arange(n)
    for i in range(1, n):  # insertion sort: a portfolio's few rows, mostly distinct
        key = order[i]
        j = i - 1
        while j >= 0 and code[order[j]] > code[key]:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = key
    net_code = np.empty(n, np.int64)
    net_quantity = np.zeros(n, np.int64)
    net_mv = np.zeros(n, np.int64)
    net_cv = np.zeros(n, np.int64)
    net_group = np.empty(n if flat_group.shape[0] else 0, np.int64)
    m = -1
    for row in order:
        if m < 0 or net_code[m] != code[row]:
            m += 1
            net_code[m] = code[row]
            if flat_group.shape[0]:
                net_group[m] = flat_group[row]  # a code's group is the code's: any row will do
        net_quantity[m] += quantity[row]
        net_mv[m] += mv_cents[row]
        net_cv[m] += cv_cents[row]
    m += 1
    return (
        net_code[:m],
        net_quantity[:m].astype(np.float64),
        net_mv[:m],
        net_cv[:m],
        net_group[:m] if flat_group.shape[0] else net_group,
    )


@nb.njit(cache=True, nogil=True, parallel=True)
def accounts_figures(
    returns: FloatArray,
    max_abs: FloatArray,
    table: FloatArray,
    links: IntArray,
    offsets: IntArray,
    code: IntArray,
    quantity: IntArray,
    mv_cents: IntArray,
    cv_cents: IntArray,
    flat_group: IntArray,
    ipo: IntArray,
    hedge: FloatArray,
    multiplier: float,
    minimum_tick: float,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    product_scale: float,
) -> tuple[IntArray, FloatArray]:  # pragma: no cover - compiled
    """:func:`portfolio_figures` of every account ``a`` (rows ``offsets[a]:offsets[a+1]``, not
    yet netted: :func:`netted` nets them), accounts in parallel: figures (accounts x FIGURES) and
    tails (accounts x sub-portfolios x 3). ``flat_group``: each row's group, or empty. An account
    whose absolute quantities or amounts could add up past int64 keeps OK 0.

    In two passes: every account's components first, then every account's tails. Streaming the
    scenario rows evicts the per-code tables from cache; between two accounts' tails their
    lookups were cache misses (0.01 s in 0.19 for 10,000 accounts)."""
    accounts = offsets.shape[0] - 1
    figures = np.zeros((accounts, FIGURES), np.int64)
    tails = np.zeros((accounts, ipo.shape[0] + 1, 3))
    grouped = flat_group.shape[0] > 0
    # Per account: its scenario rows and market values by sub-portfolio, at its own offsets
    # (netting only shortens it), and where each sub-portfolio starts; -1: not margined here.
    rows = np.empty(code.shape[0], np.int64)
    cents = np.empty(code.shape[0], np.int64)
    starts = np.full((accounts, ipo.shape[0] + 2), -1, np.int64)
    for a in prange(accounts):
        start, end = offsets[a], offsets[a + 1]
        quantities, markets, contracts = 0.0, 0.0, 0.0
        for i in range(start, end):
            quantities += abs(float(quantity[i]))
            markets += abs(float(mv_cents[i]))
            contracts += abs(float(cv_cents[i]))
        if max(quantities, markets, contracts) >= _SAFE_CENTS:
            continue
        net_code, net_quantity, net_mv, net_cv, net_group = netted(
            code[start:end],
            quantity[start:end],
            mv_cents[start:end],
            cv_cents[start:end],
            flat_group[start:end] if grouped else flat_group,
        )
        _components(
            table,
            links,
            net_code,
            net_quantity,
            net_mv,
            net_cv,
            net_group,
            ipo,
            hedge,
            multiplier,
            minimum_tick,
            product_scale,
            figures[a],
            rows[start:end],
            cents[start:end],
            starts[a],
        )
    for a in prange(accounts):
        if starts[a, 0] >= 0:
            start, end = offsets[a], offsets[a + 1]
            _tails(
                returns,
                max_abs,
                rows[start:end],
                cents[start:end],
                starts[a],
                hvar_count,
                hvar_k,
                svar_k,
                figures[a],
                tails[a],
            )
    return figures, tails


@nb.njit(cache=True, nogil=True)
def portfolio_figures(
    returns: FloatArray,
    max_abs: FloatArray,
    table: FloatArray,
    links: IntArray,
    code: IntArray,
    quantity: FloatArray,
    mv_cents: IntArray,
    cv_cents: IntArray,
    flat_group: IntArray,
    ipo: IntArray,
    hedge: FloatArray,
    multiplier: float,
    minimum_tick: float,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    product_scale: float,
    terms: IntArray,
    figures: IntArray,
    tails: FloatArray,
    breakdown: IntArray,
) -> None:  # pragma: no cover - compiled
    """One netted portfolio (``code``: each position's index into ``table``, -1 not in the
    RPF). ``flat_group``: each position's flat rate group, or empty for one group. ``ipo``: the
    IPO codes' indices in code order. ``hedge``: (has a FieldType 4 row, threshold, bucket rate).
    ``product_scale``: 10^d where every quantity is whole and every tick size multiplier x the
    minimum tick has at most d decimal places, or 0 where that is not known.

    Fills ``figures`` (FIGURES zeros; OK stays 0 where the exact path must decide) and, per
    sub-portfolio (non-IPO, then each IPO code), ``tails`` (zeros, one row each): its HVaR and
    SVaR tail sums (HKD, whole) and whether it has positions. With ``terms`` (SUMMARY_TERMS, or
    empty for none), also the summary into ``breakdown`` (SUMMARY_FIELDS), SUMMED set where it
    holds."""
    n = code.shape[0]
    rows = np.empty(n, np.int64)
    cents = np.empty(n, np.int64)
    starts = np.full(ipo.shape[0] + 2, -1, np.int64)
    _components(
        table,
        links,
        code,
        quantity,
        mv_cents,
        cv_cents,
        flat_group,
        ipo,
        hedge,
        multiplier,
        minimum_tick,
        product_scale,
        figures,
        rows,
        cents,
        starts,
    )
    if starts[0] >= 0:
        _tails(returns, max_abs, rows, cents, starts, hvar_count, hvar_k, svar_k, figures, tails)
    if terms.shape[0] and figures[OK]:
        figures[SUMMED] = summary(figures, tails, terms, breakdown)


@nb.njit(cache=True, nogil=True)
def summaries(figures: IntArray, tails: FloatArray, terms: IntArray) -> tuple[IntArray, BoolArray]:
    """:func:`summary` of every account (figures and tails as accounts_figures gives them)."""
    count = figures.shape[0]
    rows = np.zeros((count, SUMMARY_FIELDS), np.int64)
    held = np.zeros(count, np.bool_)
    for a in range(count):
        held[a] = figures[a, OK] != 0 and summary(figures[a], tails[a], terms, rows[a])
    return rows, held


@nb.njit(cache=True, nogil=True)
def summary(figures: IntArray, tails: FloatArray, terms: IntArray, out: IntArray) -> bool:
    """§3.2.7's summary of one portfolio from its figures (OK set) and sub-portfolio tails, as
    figures.breakdown_of works it out in Python integers: the expected shortfalls weighted, the
    floor, the holiday add-on, the aggregate rounded up, MTM and the margin credit, into ``out``
    (MarginBreakdown's fields in order; no position limit here). False, and ``out`` not to be
    read, where an input is past a guard that keeps every int64 below 2^63: then breakdown_of."""
    hvar_factor, svar_factor = terms[HVAR_FACTOR], terms[SVAR_FACTOR]
    weighted = 0.0
    loss = np.int64(0)
    for s in range(tails.shape[0]):
        if tails[s, 2] != 0.0:
            hvar, svar = min(tails[s, 0], 0.0), min(tails[s, 1], 0.0)
            weighted += abs(hvar) * hvar_factor + abs(svar) * svar_factor
            if weighted >= PRODUCT_BOUND:
                return False
            loss += np.int64(hvar) * hvar_factor + np.int64(svar) * svar_factor  # whole, < 2^53
    for f in range(FLAT_RATE_HKD, CORPORATE_ACTION_HKD + 1):
        if abs(float(figures[f])) >= INPUT_BOUND:
            return False
    market, contract = figures[MARKET_VALUE_HKD], figures[CONTRACT_VALUE_HKD]
    if abs(float(market)) >= INPUT_BOUND or abs(float(contract)) >= INPUT_BOUND:
        return False
    base = max(figures[LONG_CENTS], figures[SHORT_CENTS])
    if abs(float(base)) * float(terms[FLOOR_NUMERATOR]) >= PRODUCT_BOUND:
        return False
    floor = _round_ratio(base * terms[FLOOR_NUMERATOR], terms[FLOOR_DENOMINATOR])
    # round_off is monotonic: the larger of the two rounded is the larger one rounded (margin_of).
    pm = max(_round_ratio(abs(loss), terms[LOSS_DENOMINATOR]), floor)
    flat = figures[FLAT_RATE_HKD]
    if abs(float(pm + flat)) * float(terms[HOLIDAY_NUMERATOR]) >= PRODUCT_BOUND:
        return False
    holiday = _round_ratio((pm + flat) * terms[HOLIDAY_NUMERATOR], terms[HOLIDAY_DENOMINATOR])
    out[0] = pm
    before_holiday = pm
    for f in range(FLAT_RATE_HKD, CORPORATE_ACTION_HKD + 1):
        out[1 + f - FLAT_RATE_HKD] = figures[f]
        before_holiday += figures[f]
    aggregated = before_holiday + holiday
    step = terms[ROUNDING]
    rounded = -((-aggregated) // step) * step
    mtm = market - contract
    favourable, requirement = max(mtm, 0), max(-mtm, 0)
    net_margin = max(rounded - favourable, 0)
    after_credit = max(net_margin - terms[MARGIN_CREDIT], 0)
    out[6] = holiday
    out[7] = aggregated
    out[8] = rounded
    out[9] = mtm
    out[10] = favourable
    out[11] = requirement
    out[12] = net_margin
    out[13] = after_credit
    out[14] = 0  # the position limit add-on: no position limit here
    out[15] = after_credit + requirement + terms[CREDIT_RISK_ADDON] + terms[ADHOC_ADDON]
    out[16] = terms[CREDIT_RISK_ADDON]
    out[17] = terms[ADHOC_ADDON]
    out[18] = terms[MARGIN_CREDIT]
    out[19] = floor
    return True


@nb.njit(cache=True, nogil=True, inline="always")
def _round_ratio(numerator: np.int64, denominator: np.int64) -> np.int64:  # pragma: no cover
    """numbers.round_ratio (denominator > 0; |numerator| < 2^62)."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude


@nb.njit(cache=True, nogil=True)
def _components(
    table: FloatArray,
    links: IntArray,
    code: IntArray,
    quantity: FloatArray,
    mv_cents: IntArray,
    cv_cents: IntArray,
    flat_group: IntArray,
    ipo: IntArray,
    hedge: FloatArray,
    multiplier: float,
    minimum_tick: float,
    product_scale: float,
    figures: IntArray,
    rows: IntArray,
    cents: IntArray,
    starts: IntArray,
) -> None:  # pragma: no cover - compiled
    """:func:`portfolio_figures` but the tails: ``figures`` (OK as the components allow) and, for
    :func:`_tails`, the scenario rows and market values of the positions with scenarios by
    sub-portfolio into ``rows`` and ``cents``, sub-portfolio ``s`` at ``starts[s]:starts[s+1]``
    (``starts`` left -1 where the sizes are past what the pass takes)."""
    n = code.shape[0]
    total = 0.0
    for i in range(n):
        total += abs(float(mv_cents[i])) + abs(float(cv_cents[i]))
    if total >= _SAFE_CENTS:
        return

    # MTM (footnote 42: each position rounded) and the floor base over FieldType 1/2 positions.
    market = np.int64(0)
    contract = np.int64(0)
    long_cents = np.int64(0)
    short_cents = np.int64(0)
    sub = np.full(n, -1, np.int64)
    counts = np.zeros(ipo.shape[0] + 1, np.int64)
    unknown = 0
    for i in range(n):
        market += _round_cents(mv_cents[i])
        contract += _round_cents(cv_cents[i])
        c = code[i]
        unknown += c < 0
        if c < 0 or links[c, SCENARIO_ROW] < 0:
            continue
        # ipo_code_of: the instrument itself if it is an IPO code, else its FieldType 5 underlying.
        s = 0
        for k in range(ipo.shape[0]):
            if ipo[k] == c:
                s = k + 1
        if s == 0:
            for k in range(ipo.shape[0]):
                if ipo[k] == links[c, LRA_GROUP]:
                    s = k + 1
        sub[i] = s
        counts[s] += 1
        if mv_cents[i] > 0:
            long_cents += mv_cents[i]
        else:
            short_cents -= mv_cents[i]
    figures[MARKET_VALUE_HKD] = market
    figures[UNKNOWN] = unknown
    figures[CONTRACT_VALUE_HKD] = contract
    figures[LONG_CENTS] = long_cents
    figures[SHORT_CENTS] = short_cents

    starts[0] = 0
    for s in range(ipo.shape[0] + 1):
        starts[s + 1] = starts[s] + counts[s]
    fill = starts[:-1].copy()
    for i in range(n):
        if sub[i] >= 0:
            rows[fill[sub[i]]] = links[code[i], SCENARIO_ROW]
            cents[fill[sub[i]]] = mv_cents[i]
            fill[sub[i]] += 1

    flat, flat_ok = _flat_rate(table, code, quantity, mv_cents, flat_group, multiplier)
    instrument, portfolio, lra_ok = _liquidation(table, links, code, quantity, hedge)
    products, products_ok = _structured_products(table, code, quantity, minimum_tick, product_scale)
    actions, actions_ok = _corporate_actions(table, code, mv_cents, cv_cents)
    figures[FLAT_RATE_HKD] = flat
    figures[LRA_INSTRUMENT_HKD] = instrument
    figures[LRA_PORTFOLIO_HKD] = portfolio
    figures[STRUCTURED_PRODUCT_HKD] = products
    figures[CORPORATE_ACTION_HKD] = actions
    figures[OK] = 1 if flat_ok and lra_ok and products_ok and actions_ok else 0


@nb.njit(cache=True, nogil=True)
def _tails(
    returns: FloatArray,
    max_abs: FloatArray,
    rows: IntArray,
    cents: IntArray,
    starts: IntArray,
    hvar_count: int,
    hvar_k: int,
    svar_k: int,
    figures: IntArray,
    tails: FloatArray,
) -> None:  # pragma: no cover - compiled
    """Portfolio margin's tail sums per sub-portfolio through the exact kernel; OK back to 0
    where a sub-portfolio's terms could add up past what float64 sums exactly."""
    mv = cents[: starts[-1]] / 100.0
    acc = np.empty(returns.shape[1])
    for s in range(starts.shape[0] - 1):
        if starts[s + 1] == starts[s]:
            continue
        bound = term_bound(max_abs, rows, mv, starts[s], starts[s + 1])
        if bound >= MAX_ABS_TERM_HKD:
            figures[OK] = 0  # not exact: calculate_margin refuses it, saying why
            return
        acc[:] = 0.0
        tails[s, 0], tails[s, 1] = exact_tails(
            acc,
            returns,
            max_abs,
            rows,
            mv,
            cents,
            starts[s],
            starts[s + 1],
            bound,
            hvar_count,
            hvar_k,
            svar_k,
        )
        tails[s, 2] = 1.0


@nb.njit(cache=True, nogil=True)
def _flat_rate(
    table: FloatArray,
    code: IntArray,
    quantity: FloatArray,
    mv_cents: IntArray,
    flat_group: IntArray,
    multiplier: float,
) -> tuple[int, bool]:  # pragma: no cover - compiled
    """§3.2.4.2 (components.flat_rate_margin): per group the side with the larger gross MV (on
    a tie the larger margin), |MV| x rate summed over it; the groups added, x the multiplier."""
    rated = _with_column(table, code, FLAT_RATE)
    if rated.shape[0] == 0:
        return 0, True
    keys = np.zeros(rated.shape[0], np.int64)
    order = np.arange(rated.shape[0])  # one group: any order
    if flat_group.shape[0]:
        keys = flat_group[rated]
        order = np.argsort(keys)  # any order that brings equal keys together
    total = 0.0
    magnitude = 0.0
    j = 0
    while j < order.shape[0]:
        key = keys[order[j]]
        long_mv = np.int64(0)
        short_mv = np.int64(0)
        long_margin = 0.0
        short_margin = 0.0
        while j < order.shape[0] and keys[order[j]] == key:
            i = rated[order[j]]
            size = abs(mv_cents[i])
            margin = float(size) * table[code[i], FLAT_RATE]
            if quantity[i] >= 0:
                long_mv += size
                long_margin += margin
            else:
                short_mv += size
                short_margin += margin
            j += 1
        if long_mv != short_mv:
            total += long_margin if long_mv > short_mv else short_margin
        else:  # the margins decide; within error of each other, either is as near the truth
            total += long_margin if long_margin >= short_margin else short_margin
            magnitude += abs(long_margin - short_margin)
        magnitude += long_margin + short_margin
    scale = abs(multiplier) / 100.0  # cents to HKD
    return _rounded(total * multiplier / 100.0, magnitude * scale, rated.shape[0])


@nb.njit(cache=True, nogil=True)
def _liquidation(
    table: FloatArray, links: IntArray, code: IntArray, quantity: FloatArray, hedge: FloatArray
) -> tuple[int, int, bool]:  # pragma: no cover - compiled
    """§3.2.4.3 (components.liquidation_risk_addon): per LRA group the delta-equivalent MV,
    its excess over the threshold x bucket rate; and the beta hedge total's excess over the
    hedge's threshold x its bucket rate."""
    grouped = _with_column(table, code, CASH_DELTA)  # the RPF gives a cash delta with each LRA group
    if grouped.shape[0] == 0:
        return 0, 0, True
    if hedge[0] == 0.0:  # no FieldType 4 row for the hedge: calculate_margin says so
        return 0, 0, False
    keys = np.empty(grouped.shape[0], np.int64)
    for n in range(grouped.shape[0]):
        keys[n] = links[code[grouped[n]], LRA_GROUP]
        if keys[n] < 0:  # never from FigureTables; should it happen, the decimal path decides
            return 0, 0, False
    order = np.argsort(keys)  # any order that brings equal keys together
    instrument = 0.0
    instrument_magnitude = 0.0
    beta_total = 0.0
    beta_magnitude = 0.0
    j = 0
    while j < order.shape[0]:
        group = keys[order[j]]
        delta_mv = 0.0
        delta_magnitude = 0.0
        while j < order.shape[0] and keys[order[j]] == group:
            i = grouped[order[j]]
            term = quantity[i] * table[code[i], CASH_DELTA]
            delta_mv += term
            delta_magnitude += abs(term)
            j += 1
        threshold, rate, beta = table[group, THRESHOLD], table[group, BUCKET_RATE], table[group, BETA]
        excess = abs(delta_mv) - threshold
        if excess > 0:
            instrument += excess * rate
        instrument_magnitude += (delta_magnitude + abs(threshold)) * abs(rate)
        beta_total += delta_mv * beta  # sum of quantity x (cash delta x beta) over the group
        beta_magnitude += delta_magnitude * abs(beta)
    depth = grouped.shape[0]
    lra_instrument, instrument_ok = _rounded(instrument, instrument_magnitude, depth)
    excess = abs(beta_total) - hedge[1]
    portfolio = excess * hedge[2] if excess > 0 else 0.0
    lra_portfolio, portfolio_ok = _rounded(portfolio, (beta_magnitude + abs(hedge[1])) * abs(hedge[2]), depth)
    return lra_instrument, lra_portfolio, instrument_ok and portfolio_ok


@nb.njit(cache=True, nogil=True)
def _structured_products(
    table: FloatArray, code: IntArray, quantity: FloatArray, minimum_tick: float, scale: float
) -> tuple[int, bool]:  # pragma: no cover - compiled
    """§3.2.4.4: long FieldType 6 positions, quantity x tick size multiplier x minimum tick.

    The sum is often a half exactly (one unit x 50 x 0.01), which no error bound can round. With
    ``scale`` (10^d) it is a whole number of 10^-d: the nearest such number, when the error
    bound leaves no other, is the exact sum, rounded off in integers."""
    total = 0.0
    count = 0
    for i in range(code.shape[0]):
        if code[i] >= 0 and quantity[i] > 0 and not np.isnan(table[code[i], TICK_MULTIPLIER]):
            total += quantity[i] * table[code[i], TICK_MULTIPLIER] * minimum_tick
            count += 1
    rounded, certain = _rounded(total, abs(total), count)
    if certain or scale == 0.0:
        return rounded, certain
    scaled = total * scale
    units = np.rint(scaled)
    error = (abs(total) + 1.0) * (count + 20) * _UNIT * scale
    if not (abs(units) < _EXACT_BELOW and abs(scaled - units) + error < 0.5):
        return 0, False
    whole, step = np.int64(abs(units)), np.int64(scale)
    magnitude = (whole + step // 2) // step  # halves away from zero
    return int(magnitude if units >= 0 else -magnitude), True


@nb.njit(cache=True, nogil=True)
def _corporate_actions(
    table: FloatArray, code: IntArray, mv_cents: IntArray, cv_cents: IntArray
) -> tuple[int, bool]:  # pragma: no cover - compiled
    """§3.2.4.5: per entitlement position |net MV x rate| rounded off (footnote 37), summed."""
    total = 0
    ok = True
    for i in range(code.shape[0]):
        if code[i] < 0 or np.isnan(table[code[i], SHORT_ADDON]):
            continue
        net = mv_cents[i] - cv_cents[i]
        rate = table[code[i], SHORT_ADDON] if net < 0 else table[code[i], LONG_ADDON]
        term = abs(float(net)) * abs(rate) / 100.0
        rounded, certain = _rounded(term, term, 2)
        total += rounded
        ok = ok and certain
    return total, ok
