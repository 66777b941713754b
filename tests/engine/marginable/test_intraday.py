"""The guide's §4.8 intraday MTM runs (11:00 a.m. and 2:00 p.m.), CP A and its counterparty CP B."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from cpdesk.engine.marginable import FxRate, MarkedPosition, cross_currency_mtm
from cpdesk.engine.marginable.intraday import Settlement, run_1100, run_1400

FX = {"CNY": FxRate(Decimal("1.15"), Decimal("0.03")), "USD": FxRate(Decimal("7.8"), Decimal("0.01"))}


def position(code: str, quantity: int, value: str, currency: str, price: str, due: bool) -> MarkedPosition:
    return MarkedPosition(
        code, currency, quantity, Decimal(value), Decimal(price), Decimal(price) * quantity, due
    )


CP_A = (
    position("700", 100, "20000", "HKD", "380", True),
    position("80737", -5_000, "-15000", "CNY", "3.5", False),
    position("9167", 100, "900", "USD", "9.5", True),
)
CP_B = (
    position("700", -50, "-20000", "HKD", "380", True),  # delivered 50 of its 100 shares
    position("80737", 5_000, "15000", "CNY", "3.5", True),
    position("9167", -100, "-900", "USD", "9.5", True),
)


def test_11am_cp_a_prepays_a_quarter_and_owes_4168() -> None:
    settlement = Settlement(unposted_debit_hkd=Decimal(20_000), cash_prepayment_hkd=Decimal(11_755))
    marked, step = run_1100(CP_A, settlement, FX)
    assert step.gross_payable_hkd == Decimal(47_020)  # 20,000 + 900 × 7.8 + 20,000
    assert step.ratio == Fraction(1, 4)
    by = {p.instrument_id: p for p in marked}
    assert (by["700"].quantity, by["700"].contract_value, by["700"].market_value) == (
        75,
        Decimal(15_000),
        Decimal(28_500),
    )
    assert (by["9167"].quantity, by["9167"].contract_value, by["9167"].market_value) == (
        75,
        Decimal(675),
        Decimal("712.5"),
    )
    assert by["Unposted debit"].contract_value == 15_000
    assert by["80737"] == CP_A[1]  # short and not due: untouched
    assert cross_currency_mtm(marked, FX).mtm_requirement_hkd == 4_168


def test_11am_cp_b_unposted_credit_covers_all_of_its_payable() -> None:
    marked, step = run_1100(CP_B, Settlement(unposted_credit_hkd=Decimal(20_000)), FX)
    assert step.gross_payable_hkd == Decimal("17250.00")  # 15,000 × 1.15
    assert step.ratio == 1
    assert {p.instrument_id: p.quantity for p in marked}["80737"] == 0
    assert cross_currency_mtm(marked, FX).favourable_mtm_hkd == 606


def test_2pm_runs_leave_out_what_settles_today() -> None:
    assert cross_currency_mtm(run_1400(CP_A), FX).mtm_requirement_hkd == 2_961
    cp_b_2pm = (CP_B[0], position("80737", 5_000, "15000", "CNY", "3.5", False), CP_B[2])
    assert cross_currency_mtm(run_1400(cp_b_2pm), FX).favourable_mtm_hkd == 2_789
