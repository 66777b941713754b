"""RMCNM01 typed rows and the Northbound MSTD calculator and reconciliation (seed 003)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpdesk.engine.reports.csvdata import parse_data_file
from cpdesk.engine.reports.mstd import MstdInputs, mstd_requirement, reconcile
from cpdesk.engine.reports.rmcnm01 import Rmcnm01Row, parse_rate, parse_rmcnm01
from tests.support import seed003 as seed


def sample_rows() -> tuple[Rmcnm01Row, ...]:
    data = parse_data_file(seed.data_text().encode(), "sample.csv").value
    assert data is not None
    parsed = parse_rmcnm01(data, "sample.csv")
    assert parsed.problems == ()
    return parsed.value


def test_every_field_of_the_sample() -> None:
    shanghai, shenzhen = sample_rows()
    assert (shanghai.record, shanghai.batch, shanghai.idm) == (2, 824, 2)
    assert shanghai.create_time == datetime(2021, 5, 7, 20, 58)
    assert shanghai.business_date == date(2021, 5, 7)
    assert (shanghai.country, shanghai.product_area, shanghai.market, shanghai.market_id) == (
        "HK",
        "CN",
        "MAMK",
        203,
    )
    assert (shanghai.exchange, shanghai.participant_id, shanghai.account) == ("HK", "B00001", "MA1")
    assert shanghai.participant_name == "B00001 PARTICIPANT FULL NAME"
    assert (shanghai.currency, shanghai.position_indicator) == ("CNY", "FBSRSH")
    assert shanghai.buy_turnover_cny == Decimal("2630748.5")
    assert shanghai.overdue_short_position_cny == 0
    assert shanghai.spsa_sell_turnover_cny == 0
    assert shanghai.daily_mstd_requirement_cny == 473_535
    assert shanghai.average_daily_buy_turnover_cny == Decimal("1024595.87")
    assert shanghai.average_overdue_short_position_cny == 0
    assert shanghai.average_daily_spsa_sell_turnover_cny is None  # blank in the sample
    assert shanghai.monthly_mstd_requirement_cny == 184_427
    assert shanghai.deposit_rate == Decimal("0.18")
    assert shanghai.mstd_requirement_cny == 473_535
    assert (shenzhen.market, shenzhen.market_id) == ("SZMK", 204)
    assert shenzhen.mstd_requirement_cny == 1_498_719
    assert shanghai.as_dict()["buy_turnover_cny"] == "2630748.5"


@pytest.mark.parametrize(
    ("text", "rate"), [("18.00%", "0.18"), ("18%", "0.18"), ("0.18", "0.18"), (" 12.5% ", "0.125")]
)
def test_rate_forms(text: str, rate: str) -> None:
    assert parse_rate(text) == Decimal(rate)


def test_rate_above_one_without_percent_sign() -> None:
    with pytest.raises(ValueError, match="write a percentage as 18%"):
        parse_rate("18")


def test_bad_value_names_record_and_field() -> None:
    data = parse_data_file(seed.data_text().replace("2630748.5", "lots").encode(), "bad.csv").value
    assert data is not None
    parsed = parse_rmcnm01(data, "bad.csv")
    assert [(p.line, p.field, p.message) for p in parsed.problems] == [
        (2, "R15 Buy Turnover", "Buy Turnover: not a number: 'lots'")
    ]
    assert [row.market for row in parsed.value] == ["SZMK"]


def inputs(buy: str = "0", avg_buy: str = "0", rate: str = "0.18") -> MstdInputs:
    zero = Decimal(0)
    return MstdInputs(Decimal(buy), zero, zero, Decimal(avg_buy), zero, zero, Decimal(rate))


def test_mstd_figures_of_the_sample() -> None:
    shanghai = mstd_requirement(inputs(buy="2630748.50", avg_buy="1024595.87"))
    assert (shanghai.daily_cny, shanghai.monthly_cny, shanghai.requirement_cny) == (473_535, 184_427, 473_535)
    assert shanghai.daily_exact_cny == Decimal("473534.7300")
    shenzhen = mstd_requirement(inputs(buy="5965368.27", avg_buy="8326215.81"))
    assert (shenzhen.daily_cny, shenzhen.monthly_cny, shenzhen.requirement_cny) == (
        1_073_766,
        1_498_719,
        1_498_719,
    )


def test_sample_reconciles() -> None:
    for row in sample_rows():
        assert reconcile(row).disagreements == ()


def test_a_wrong_figure_is_named_by_market_and_field() -> None:
    shanghai = sample_rows()[0]
    tampered = replace(
        shanghai, daily_mstd_requirement_cny=Decimal(473_000), mstd_requirement_cny=Decimal(473_000)
    )
    found = reconcile(tampered).disagreements
    assert [(d.market, d.field, d.reported_cny, d.recomputed_cny) for d in found] == [
        ("MAMK", "R18 Daily MSTD Requirement", Decimal(473_000), Decimal(473_535)),
        ("MAMK", "R24 MSTD Requirement", Decimal(473_000), Decimal(473_535)),
    ]


def test_unrounded_figures_agree_too() -> None:
    shanghai = replace(sample_rows()[0], daily_mstd_requirement_cny=Decimal("473534.73"))
    assert reconcile(shanghai).disagreements == ()


amounts = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)


@given(st.tuples(*([amounts] * 6)), st.decimals(min_value=0, max_value=1, places=4))
def test_requirement_is_never_below_daily_or_monthly(values: tuple[Decimal, ...], rate: Decimal) -> None:
    buy, overdue, spsa, avg_buy, avg_overdue, avg_spsa = values
    result = mstd_requirement(MstdInputs(buy, overdue, spsa, avg_buy, avg_overdue, avg_spsa, rate))
    assert result.requirement_cny >= result.daily_cny
    assert result.requirement_cny >= result.monthly_cny
    assert result.requirement_cny in (result.daily_cny, result.monthly_cny)
