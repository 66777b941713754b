"""RPF01 files loaded once per process and margined many times (the Excel add-in's CPD_RPF, and
any front that margins portfolio after portfolio).

A loaded file is known by its path, size, modification time and ``lenient``: a changed file loads
again. Positions and parameters come as rows and names (a worksheet range, a form), checked by the
same rules as ``cpdesk margin``'s files and options.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cpdesk.connectors.errors import InputRejected
from cpdesk.engine.csvtext import header_key
from cpdesk.engine.margin import MarginParameters, MarginResult, calculate_margin
from cpdesk.engine.margin.attribution import MarginAttribution, attribute_margin
from cpdesk.engine.margin.calculator import MarginBreakdown
from cpdesk.engine.margin.components import PositionLimitInputs
from cpdesk.engine.margin.figures import margin_breakdown
from cpdesk.engine.margin.positions import (
    ACCOUNT_COLUMNS,
    Position,
    parse_flat_groups,
    parse_position_rows,
    scenario_sets,
)
from cpdesk.engine.problems import InputError, Problem, errors_in
from cpdesk.engine.rpf import RiskParameterFile
from cpdesk.engine.rpf.cache import load_rpf

MAX_LOADED = 8  # RPF01 files kept loaded at once (a full one maps ~240 MB of scenarios)


@dataclass(frozen=True, slots=True)
class LoadedRpf:
    path: Path
    rpf: RiskParameterFile
    warnings: tuple[Problem, ...]

    @property
    def handle(self) -> str:
        """``RPF01 2026-12-02 · 15,000 instr. · 1000/1018``: what a cell shows for it."""
        header = self.rpf.header
        return (
            f"RPF01 {header.valuation_date:%Y-%m-%d} · {len(self.rpf.scenarios.instrument_ids):,} instr. · "
            f"{self.rpf.hvar_count}/{self.rpf.svar_count}"
        )


class RpfLibrary:
    """Loaded RPF01 files by path; thread-safe; the least recently used goes past ``MAX_LOADED``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, int, int, bool], LoadedRpf] = {}

    def load(self, path: Path, lenient: bool = False) -> LoadedRpf:
        """Raises InputRejected naming the file and its first errors."""
        try:
            info = path.stat()
        except OSError as exc:
            raise InputRejected(f"{path}: {exc.strerror or exc}") from None
        key = (str(path.resolve()), info.st_size, info.st_mtime_ns, lenient)
        with self._lock:
            found = self._loaded.pop(key, None)
            if found is not None:
                self._loaded[key] = found  # most recently used last
                return found
        parsed = load_rpf(path, lenient=lenient)
        errors = errors_in(parsed.problems)
        if parsed.value is None or errors:
            first = "; ".join(str(p) for p in errors[:3]) or f"{path}: not an RPF01"
            raise InputRejected(first)
        loaded = LoadedRpf(path, parsed.value, tuple(parsed.problems))
        with self._lock:
            for stale in [k for k in self._loaded if k[0] == key[0]]:
                del self._loaded[stale]  # an older version of the same file
            self._loaded[key] = loaded
            while len(self._loaded) > MAX_LOADED:
                del self._loaded[next(iter(self._loaded))]
        return loaded

    def find(self, handle: str) -> LoadedRpf | None:
        """The loaded file a handle text names (the newest, when several share it)."""
        with self._lock:
            matches = [loaded for loaded in self._loaded.values() if loaded.handle == handle]
        return matches[-1] if matches else None


def margin_rows(
    loaded: LoadedRpf, rows: Sequence[Sequence[str]], parameters: MarginParameters, source: str
) -> MarginResult:
    """Margin positions given as rows of text (a header row first). Raises InputError with the
    problems, located by row (1 = the header) and column name."""
    return calculate_margin(loaded.rpf, _position_rows(rows, source), parameters)


def breakdown_rows(
    loaded: LoadedRpf, rows: Sequence[Sequence[str]], parameters: MarginParameters, source: str
) -> MarginBreakdown:
    """The breakdown alone (``margin_breakdown``, without the per-position detail) of positions
    given as rows of text. Raises InputError as :func:`margin_rows` does."""
    return margin_breakdown(loaded.rpf, _position_rows(rows, source), parameters).breakdown


def _position_rows(rows: Sequence[Sequence[str]], source: str) -> tuple[Position, ...]:
    parsed = parse_position_rows(rows, source)
    errors = errors_in(parsed.problems)
    if errors:
        raise InputError(errors)
    return parsed.value


def account_column(header: Sequence[str]) -> int | None:
    """The index of the header's account column (Account, AccountID, Client Account, ...), if any."""
    keys = [header_key(name) for name in header]
    return next((n for n, key in enumerate(keys) if key in ACCOUNT_COLUMNS), None)


def account_margin_rows(
    loaded: LoadedRpf, rows: Sequence[Sequence[str]], parameters: MarginParameters, source: str
) -> list[tuple[str, MarginBreakdown | InputError]]:
    """Each account's breakdown (in the order accounts first appear; rows of text, a header row
    with an account column first), or the InputError of that account alone, its problems located
    by the row of ``rows`` (1 = the header)."""
    header = list(rows[0])
    column = account_column(header)
    if column is None:
        raise InputError([Problem(source, 1, None, "no Account column")])
    groups: dict[str, list[int]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in row):
            groups.setdefault(row[column].strip() if column < len(row) else "", []).append(number)
    out: list[tuple[str, MarginBreakdown | InputError]] = []
    for account, numbers in groups.items():
        if not account:
            out.append((account, InputError([Problem(source, numbers[0], "Account", "account is empty")])))
            continue
        try:
            positions = _position_rows([header, *(rows[n - 1] for n in numbers)], source)
            breakdown = margin_breakdown(loaded.rpf, positions, parameters).breakdown
        except InputError as exc:
            located = [
                replace(p, line=numbers[p.line - 2]) if p.line and p.line > 1 else p for p in exc.problems
            ]
            out.append((account, InputError(located)))
            continue
        out.append((account, breakdown))
    return out


def explain_rows(
    loaded: LoadedRpf, rows: Sequence[Sequence[str]], parameters: MarginParameters, source: str
) -> MarginAttribution:
    """:func:`attribute_margin` of positions given as rows of text. Raises InputError."""
    return attribute_margin(loaded.rpf, _position_rows(rows, source), parameters)


def what_if_rows(
    loaded: LoadedRpf,
    rows: Sequence[Sequence[str]],
    trades: Sequence[Sequence[str]],
    parameters: MarginParameters,
) -> tuple[MarginBreakdown, tuple[tuple[str, MarginBreakdown], ...]]:
    """The portfolio's breakdown, and with each set of what-if trades (a ``Scenario`` column names
    the sets; rows of text with a header row first). Raises InputError with the problems."""
    base = parse_position_rows(rows, "positions")
    sets = scenario_sets(trades, "trades")
    errors = errors_in((*base.problems, *sets.problems))
    if errors:
        raise InputError(errors)
    before = margin_breakdown(loaded.rpf, base.value, parameters).breakdown
    after = tuple(
        (name, margin_breakdown(loaded.rpf, (*base.value, *extra), parameters).breakdown)
        for name, extra in sets.value
    )
    return before, after


_DECIMALS = {
    "multiplier": "flat_rate_multiplier",
    "floor_rate": "floor_rate",
    "margin_credit": "margin_credit_hkd",
    "credit_risk_addon": "credit_risk_addon_hkd",
    "adhoc_addon": "adhoc_addon_hkd",
}
_LIMIT = ("alc", "alc_multiplier", "alc_cap", "pla_rate")
PARAMETER_NAMES = (*_DECIMALS, "ipo", "flat_groups", "hedge_instrument", "holiday", *_LIMIT)
MAX_AMOUNT_HKD = Decimal(10) ** 14  # above any CP's liquid capital or add-on: a typo, not a figure
# The range each numeric parameter may take, for every front (`cpdesk margin`'s options, the
# add-in's parameters range, a batch's per-account file): a multiplier of 1e6 or a floor rate of
# 50 is a slip of the keyboard that would otherwise print a plausible-looking margin.
PARAMETER_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "multiplier": (Decimal(0), Decimal(100)),
    "floor_rate": (Decimal(0), Decimal(1)),
    "margin_credit": (Decimal(0), MAX_AMOUNT_HKD),
    "credit_risk_addon": (Decimal(0), MAX_AMOUNT_HKD),
    "adhoc_addon": (Decimal(0), MAX_AMOUNT_HKD),
    "alc": (Decimal(0), MAX_AMOUNT_HKD),
    "alc_multiplier": (Decimal(0), Decimal(1000)),
    "alc_cap": (Decimal(0), MAX_AMOUNT_HKD),
    "pla_rate": (Decimal(0), Decimal(10)),
}


def parameters_from(named: Mapping[str, str], base: MarginParameters | None = None) -> MarginParameters:
    """``cpdesk margin``'s options by name (``multiplier``, ``floor_rate``, ``ipo``, ``flat_groups``
    (a file's path), ``holiday``,
    ``margin_credit``, ``alc``, ``alc_multiplier``, ``alc_cap``, ``pla_rate``, ``credit_risk_addon``,
    ``adhoc_addon``, ``hedge_instrument``) over ``base`` (default: the defaults); names case- and
    space-insensitive. Raises InputRejected naming the parameter and why."""
    values = {_name(k): v.strip() for k, v in named.items() if v.strip()}
    unknown = sorted(set(values) - set(PARAMETER_NAMES))
    if unknown:
        raise InputRejected(f"parameters: unknown {', '.join(unknown)} (known: {', '.join(PARAMETER_NAMES)})")
    fields: dict[str, object] = {
        field: _amount(name, values[name]) for name, field in _DECIMALS.items() if name in values
    }
    if "ipo" in values:
        fields["ipo_codes"] = frozenset(c.strip() for c in values["ipo"].split(",") if c.strip())
    if "flat_groups" in values:
        groups = parse_flat_groups(Path(values["flat_groups"]).expanduser())
        if groups.errors:
            raise InputRejected(f"parameters: flat_groups: {groups.errors[0]}")
        fields["flat_groups"] = groups.value
    if "hedge_instrument" in values:
        fields["hedge_instrument"] = values["hedge_instrument"]
    if "holiday" in values:
        fields["holiday"] = _flag(values["holiday"])
    given = [name for name in _LIMIT if name in values]
    if given:
        missing = [name for name in ("alc", "alc_multiplier", "pla_rate") if name not in values]
        if missing:
            raise InputRejected(f"parameters: {', '.join(given)} given without {', '.join(missing)}")
        cap = _amount("alc_cap", values["alc_cap"]) if "alc_cap" in values else None
        fields["position_limit"] = PositionLimitInputs(
            _amount("alc", values["alc"]),
            _amount("alc_multiplier", values["alc_multiplier"]),
            cap,
            _amount("pla_rate", values["pla_rate"]),
        )
    return replace(base or MarginParameters(), **fields)  # type: ignore[arg-type]


def _name(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def _amount(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").removesuffix("%").strip())
    except InvalidOperation:
        raise InputRejected(f"parameters: {name} {text!r} is not a number") from None
    if text.strip().endswith("%"):
        value /= 100
    low, high = PARAMETER_BOUNDS[name]
    if not value.is_finite() or not low <= value <= high:
        raise InputRejected(f"parameters: {name} {text!r} must be from {low:,} to {high:,}")
    return value


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "y", "1"):
        return True
    if lowered in ("false", "no", "n", "0"):
        return False
    raise InputRejected(f"parameters: holiday {text!r} is not yes or no")
