"""The pipeline's CSV inputs: the guide's corporate action report read in both of its date forms,
and every bad row named by file, line and column."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from cpdesk.engine.marginable.inputs import (
    read_corporate_actions,
    read_fx,
    read_settlement,
    read_trades,
)

REPORT = (
    "Business Date,Ex-Date,Market,Instrument Code,Converted Instrument Code,Quantity Conversion Ratio,"
    "Instrument Code for Cash Dividend,Cash Dividend Amount,Instrument Code for Stock Dividend,"
    "Entitled Stock Quantity,Instrument Code for Rights,Rights Quantity\n"
    "05/11/2019,05/11/2019,HKMK,5,5,2,DIV5,-0.78,DSP5,0.13,SRI5,1.5\n"
    "05/11/2019,20191105,HKMK,8359,150,1,,,,,,\n"
)


def test_the_guides_corporate_action_report_in_both_date_forms() -> None:
    parsed = read_corporate_actions(io.BytesIO(REPORT.encode()), "CA.csv")
    assert not parsed.problems
    combo, conversion = parsed.value
    assert (combo.ex_date, combo.conversion_ratio, combo.cash_dividend_amount) == (
        date(2019, 11, 5),
        Decimal(2),
        Decimal("-0.78"),
    )
    assert (combo.stock_dividend_code, combo.rights_quantity) == ("DSP5", Decimal("1.5"))
    assert (conversion.ex_date, conversion.converted_instrument, conversion.cash_dividend_code) == (
        date(2019, 11, 5),
        "150",
        "",
    )


def test_trades_name_each_bad_row_and_keep_the_good_ones() -> None:
    text = (
        "trade date,Settlement Date,STOCK CODE,currency,Quantity,Amount,DueToday\n"
        "2019-11-04,2019-11-06,5,hkd,400,24000,Y\n"
        "2019-11-04,6 Nov,5,HKD,400,24000,N\n"
        "2019-11-04,2019-11-06,5,HKD,1.5,24000,\n"
    )
    parsed = read_trades(io.BytesIO(text.encode()), "trades.csv")
    rows = parsed.value
    assert [(r.stock_code, r.currency, r.quantity, r.line, r.due_today) for r in rows] == [
        ("5", "HKD", 400, 2, True)
    ]
    assert [str(p) for p in parsed.problems] == [
        "trades.csv:3: [SettlementDate] SettlementDate: '6 Nov' is not a date YYYY-MM-DD",
        "trades.csv:4: [Quantity] Quantity: '1.5' is not a whole number",
    ]


def test_due_today_blank_leaves_it_to_the_settlement_date() -> None:
    text = (
        "TradeDate,SettlementDate,StockCode,Currency,Quantity,Amount,DueToday\n"
        "2019-11-04,2019-11-05,5,HKD,400,24000,\n"
        "2019-11-04,2019-11-05,5,HKD,400,24000,N\n"
        "2019-11-04,2019-11-06,5,HKD,400,24000,\n"
    )
    rows = read_trades(io.BytesIO(text.encode()), "trades.csv").value
    assert [r.is_due(date(2019, 11, 5)) for r in rows] == [True, False, False]


def test_a_missing_column_is_named() -> None:
    parsed = read_fx(io.BytesIO(b"Currency,Rate\nCNY,1.1\n"), "fx.csv")
    assert [str(p) for p in parsed.problems] == ["fx.csv:1: no column Haircut"]


def test_settlement_figures_by_name() -> None:
    parsed = read_settlement(
        io.BytesIO(b"Name,Value\nunposted debit,20000\nCash Prepayment,11755\nbonus,1\n"), "s.csv"
    )
    assert (parsed.value.unposted_debit_hkd, parsed.value.cash_prepayment_hkd) == (
        Decimal(20_000),
        Decimal(11_755),
    )
    assert [str(p) for p in parsed.problems] == [
        "s.csv:4: [Name] 'bonus' is not unposted_debit, unposted_credit or cash_prepayment"
    ]
