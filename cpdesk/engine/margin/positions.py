"""Marginable positions (guide §3.1.2, the fields of RMAMP01) and flat-rate sub-margin groups.

A position is an instrument code, a quantity (negative = short), and its contract value and
market value in HKD. Amounts carry at most two decimal places (cents), as HKSCC reports them;
the P&L kernel relies on it for exact rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from cpdesk.engine.csvtext import header_key, read_csv_file
from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.problems import Parsed, Problem, ProblemCode, Severity, errors_in
from cpdesk.engine.sources import Source

AMOUNT_DECIMALS = 2
# Exact rounding holds for |MV x return| < 10^14 HKD with |return| < 10^5 (portfolio.py); an amount
# of a trillion HKD on one line is no real position, and beyond it cpdesk refuses rather than guess.
MAX_AMOUNT_HKD = Decimal(10) ** 12
MAX_QUANTITY = Decimal(10) ** 15
ACCOUNT_COLUMNS = frozenset({"account", "accountid", "accountno", "accountnumber", "clientaccount"})


@dataclass(frozen=True, slots=True)
class Position:
    """One marginable position. Amounts are HKD with at most two decimal places."""

    instrument_id: str
    quantity: Decimal
    contract_value_hkd: Decimal
    market_value_hkd: Decimal
    market_value_cents: int = field(init=False, repr=False, compare=False)
    contract_value_cents: int = field(init=False, repr=False, compare=False)
    # The nearest float to the quantity, for the compiled breakdown (figures_kernel), which
    # bounds its error; taken once here rather than on every calculation of the position.
    quantity_float: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        market, contract = whole_cents(self.market_value_hkd), whole_cents(self.contract_value_hkd)
        if market is None:
            raise ValueError(
                f"{self.instrument_id}: market_value {self.market_value_hkd} is not a whole number of cents"
            )
        if contract is None:
            amount = self.contract_value_hkd
            raise ValueError(f"{self.instrument_id}: contract_value {amount} is not a whole number of cents")
        object.__setattr__(self, "market_value_cents", market)
        object.__setattr__(self, "contract_value_cents", contract)
        object.__setattr__(self, "quantity_float", float(self.quantity))

    @property
    def is_long(self) -> bool:
        """The guide treats quantity >= 0 as long (the flat rate tables' "≥ 0")."""
        return self.quantity >= 0


def net_by_instrument(positions: Sequence[Position]) -> tuple[Position, ...]:
    """One position per instrument, in the order each first appears: quantities, contract values
    and market values summed (the guide's cross-day netting, §4.6). Several rows of one instrument
    are one position for every component; counted row by row, a long and a short row of the same
    stock both went into the portfolio margin's floor."""
    if len({p.instrument_id for p in positions}) == len(positions):
        return tuple(positions)
    netted: dict[str, list[Decimal]] = {}
    for p in positions:
        sums = netted.setdefault(p.instrument_id, [Decimal(0), Decimal(0), Decimal(0)])
        sums[0] += p.quantity
        sums[1] += p.contract_value_hkd
        sums[2] += p.market_value_hkd
    return tuple(Position(code, q, cv, mv) for code, (q, cv, mv) in netted.items())


def whole_cents(amount: Decimal) -> int | None:
    """The amount in cents, or None when it has a fraction of a cent (or is not finite)."""
    try:
        scaled = amount.scaleb(AMOUNT_DECIMALS)
        whole = int(scaled)
    except (OverflowError, ValueError):  # infinity, NaN
        return None
    return whole if whole == scaled else None


def position(
    instrument_id: str, quantity: object, contract_value_hkd: object, market_value_hkd: object
) -> Position:
    """Convenience constructor from numbers or strings (tests, Excel, the command line)."""
    return Position(
        str(instrument_id).strip(),
        Decimal(str(quantity)),
        Decimal(str(contract_value_hkd)),
        Decimal(str(market_value_hkd)),
    )


_POSITION_COLUMNS = {
    "instrumentid": "instrument",
    "instrumentcode": "instrument",
    "quantity": "quantity",
    "contractvalue": "contract_value",
    "marketvalue": "market_value",
}


def position_columns(header: Sequence[str]) -> tuple[int, int, int, int] | None:
    """Where InstrumentID, Quantity, ContractValue and MarketValue are in a header row; None
    when one is missing or given twice (``parse_position_rows`` then says which)."""
    found: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        key = _POSITION_COLUMNS.get(header_key(name))
        if key is not None:
            found.setdefault(key, []).append(index)
    if len(found) < 4 or any(len(where) > 1 for where in found.values()):
        return None
    return found["instrument"][0], found["quantity"][0], found["contract_value"][0], found["market_value"][0]


def _read_csv(source: Source, name: str | None) -> tuple[str, list[list[str]]] | Problem:
    shown, rows, problem = read_csv_file(source, name)
    if problem is not None:
        return problem
    assert rows is not None  # rows are None only with a problem
    return shown, rows


def parse_positions(source: Source, name: str | None = None) -> Parsed[tuple[Position, ...]]:
    """Positions from a CSV file or open binary stream (``name`` for problems)."""
    read = _read_csv(source, name)
    if isinstance(read, Problem):
        return Parsed((), (read,))
    return parse_position_rows(read[1], read[0])


def parse_scenarios(
    source: Source, name: str | None = None, default: str = "what-if"
) -> Parsed[tuple[tuple[str, tuple[Position, ...]], ...]]:
    """What-if trades from a CSV file: see :func:`scenario_sets`."""
    read = _read_csv(source, name)
    if isinstance(read, Problem):
        return Parsed((), (read,))
    return scenario_sets(read[1], read[0], default)


def scenario_sets(
    rows: Sequence[Sequence[str]], source: str, default: str = "what-if"
) -> Parsed[tuple[tuple[str, tuple[Position, ...]], ...]]:
    """What-if trades: position rows with an optional ``Scenario`` column naming the set each row
    belongs to (``default`` when there is none or it is blank), the sets in the order they first
    appear. The rows follow the positions rules; any error returns no sets."""
    parsed = parse_position_rows(rows, source)
    if errors_in(parsed.problems):
        return Parsed((), parsed.problems)
    body = [row for row in rows if any(map(str.strip, row))]
    header, records = body[0], body[1:]
    column = next((i for i, cell in enumerate(header) if header_key(cell) == "scenario"), None)
    sets: dict[str, list[Position]] = {}
    for record, position in zip(records, parsed.value, strict=True):
        label = record[column].strip() if column is not None and column < len(record) else ""
        sets.setdefault(label or default, []).append(position)
    return Parsed(tuple((label, tuple(items)) for label, items in sets.items()), parsed.problems)


def parse_position_rows(rows: Sequence[Sequence[str]], source: str) -> Parsed[tuple[Position, ...]]:
    """Read positions from CSV rows; the first non-blank row names the columns."""
    problems: list[Problem] = []
    body = [(number, row) for number, row in enumerate(rows, start=1) if any(map(str.strip, row))]
    if not body:
        return Parsed((), (Problem(source, None, None, "no header row", code=ProblemCode.NO_HEADER),))
    header_line, header = body[0]
    columns: dict[str, int] = {}
    account_column = None
    for index, name in enumerate(header):
        key = _POSITION_COLUMNS.get(header_key(name))
        if header_key(name) in ACCOUNT_COLUMNS:
            account_column = index
        if key is None:
            continue
        if key in columns:
            return Parsed(
                (),
                (
                    Problem(
                        source,
                        header_line,
                        name.strip(),
                        f"column {name.strip()!r} is given twice (columns {_letter(columns[key])} and "
                        f"{_letter(index)}): which one is meant?",
                        code=ProblemCode.HEADER_FIELDS,
                    ),
                ),
            )
        columns[key] = index
    missing = [
        name for name in ("instrument", "quantity", "contract_value", "market_value") if name not in columns
    ]
    if missing:
        labels = {
            "instrument": "InstrumentID",
            "quantity": "Quantity",
            "contract_value": "ContractValue",
            "market_value": "MarketValue",
        }
        wanted = ", ".join(labels[m] for m in missing)
        return Parsed(
            (),
            (
                Problem(
                    source, header_line, None, f"missing column(s): {wanted}", code=ProblemCode.HEADER_FIELDS
                ),
            ),
        )

    if account_column is not None:
        accounts = sorted(
            {row[account_column].strip() for _, row in body[1:] if account_column < len(row)} - {""}
        )
        if len(accounts) > 1:
            shown = ", ".join(accounts[:5]) + (", ..." if len(accounts) > 5 else "")
            return Parsed(
                (),
                (
                    Problem(
                        source,
                        header_line,
                        header[account_column].strip(),
                        f"the file holds {len(accounts)} accounts ({shown}); one file is one portfolio: "
                        "give each account's positions in a file of its own",
                        code=ProblemCode.CONSISTENCY,
                    ),
                ),
            )

    positions: list[Position] = []
    where = (columns["instrument"], columns["quantity"], columns["contract_value"], columns["market_value"])
    for line, row in body[1:]:
        item = _clean_row(row, where)
        if item is not None:  # the common case: every field as it should be
            positions.append(item)
            continue
        # Otherwise the row is read field by field, to say what is wrong with it.
        cells = {key: (row[index].strip() if index < len(row) else "") for key, index in columns.items()}
        if not cells["instrument"]:
            problems.append(
                Problem(
                    source, line, "InstrumentID", "instrument code is empty", code=ProblemCode.EMPTY_VALUE
                )
            )
            continue
        values: dict[str, Decimal] = {}
        for key, label in (
            ("quantity", "Quantity"),
            ("contract_value", "ContractValue"),
            ("market_value", "MarketValue"),
        ):
            try:
                values[key] = parse_decimal(cells[key])
            except ValueError as exc:
                problems.append(Problem(source, line, label, f"{label}: {exc}"))
                continue
            limit = MAX_QUANTITY if key == "quantity" else MAX_AMOUNT_HKD
            if abs(values[key]) > limit:
                problems.append(
                    Problem(
                        source,
                        line,
                        label,
                        f"{label} {cells[key]} is beyond {limit:,} (cpdesk margins exactly below it)",
                        code=ProblemCode.OUT_OF_RANGE,
                    )
                )
                del values[key]
                continue
            if key != "quantity" and whole_cents(values[key]) is None:
                problems.append(
                    Problem(
                        source,
                        line,
                        label,
                        f"{label} {cells[key]} has more than two decimal places",
                        code=ProblemCode.PRECISION,
                    )
                )
                del values[key]
        if len(values) < 3:
            continue
        item = Position(
            cells["instrument"], values["quantity"], values["contract_value"], values["market_value"]
        )
        if item.market_value_hkd and (item.market_value_hkd > 0) != (item.quantity > 0):
            problems.append(
                Problem(
                    source,
                    line,
                    "MarketValue",
                    "market value and quantity have opposite signs",
                    Severity.WARNING,
                    ProblemCode.CONSISTENCY,
                )
            )
        positions.append(item)
    if not positions and not problems:
        problems.append(
            Problem(
                source,
                header_line,
                None,
                "no positions below the header: nothing to margin (an empty portfolio is 0 without cpdesk)",
                code=ProblemCode.NO_ROWS,
            )
        )
    return Parsed(tuple(positions), tuple(problems))


def _clean_row(row: Sequence[str], where: tuple[int, int, int, int]) -> Position | None:
    """The row's position when nothing about it needs a word (no warning either), else None."""
    try:
        instrument, quantity, contract, market = (row[i].strip() for i in where)
        q, cv, mv = parse_decimal(quantity), parse_decimal(contract), parse_decimal(market)
        if not instrument or abs(q) > MAX_QUANTITY or abs(cv) > MAX_AMOUNT_HKD or abs(mv) > MAX_AMOUNT_HKD:
            return None
        item = Position(instrument, q, cv, mv)  # ValueError: not whole cents
    except (IndexError, ValueError):
        return None
    if mv and (mv > 0) != (q > 0):  # a warning: the field-by-field reading gives it
        return None
    return item


def parse_flat_groups(source: Source, name: str | None = None) -> Parsed[Mapping[str, str]]:
    """Read ``InstrumentID,Group``: the flat rate sub-margin group of each Tier N instrument."""
    read = _read_csv(source, name)
    if isinstance(read, Problem):
        return Parsed(MappingProxyType({}), (read,))
    source, rows = read
    problems: list[Problem] = []
    groups: dict[str, str] = {}
    first_line: dict[str, int] = {}
    body = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not body or [header_key(c) for c in body[0][1][:2]] != ["instrumentid", "group"]:
        line = body[0][0] if body else None
        return Parsed(
            MappingProxyType({}),
            (
                Problem(
                    source, line, None, "header must be InstrumentID,Group", code=ProblemCode.HEADER_FIELDS
                ),
            ),
        )
    for line, row in body[1:]:
        instrument = row[0].strip() if row else ""
        group = row[1].strip() if len(row) > 1 else ""
        if not instrument or not group:
            problems.append(
                Problem(
                    source, line, None, "both InstrumentID and Group are needed", code=ProblemCode.EMPTY_VALUE
                )
            )
            continue
        if instrument in groups:
            problems.append(
                Problem(
                    source,
                    line,
                    "InstrumentID",
                    f"{instrument} listed twice (first on line {first_line[instrument]})",
                    code=ProblemCode.DUPLICATE,
                )
            )
            continue
        groups[instrument] = group
        first_line[instrument] = line
    return Parsed(MappingProxyType(groups), tuple(problems))


def _letter(index: int) -> str:
    """A spreadsheet column letter for a 0-based index (A, B, ..., Z, AA, ...)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
