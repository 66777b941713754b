"""The pipeline's CSV inputs, each with a header row (names case-, space- and
punctuation-insensitive), every bad row reported with its file, line, column and why.

- trades: ``TradeDate,SettlementDate,StockCode,Currency,Quantity,Amount`` (+ ``Account``,
  ``DueToday`` Y/N, blank: whether it settles on the business date); dates ``YYYY-MM-DD``;
  Amount the contract value in the row's currency.
- stock collateral: ``StockCode,SettlementDate,Quantity``; cash collateral:
  ``StockCode,Currency,TradeDate,Amount``.
- prices: ``InstrumentID,Price``; FX: ``Currency,Rate,Haircut`` (HKD per unit, a fraction);
  counters: ``StockCode,RiskCurrency``; settlement: ``Name,Value`` (unposted_debit,
  unposted_credit, cash_prepayment, HKD).
- corporate actions: HKEX's Corporate Action Position Adjustment Report under the guide's column
  names (§4.5); Ex-Date as YYYYMMDD (its specification) or DD/MM/YYYY (its example), Business
  Date as DD/MM/YYYY.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cpdesk.engine.csvtext import header_key, read_csv_file
from cpdesk.engine.marginable.corporate import CorporateAction
from cpdesk.engine.marginable.cover import CashCollateral, StockCollateral
from cpdesk.engine.marginable.intraday import Settlement
from cpdesk.engine.marginable.mtm import FxRate
from cpdesk.engine.marginable.netting import TradeRow
from cpdesk.engine.numbers import parse_decimal
from cpdesk.engine.problems import Parsed, Problem, ProblemCode
from cpdesk.engine.sources import Source, source_name

Reader = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    read: Reader
    required: bool = True


def _text(value: str) -> str:
    if not value:
        raise ValueError("empty value")
    return value


def _upper(value: str) -> str:
    return _text(value).upper()


def _decimal(value: str) -> Decimal:
    return parse_decimal(value)


def _whole(value: str) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date YYYY-MM-DD") from None


def _report_date(value: str) -> date:
    for layout in ("%Y%m%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, layout).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date YYYYMMDD or DD/MM/YYYY")


def _dmy(value: str) -> date:
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise ValueError(f"{value!r} is not a date DD/MM/YYYY") from None


def _flag(value: str) -> bool:
    if value.upper() in ("Y", "YES", "TRUE", "1"):
        return True
    if value.upper() in ("N", "NO", "FALSE", "0", ""):
        return False
    raise ValueError(f"{value!r} is not Y or N")


def _optional(read: Reader) -> Reader:
    return lambda value: read(value) if value else None


def read_table(
    source: Source, columns: Sequence[Column], name: str | None = None
) -> Parsed[list[dict[str, Any]]]:
    """Rows as dicts by column key (``_line``: the file's line), with every problem located."""
    shown, rows, unreadable = read_csv_file(source, name)
    if rows is None:
        assert unreadable is not None
        return Parsed([], (unreadable,))
    problems: list[Problem] = [unreadable] if unreadable else []
    body = [(n, row) for n, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not body:
        return Parsed(
            [], (*problems, Problem(shown, None, None, "no header row", code=ProblemCode.NO_HEADER))
        )
    header_line, header = body[0]
    where = {header_key(name): index for index, name in enumerate(header)}
    missing = [c.label for c in columns if c.required and header_key(c.label) not in where]
    if missing:
        problems.append(
            Problem(
                shown, header_line, None, f"no column {', '.join(missing)}", code=ProblemCode.HEADER_FIELDS
            )
        )
        return Parsed([], tuple(problems))
    out = []
    for line, row in body[1:]:
        record: dict[str, Any] = {"_line": line}
        good = True
        for column in columns:
            index = where.get(header_key(column.label))
            value = row[index].strip() if index is not None and index < len(row) else ""
            try:
                record[column.key] = column.read(value) if column.required or value else None
            except ValueError as exc:
                problems.append(Problem(shown, line, column.label, f"{column.label}: {exc}"))
                good = False
        if good:
            out.append(record)
    return Parsed(out, tuple(problems))


TRADE_COLUMNS = (
    Column("trade_date", "TradeDate", _iso_date),
    Column("settlement_date", "SettlementDate", _iso_date),
    Column("stock_code", "StockCode", _text),
    Column("currency", "Currency", _upper),
    Column("quantity", "Quantity", _whole),
    Column("amount", "Amount", _decimal),
    Column("account", "Account", _text, required=False),
    Column("due_today", "DueToday", _flag, required=False),
)


def read_trades(source: Source, name: str | None = None) -> Parsed[tuple[TradeRow, ...]]:
    """The trades; a blank or missing ``DueToday`` leaves it to the settlement date."""
    table = read_table(source, TRADE_COLUMNS, name)
    rows = tuple(
        TradeRow(
            r["trade_date"],
            r["settlement_date"],
            r["stock_code"],
            r["currency"],
            r["quantity"],
            r["amount"],
            r["account"] or "",
            r["_line"],
            r["due_today"],
        )
        for r in table.value
    )
    return Parsed(rows, table.problems)


def read_stock_collateral(source: Source, name: str | None = None) -> Parsed[tuple[StockCollateral, ...]]:
    columns = (
        Column("stock_code", "StockCode", _text),
        Column("settlement_date", "SettlementDate", _iso_date),
        Column("quantity", "Quantity", _whole),
    )
    table = read_table(source, columns, name)
    return Parsed(
        tuple(StockCollateral(r["stock_code"], r["settlement_date"], r["quantity"]) for r in table.value),
        table.problems,
    )


def read_cash_collateral(source: Source, name: str | None = None) -> Parsed[tuple[CashCollateral, ...]]:
    columns = (
        Column("stock_code", "StockCode", _text),
        Column("currency", "Currency", _upper),
        Column("trade_date", "TradeDate", _iso_date),
        Column("amount", "Amount", _decimal),
    )
    table = read_table(source, columns, name)
    return Parsed(
        tuple(
            CashCollateral(r["stock_code"], r["currency"], r["trade_date"], r["amount"]) for r in table.value
        ),
        table.problems,
    )


def read_prices(source: Source, name: str | None = None) -> Parsed[dict[str, Decimal]]:
    table = read_table(
        source, (Column("id", "InstrumentID", _text), Column("price", "Price", _decimal)), name
    )
    return Parsed({r["id"]: r["price"] for r in table.value}, table.problems)


def read_fx(source: Source, name: str | None = None) -> Parsed[dict[str, FxRate]]:
    columns = (
        Column("currency", "Currency", _upper),
        Column("rate", "Rate", _decimal),
        Column("haircut", "Haircut", _decimal),
    )
    table = read_table(source, columns, name)
    return Parsed({r["currency"]: FxRate(r["rate"], r["haircut"]) for r in table.value}, table.problems)


def read_counters(source: Source, name: str | None = None) -> Parsed[dict[str, str]]:
    columns = (Column("stock_code", "StockCode", _text), Column("risk", "RiskCurrency", _upper))
    table = read_table(source, columns, name)
    return Parsed({r["stock_code"]: r["risk"] for r in table.value}, table.problems)


def read_settlement(source: Source, name: str | None = None) -> Parsed[Settlement]:
    table = read_table(source, (Column("name", "Name", _text), Column("value", "Value", _decimal)), name)
    values = {header_key(r["name"]): r["value"] for r in table.value}
    known = {"unposteddebit", "unpostedcredit", "cashprepayment"}
    problems = list(table.problems)
    for r in table.value:
        if header_key(r["name"]) not in known:
            problems.append(
                Problem(
                    source_name(source, name),
                    r["_line"],
                    "Name",
                    f"{r['name']!r} is not unposted_debit, unposted_credit or cash_prepayment",
                )
            )
    zero = Decimal(0)
    settlement = Settlement(
        values.get("unposteddebit", zero),
        values.get("unpostedcredit", zero),
        values.get("cashprepayment", zero),
    )
    return Parsed(settlement, tuple(problems))


CORPORATE_ACTION_COLUMNS = (
    Column("business_date", "Business Date", _dmy),
    Column("ex_date", "Ex-Date", _report_date),
    Column("market", "Market", _text),
    Column("instrument", "Instrument Code", _text),
    Column("converted", "Converted Instrument Code", str, required=False),
    Column("ratio", "Quantity Conversion Ratio", _optional(_decimal), required=False),
    Column("div_code", "Instrument Code for Cash Dividend", str, required=False),
    Column("div_amount", "Cash Dividend Amount", _optional(_decimal), required=False),
    Column("dsp_code", "Instrument Code for Stock Dividend", str, required=False),
    Column("dsp_quantity", "Entitled Stock Quantity", _optional(_decimal), required=False),
    Column("sri_code", "Instrument Code for Rights", str, required=False),
    Column("sri_quantity", "Rights Quantity", _optional(_decimal), required=False),
)


def read_corporate_actions(source: Source, name: str | None = None) -> Parsed[tuple[CorporateAction, ...]]:
    table = read_table(source, CORPORATE_ACTION_COLUMNS, name)
    actions = tuple(
        CorporateAction(
            r["business_date"],
            r["ex_date"],
            r["market"],
            r["instrument"],
            r["converted"] or "",
            r["ratio"],
            r["div_code"] or "",
            r["div_amount"],
            r["dsp_code"] or "",
            r["dsp_quantity"],
            r["sri_code"] or "",
            r["sri_quantity"],
        )
        for r in table.value
    )
    return Parsed(actions, table.problems)
