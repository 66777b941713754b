"""Cross-day position netting (guide §4.6): every unsettled row of an instrument, whatever its
trade and settlement dates, becomes one netted quantity and contract value; the market value is
the market price times the netted quantity. Done after SSC/SCC cover and corporate actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cpdesk.engine.numbers import EXACT


@dataclass(frozen=True, slots=True)
class TradeRow:
    """One unsettled position of a CP's books; ``amount`` is the contract value in ``currency``
    (negative: a receivable for the CP, as the guide writes it)."""

    trade_date: date
    settlement_date: date
    stock_code: str
    currency: str
    quantity: int
    amount: Decimal
    account: str = ""
    line: int | None = None  # where it was read, for explanations
    due_today: bool | None = None  # settles today (the intraday runs); None: settlement date decides

    def is_due(self, business_date: date) -> bool:
        """Whether the row settles on ``business_date``: its ``DueToday`` flag when the books give
        one, else whether its settlement date is that day."""
        return self.settlement_date == business_date if self.due_today is None else self.due_today


@dataclass(frozen=True, slots=True)
class NettedPosition:
    instrument_id: str
    currency: str
    quantity: int
    contract_value: Decimal  # in ``currency``
    due_today: bool = False  # the rows settling today, kept apart for the intraday runs


@dataclass(frozen=True, slots=True)
class NettingStep:
    """What netting did: which rows went into which position."""

    instrument_id: str
    currency: str
    lines: tuple[int | None, ...]
    rows: int
    due_today: bool = False


@dataclass(frozen=True, slots=True)
class MarkedPosition:
    instrument_id: str
    currency: str
    quantity: int
    contract_value: Decimal
    price: Decimal
    market_value: Decimal  # price × quantity, in ``currency``
    due_today: bool = False  # settles on the business date (the intraday runs treat it apart)

    @property
    def mtm(self) -> Decimal:
        """Mark-to-market gain (+) or loss (−) in ``currency``: market value less contract value."""
        return self.market_value - self.contract_value


@dataclass
class _Sum:
    quantity: int = 0
    contract_value: Decimal = Decimal(0)
    lines: list[int | None] = field(default_factory=list)


def net_across_days(
    rows: Sequence[TradeRow], due_on: date | None = None
) -> tuple[tuple[NettedPosition, ...], tuple[NettingStep, ...]]:
    """One position per instrument and currency, in the order each first appears. With
    ``due_on`` (an intraday run's business date) the rows settling that day net into a position
    of their own, so that the run can offset or leave out just that part (guide §4.8)."""
    sums: dict[tuple[str, str, bool], _Sum] = {}
    for row in rows:
        due = due_on is not None and row.is_due(due_on)
        total = sums.setdefault((row.stock_code, row.currency, due), _Sum())
        total.quantity += row.quantity
        total.contract_value = EXACT.add(total.contract_value, row.amount)
        total.lines.append(row.line)
    positions = tuple(
        NettedPosition(code, currency, total.quantity, total.contract_value, due)
        for (code, currency, due), total in sums.items()
    )
    steps = tuple(
        NettingStep(code, currency, tuple(total.lines), len(total.lines), due)
        for (code, currency, due), total in sums.items()
    )
    return positions, steps


def mark_to_market(
    positions: Sequence[NettedPosition], prices: Mapping[str, Decimal]
) -> tuple[MarkedPosition, ...]:
    """Market value = price × netted quantity (the price in the position's currency). Raises
    KeyError naming an instrument with a quantity and no price (a cash dividend's quantity is 0:
    it needs none)."""
    marked = []
    for p in positions:
        if p.instrument_id not in prices and p.quantity:
            raise KeyError(f"no price for {p.instrument_id}")
        price = prices.get(p.instrument_id, Decimal(0))
        value = EXACT.multiply(price, Decimal(p.quantity))
        marked.append(
            MarkedPosition(
                p.instrument_id, p.currency, p.quantity, p.contract_value, price, value, p.due_today
            )
        )
    return tuple(marked)
