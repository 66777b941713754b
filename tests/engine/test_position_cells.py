"""Position cells read in bulk: a cell is clean exactly when it matches the documented pattern
(the regex, as pyarrow's RE2 reads it), and a clean row's values are what
``parse_position_rows`` reads from it, exactly (cents, not floats)."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cpdesk.engine.margin.position_cells import AMOUNT, WHOLE_QUANTITY, read_clean_cells
from cpdesk.engine.margin.positions import parse_position_rows

# Near misses of the patterns: signs, dots, spaces of every kind, digits of other scripts, long runs.
pieces = st.sampled_from(
    [
        "",
        "+",
        "-",
        ".",
        "0",
        "7",
        "9",
        "00",
        " ",
        "\t",
        "\r",
        "\x0b",
        "\xa0",
        "\x0e",
        "\x1c",
        "\x08",
        "e",
        "1e5",
        "٣",
        ",",
    ]
)
cells = st.one_of(
    st.lists(pieces, max_size=6).map("".join),
    st.integers(-(10**16), 10**16).map(str),
    st.builds(lambda i, f: f"{i}.{f}", st.integers(-(10**13), 10**13), st.integers(0, 999)),
    st.text(max_size=8),
)


def _matches(column: list[str], pattern: str) -> list[bool]:
    trimmed = pc.ascii_trim_whitespace(pa.array(column, type=pa.string()))
    return pc.match_substring_regex(trimmed, pattern).to_pylist()  # type: ignore[no-any-return]


@settings(max_examples=300, deadline=None)
@given(quantities=st.lists(cells, min_size=1, max_size=20), amounts=st.lists(cells, min_size=1, max_size=20))
@example(
    quantities=["\x0e5", "5\x0e", "\x1c5", " 5\r", "\xa05"],
    amounts=["\x0e5", "5.5\x0e", "\x1c5", "\t5.25 ", "5\xa0"],
)
def test_a_cell_is_clean_exactly_when_it_matches_its_pattern(
    quantities: list[str], amounts: list[str]
) -> None:
    count = min(len(quantities), len(amounts))
    q, a = quantities[:count], amounts[:count]
    found = read_clean_cells(["700"] * count, q, a, ["0"] * count)
    expected = [qm and am for qm, am in zip(_matches(q, WHOLE_QUANTITY), _matches(a, AMOUNT), strict=True)]
    assert found.clean.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-(10**15) + 1, 10**15 - 1).filter(bool),  # a zero quantity with a value warns
            st.integers(-(10**14) + 1, 10**14 - 1),
            st.integers(0, 10**14 - 1),
            st.sampled_from(["{}", " {} ", "{}\t", "+"]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_clean_rows_read_as_parse_position_rows_reads_them(rows: list[tuple[int, int, int, str]]) -> None:
    quantity = [
        f"+{q}" if shape == "+" and q > 0 else shape.replace("+", "{}").format(q) for q, _, _, shape in rows
    ]
    contract = [f"{Decimal(cv).scaleb(-2)}" for _, cv, _, _ in rows]
    market = [f"{Decimal(mv if q >= 0 else -mv).scaleb(-2)}" for q, _, mv, _ in rows]
    found = read_clean_cells([" 700 "] * len(rows), quantity, contract, market)
    assert found.clean.all()
    parsed = parse_position_rows(
        [
            ["InstrumentID", "Quantity", "ContractValue", "MarketValue"],
            *zip(["700"] * len(rows), quantity, contract, market, strict=True),
        ],
        "p.csv",
    )
    assert not parsed.problems
    assert found.quantity.tolist() == [int(p.quantity) for p in parsed.value]
    assert found.contract_value_cents.tolist() == [p.contract_value_cents for p in parsed.value]
    assert found.market_value_cents.tolist() == [p.market_value_cents for p in parsed.value]
    assert found.instrument.to_pylist() == ["700"] * len(rows)
