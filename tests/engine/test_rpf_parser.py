"""RPF01 parsing (guide §2): layout, validation with line numbers, lenient mode, fast/careful paths."""

from __future__ import annotations

import numpy as np
import pytest

from cpdesk import samples
from cpdesk.engine.problems import Problem, Severity
from cpdesk.engine.rpf import parse_rpf, parse_rpf_bytes
from cpdesk.engine.rpf.scenarios import careful_block, fast_block
from cpdesk.engine.rpf.synthetic import synthetic_rpf_lines
from cpdesk.engine.rpf.text import Lines, ProblemCollector

GUIDE = samples.GUIDE_RPF.read_text()


def small_rpf(hvar: int = 4, svar: int = 5) -> str:
    """A complete, valid RPF01 with a handful of scenarios (header counts match the rows)."""
    lines = [
        "Valuation_DT,1/4/2019",
        "HVaR_WGT,0.75",
        "SVaR_WGT,0.25",
        f"HVaR_Scen_Count,{hvar}",
        f"SVaR_Scen_Count,{svar}",
        "STV_Count,200",
        "HVaR_CL,0.994",
        "SVaR_CL,0.98",
        "HVaR_Measure,4",
        "SVaR_Measure,4",
        "Rounding,10000",
        "Holiday_Factor,0.7320508075",
        "InstrumentId,FieldType," + ",".join(str(i) for i in range(1, max(hvar, svar) + 1)),
    ]
    for ft, count in ((1, hvar), (2, svar)):
        for instrument, base in (("700", 0.01), ("26883", -0.02)):
            lines.append(f"{instrument},{ft}," + ",".join(f"{base * (i + 1):.6f}" for i in range(count)))
    lines += [
        "658,3,0.12",
        "700,4,0.0022,0.9,300000000,400",
        "2800,4,0.002,1,250000000,30",
        "26883,5,700,0.0446,100,0.1784",
        "26883,6,0.02,0.5",
        "700,7,1,4,-0.5,0.5",
    ]
    return "\n".join(lines) + "\n"


def parse(text: str, lenient: bool = False) -> tuple[object, tuple[Problem, ...]]:
    parsed = parse_rpf_bytes(text.encode(), "test.csv", lenient=lenient)
    return parsed.value, parsed.problems


def only_error(text: str) -> Problem:
    value, problems = parse(text)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    assert value is None
    assert len(errors) == 1, errors
    return errors[0]


def replace_line(text: str, line_no: int, new: str) -> str:
    lines = text.split("\n")
    lines[line_no - 1] = new
    return "\n".join(lines)


def test_valid_file_parses_without_problems() -> None:
    value, problems = parse(small_rpf())
    assert problems == ()
    assert value is not None


def test_guide_sample_needs_lenient() -> None:
    strict = parse_rpf(samples.GUIDE_RPF)
    assert strict.value is None
    first = strict.errors[0]
    assert (first.line, first.field) == (14, "HVaR_Scen_Count")
    assert (
        first.message == "FieldType 1 row for 700 has 10 scenarios, expected 1000 (HVaR_Scen_Count is 1000)"
    )
    assert len(strict.errors) == 14  # every FieldType 1 and 2 row

    lenient = parse_rpf(samples.GUIDE_RPF, lenient=True)
    assert lenient.value is not None
    assert [(w.line, w.severity) for w in lenient.problems] == [
        (14, Severity.WARNING),
        (21, Severity.WARNING),
    ]
    assert "using the 10 present (lenient)" in lenient.problems[0].message
    assert (lenient.value.hvar_count, lenient.value.svar_count) == (10, 10)


def test_guide_sample_contents() -> None:
    rpf = parse_rpf(samples.GUIDE_RPF, lenient=True).value
    assert rpf is not None
    h = rpf.header
    assert (h.valuation_date.isoformat(), h.hvar_scenario_count, h.svar_scenario_count) == (
        "2019-04-01",
        1000,
        1018,
    )
    assert (str(h.hvar_confidence_level), str(h.svar_confidence_level), h.rounding_hkd) == (
        "0.994",
        "0.98",
        10000,
    )
    assert str(h.holiday_factor) == "0.7320508075"
    assert rpf.scenarios.instrument_ids == ("700", "1299", "1876", "2823", "3690", "26883", "60954")
    assert rpf.scenarios.hvar[0, 0] == 0.01391
    assert rpf.scenarios.svar[6, 9] == -0.318721
    assert rpf.deltas["60954"].underlying_group == "1299"  # FieldType 5 column 1 is a code
    assert str(rpf.beta_hedge["700"].beta) == "0.9"
    assert rpf.beta_hedge["700"].threshold_hkd == 300_000_000
    assert rpf.structured_products["26883"].tick_size_multiplier == 5
    assert len(rpf.corporate_actions) == 3
    assert not rpf.scenarios.returns.flags.writeable


def test_trailing_empty_cells_and_crlf_are_accepted() -> None:
    padded = "\r\n".join(line + ",,," for line in small_rpf().split("\n") if line) + "\r\n"
    value, problems = parse(padded)
    assert problems == ()
    assert value is not None


def test_missing_header_parameter() -> None:
    text = small_rpf().replace("Rounding,10000\n", "")
    problem = only_error(text)
    assert (problem.line, problem.field, problem.message) == (
        None,
        "Rounding",
        "header parameter Rounding is missing",
    )


def test_unknown_header_parameter() -> None:
    value, problems = parse(replace_line(small_rpf(), 6, "Stress_Count,200"))
    assert value is None
    assert [(p.line, p.message) for p in problems] == [
        (6, "unknown header parameter 'Stress_Count'"),
        (None, "header parameter STV_Count is missing"),
    ]


def test_non_numeric_header_value() -> None:
    problem = only_error(replace_line(small_rpf(), 7, "HVaR_CL,high"))
    assert (problem.line, problem.field) == (7, "HVaR_CL")
    assert problem.message == "HVaR_CL is not a number: not a number: 'high'"


def test_confidence_level_out_of_range() -> None:
    problem = only_error(replace_line(small_rpf(), 8, "SVaR_CL,1.5"))
    assert (problem.line, problem.message) == (8, "SVaR_CL must be strictly between 0 and 1, got 1.5")


def test_unsupported_risk_measure() -> None:
    problem = only_error(replace_line(small_rpf(), 9, "HVaR_Measure,2"))
    assert (problem.line, problem.message) == (
        9,
        "HVaR_Measure 2 is not supported; only 4 (FHS ES, discrete) is defined",
    )


def test_bad_valuation_date() -> None:
    problem = only_error(replace_line(small_rpf(), 1, "Valuation_DT,31/2/2019"))
    assert (problem.line, problem.message) == (1, "Valuation_DT '31/2/2019' is not a date in DD/MM/YYYY form")


def test_field_type_outside_one_to_seven() -> None:
    text = small_rpf().replace("658,3,0.12", "658,9,0.12")
    problem = only_error(text)
    assert (problem.line, problem.field, problem.message) == (
        18,
        "FieldType",
        "FieldType '9' is not one of 1-7",
    )


def test_non_numeric_scenario_value() -> None:
    text = small_rpf().replace("700,1,0.010000,0.020000", "700,1,0.010000,abc")
    problem = only_error(text)
    assert (problem.line, problem.field) == (14, "column 4 (scenario 2)")
    assert problem.message == "scenario return not a number: 'abc'"


def test_empty_scenario_value_inside_a_row() -> None:
    problem = only_error(small_rpf().replace("700,1,0.010000,0.020000", "700,1,0.010000,"))
    assert (problem.line, problem.field, problem.message) == (
        14,
        "column 4 (scenario 2)",
        "empty scenario value",
    )


def test_infinite_scenario_value() -> None:
    problem = only_error(small_rpf().replace("700,1,0.010000,0.020000", "700,1,0.010000,inf"))
    assert (problem.line, problem.field) == (14, "column 4 (scenario 2)")
    assert problem.message == "scenario return not a number: 'inf'"


def test_scenario_count_differs_from_header() -> None:
    text = small_rpf().replace("SVaR_Scen_Count,5", "SVaR_Scen_Count,6")
    value, problems = parse(text)
    assert value is None
    assert [(p.line, p.message) for p in problems] == [
        (16, "FieldType 2 row for 700 has 5 scenarios, expected 6 (SVaR_Scen_Count is 6)"),
        (17, "FieldType 2 row for 26883 has 5 scenarios, expected 6 (SVaR_Scen_Count is 6)"),
    ]


def test_more_values_than_the_column_header() -> None:
    text = small_rpf().replace("700,1,0.010000", "700,1,0.5,0.5,0.010000", 1)
    value, problems = parse(text)
    assert value is None
    assert [(p.line, p.message) for p in problems] == [
        (14, "row has 6 scenario values but the column header numbers only 5"),
        (14, "FieldType 1 row for 700 has 6 scenarios, expected 4 (HVaR_Scen_Count is 4)"),
    ]


def test_field_type_1_without_field_type_2() -> None:
    lines = small_rpf().split("\n")
    text = "\n".join(line for line in lines if not line.startswith("26883,2,"))
    problem = only_error(text)
    assert (problem.line, problem.message) == (
        15,
        "instrument 26883 has a FieldType 1 row but no FieldType 2 row",
    )


def test_field_type_2_without_field_type_1() -> None:
    lines = small_rpf().split("\n")
    text = "\n".join(line for line in lines if not line.startswith("26883,1,"))
    problem = only_error(text)
    assert (problem.line, problem.message) == (
        16,
        "instrument 26883 has a FieldType 2 row but no FieldType 1 row",
    )


def test_duplicate_scenario_row() -> None:
    lines = small_rpf().split("\n")
    lines.insert(14, lines[13])
    problem = only_error("\n".join(lines))
    assert (problem.line, problem.message) == (15, "duplicate FieldType 1 row for 700 (first on line 14)")


def test_field_type_4_with_too_few_values() -> None:
    problem = only_error(small_rpf().replace("700,4,0.0022,0.9,300000000,400", "700,4,0.0022,0.9,300000000"))
    assert problem.line == 19
    assert problem.message.startswith("FieldType 4 row needs 4 value(s)")
    assert problem.message.endswith("found 3")


def test_underlying_group_without_field_type_4() -> None:
    problem = only_error(small_rpf().replace("26883,5,700,", "26883,5,999,"))
    assert (problem.line, problem.message) == (21, "underlying group 999 of 26883 has no FieldType 4 row")


def test_unknown_benefit_type() -> None:
    problem = only_error(small_rpf().replace("700,7,1,", "700,7,5,"))
    assert (problem.line, problem.message) == (
        23,
        "benefit entitlement type 5 is not 1 (DSP), 2 (SRI) or 3 (DIV)",
    )


def test_return_beyond_the_exact_range() -> None:
    problem = only_error(small_rpf().replace("26883,2,-0.020000", "26883,2,-150000"))
    assert (problem.line, problem.message) == (
        15,
        "a return of 26883 is beyond ±100,000 and cannot be margined exactly",
    )


def test_non_numeric_field_type_3_value() -> None:
    problem = only_error(small_rpf().replace("658,3,0.12", "658,3,twelve"))
    assert (problem.line, problem.field) == (18, "column 3 (flat rate)")


def test_missing_column_header() -> None:
    problem = only_error("Valuation_DT,1/4/2019\n700,1,0.1\n")
    assert problem.message == "no 'InstrumentId,FieldType,1..N' column header line found"


def test_unreadable_file(tmp_path: object) -> None:
    parsed = parse_rpf("/nonexistent/RPF01.csv")
    assert parsed.value is None
    assert parsed.errors[0].message.startswith("cannot read file")


def test_many_bad_rows_are_summarised() -> None:
    data = (
        b"\n".join(synthetic_rpf_lines(60, 30, 40))
        .decode()
        .replace("HVaR_Scen_Count,30", "HVaR_Scen_Count,31")
    )
    _, problems = parse(data)
    assert len(problems) == 21
    assert problems[-1].message.startswith("... and 40 more like: FieldType 1 scenario count differs")


def test_fast_and_careful_paths_agree() -> None:
    data = b"\n".join(synthetic_rpf_lines(40, 25, 30)) + b"\n"
    lines = Lines.of(data)
    span = data[lines.starts[13] : lines.ends[13 + 40 - 1]]
    fast = fast_block(span, 30)
    assert fast is not None
    careful = careful_block(lines, list(range(13, 13 + 40)), 30, ProblemCollector("x"))
    assert fast[0] == careful[0]
    assert np.array_equal(fast[1], careful[1], equal_nan=True)


@pytest.mark.parametrize("lenient", [False, True])
def test_synthetic_file_is_valid(lenient: bool) -> None:
    data = b"\n".join(synthetic_rpf_lines(50, 20, 25)) + b"\n"
    parsed = parse_rpf_bytes(data, "syn.csv", lenient=lenient)
    assert parsed.problems == ()
    assert parsed.value is not None
    assert parsed.value.scenarios.returns.shape == (50, 45)


def test_more_than_ten_decimal_places_is_a_warning() -> None:
    value, problems = parse(small_rpf().replace("700,1,0.010000", "700,1,0.01000000001"))
    assert value is not None
    assert [(p.line, p.severity) for p in problems] == [(14, Severity.WARNING)]
    assert problems[0].message.startswith("returns of 700 carry more than 10 decimal places")


def test_lenient_still_needs_rows_of_one_length() -> None:
    text = small_rpf(4, 5).replace("HVaR_Scen_Count,4", "HVaR_Scen_Count,1000")
    text = text.replace(
        "26883,1,-0.020000,-0.040000,-0.060000,-0.080000", "26883,1,-0.020000,-0.040000,-0.060000"
    )
    value, problems = parse(text, lenient=True)
    assert value is None
    assert [(p.line, p.severity, p.message) for p in problems if p.severity is Severity.ERROR] == [
        (
            15,
            Severity.ERROR,
            "FieldType 1 row for 26883 has 3 scenarios, expected 4 (HVaR_Scen_Count is 1000)",
        )
    ]


def test_padding_wider_than_the_column_header_is_accepted() -> None:
    lines = small_rpf().split("\n")
    lines[13] += ",,,,,,"  # first FieldType 1 row padded beyond the header's 5 columns
    value, problems = parse("\n".join(lines))
    assert problems == ()
    assert value is not None
