"""LOP result files (derivatives guide §8.2): the seed's example content parses."""

from __future__ import annotations

from datetime import datetime

import pytest

from cpdesk.engine.lop.results import RESULT_NAME, parse_lop_result
from cpdesk.simulator.lop import result_text

# As printed in the guide (seed 000 §8.2), frame and spacing included.
SEED_SUCCESS = """=====
= File name:      LOPBI_00CFB_20200511.xlsx           =
= Upload date:   2020.05.27 16:49:23                 =
= File size:     1477                                 =
=====

Result: Success
"""

SEED_FAILED = """=====
= File name:      SOLBI_SBCFB_20200511.xlsx           =
= Upload date:   2020.05.27 16:49:23                 =
= File size:     1477                                 =
=====

Result: Failed
"""


def test_the_seed_success_example_parses() -> None:
    result = parse_lop_result("Result.20200527.1649230000.txt", SEED_SUCCESS)
    assert result.file_name == "LOPBI_00CFB_20200511.xlsx"
    assert result.upload_date == datetime(2020, 5, 27, 16, 49, 23)
    assert result.file_size == 1477
    assert result.success is True
    assert result.detail == "Success"


def test_a_failed_result_parses() -> None:
    result = parse_lop_result("Result.20200527.1649230000.txt", SEED_FAILED)
    assert result.file_name == "SOLBI_SBCFB_20200511.xlsx"
    assert result.success is False


@pytest.mark.parametrize(
    "name",
    [
        "Result.20200527.1649230000.txt",
        "[Result].20200527.1649230000.txt",
        "Success.20200527.1649230000.txt",
        "Failed.20200527.1649230000.txt",
    ],
)
def test_result_file_names(name: str) -> None:
    assert RESULT_NAME.match(name)


@pytest.mark.parametrize(
    "name", ["Result.20200527.164923.txt", "Result.2020052.1649230000.txt", "LOPBI_00CFB_20200511.xlsx"]
)
def test_other_names_are_not_result_files(name: str) -> None:
    assert RESULT_NAME.match(name) is None
    with pytest.raises(ValueError, match="not an LOP result file name"):
        parse_lop_result(name, SEED_SUCCESS)


def test_the_simulated_facility_writes_what_cpdesk_reads() -> None:
    text = result_text("LOPBI_00CFB_20200511.xlsx", 1477, "2020.05.27 16:49:23", success=True)
    parsed = parse_lop_result("Result.20200527.1649230000.txt", text)
    reference = parse_lop_result("Result.20200527.1649230000.txt", SEED_SUCCESS)
    assert (parsed.file_name, parsed.upload_date, parsed.file_size, parsed.success) == (
        reference.file_name,
        reference.upload_date,
        reference.file_size,
        reference.success,
    )
