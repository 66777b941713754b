"""Control/data pairs (seed 003): the sample checks; every kind of damage has its own message."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpdesk.engine.problems import Severity
from cpdesk.engine.reports.catalogue import load_catalogue
from cpdesk.engine.reports.names import PairPart, parse_report_file_name
from cpdesk.engine.reports.pairs import PairCheck, RecordCounter, ZipFile, check_pair, count_records
from cpdesk.engine.reports.rmcnm01 import FIELDS
from cpdesk.engine.reports.zipsafe import ZipLimits
from tests.support import seed003 as seed

CATALOGUE = load_catalogue()


def check(
    control: bytes | None = None,
    data: bytes | None = None,
    *,
    stem: str = seed.STEM,
    limits: ZipLimits | None = None,
) -> PairCheck:
    name = parse_report_file_name(f"{stem}.CSV.ZIP")
    assert name is not None
    control_zip = ZipFile(f"{stem}.CNTL.ZIP", seed.control_zip() if control is None else control)
    data_zip = ZipFile(f"{stem}.CSV.ZIP", seed.data_zip() if data is None else data)
    if limits is None:
        return check_pair(name, control_zip, data_zip, CATALOGUE)
    return check_pair(name, control_zip, data_zip, CATALOGUE, limits)


def only(result: PairCheck) -> tuple[str | None, str]:
    errors = [p for p in result.problems if p.severity is Severity.ERROR]
    assert len(errors) == 1, errors
    return errors[0].code, errors[0].message


def test_file_names() -> None:
    name = parse_report_file_name("RMCNM01_B00001_20210507205600.CNTL.ZIP")
    assert name is not None
    assert (name.report_id, name.participant, name.timestamp) == (
        "RMCNM01",
        "B00001",
        datetime(2021, 5, 7, 20, 56),
    )
    assert name.part is PairPart.CONTROL
    assert name.member_name == "RMCNM01_B00001_20210507205600.CNTL"
    assert name.partner() == "RMCNM01_B00001_20210507205600.CSV.ZIP"
    underscored = parse_report_file_name("RX_AUDIT_C0001_20210507205600.CSV.ZIP")
    assert underscored is not None
    assert underscored.report_id == "RX_AUDIT"
    for bad in (
        "RMCNM01_B00001_20211307205600.CSV.ZIP",
        "RMCNM01_B00001.CSV.ZIP",
        "../RMCNM01_B1_20210507205600.CSV.ZIP",
        "RMCNM01_B00001_20210507205600.TXT.ZIP",
    ):
        assert parse_report_file_name(bad) is None, bad


def test_the_seed_sample_is_whole_and_consistent() -> None:
    result = check()
    assert result.problems == ()
    assert result.ok
    assert result.info is not None
    assert result.info.name == "Risk - Northbound MSTD Requirement Report"
    assert (result.record_count, result.business_date) == (3, date(2021, 5, 7))
    assert result.fields == FIELDS
    assert result.as_dict() == {
        **seed.PAIR_SUMMARY,
        "known": True,
        "report_name": "Risk - Northbound MSTD Requirement Report",
    }


def test_wrong_record_count() -> None:
    result = check(
        control=seed.control_zip(seed.CONTROL_TEXT.replace("0000000000000003", "0000000000000004"))
    )
    assert only(result) == ("record-count", "control file counts 4 records, data file has 3")


def test_mismatched_report_id() -> None:
    result = check(control=seed.control_zip(seed.CONTROL_TEXT.replace("RMCNM01", "RMCNM03")))
    assert only(result) == ("report-id", "control file is for RMCNM03, the file name says RMCNM01")


def test_file_date_differs_from_the_name() -> None:
    result = check(control=seed.control_zip(seed.CONTROL_TEXT.replace("00,20210507,", "00,20210506,")))
    assert only(result) == ("file-date", "File Date 20210506 differs from the file name's 20210507")


def test_business_date_differs_from_the_control_file() -> None:
    result = check(
        data=seed.data_zip(seed.data_text().replace(",20210507,HK,CN,SZMK", ",20210506,HK,CN,SZMK"))
    )
    code, message = only(result)
    assert code == "business-date"
    assert message == "Business Date '20210506' differs from the control file's 20210507"
    assert [p.line for p in result.problems] == [3]


def test_zip_with_two_members() -> None:
    two = seed.zip_bytes({f"{seed.STEM}.CSV": seed.data_text(), "extra.txt": "x"})
    assert only(check(data=two)) == ("member-count", "zip holds 2 members, expected exactly one")


def test_member_with_a_path() -> None:
    hostile = seed.zip_bytes({"../x": seed.data_text()})
    assert only(check(data=hostile)) == (
        "unsafe-member-name",
        "unsafe member name '../x': member name has a path separator",
    )


def test_truncated_zip() -> None:
    whole = seed.data_zip()
    assert only(check(data=whole[: len(whole) // 2])) == (
        "not-a-zip",
        "not a complete zip file (truncated or damaged)",
    )


def test_corrupted_member() -> None:
    whole = bytearray(seed.data_zip())
    whole[40] ^= 0xFF  # inside the local header's copy of the name
    assert only(check(data=bytes(whole))) == (
        "damaged",
        "member is damaged (file name in the directory and in the local header differ)",
    )
    whole = bytearray(seed.data_zip())
    whole[30 + len(seed.STEM) + 4 + 60] ^= 0xFF  # inside the compressed data
    code, message = only(check(data=bytes(whole)))
    assert code == "damaged"
    assert "CRC-32" in message or "inflated" in message or "declares" in message


def test_missing_field() -> None:
    fields = tuple(f for f in FIELDS if f != "Buy Turnover")
    rows = tuple(
        ",".join(v for i, v in enumerate(row.split(",")) if i != FIELDS.index("Buy Turnover"))
        for row in seed.ROWS
    )
    result = check(data=seed.data_zip(seed.data_text(fields, rows)))
    assert only(result) == ("header-fields", "header lacks field 'Buy Turnover'")


def test_extra_and_reordered_fields() -> None:
    swapped = list(FIELDS)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    result = check(data=seed.data_zip(seed.data_text(tuple(swapped))))
    assert only(result) == ("header-fields", "header fields are out of order from 'IDM' on")
    extra = check(data=seed.data_zip(seed.data_text((*FIELDS, "Remark"))))
    assert [p.message for p in extra.problems if p.code == "header-fields"] == [
        "header has unexpected field 'Remark'"
    ]


def test_record_with_too_few_fields() -> None:
    result = check(data=seed.data_zip(seed.data_text(rows=(seed.ROWS[0], "824,2"))))
    assert ("field-count", "record 3 has 2 fields, the header has 24") in [
        (p.code, p.message) for p in result.problems
    ]


def test_zip_bomb_is_stopped() -> None:
    bomb = seed.zip_bytes({f"{seed.STEM}.CSV": b"0" * (8 * 1024**2)})
    limits = ZipLimits(max_member_bytes=1024**3, max_ratio=200, ratio_applies_above_bytes=1024**2)
    code, message = only(check(data=bomb, limits=limits))
    assert code == "compression-ratio"
    assert "more than 200 times" in message
    too_big = check(data=bomb, limits=ZipLimits(max_member_bytes=1024**2))
    assert only(too_big)[0] == "too-large"


def test_missing_partner() -> None:
    name = parse_report_file_name(seed.DATA_NAME)
    assert name is not None
    result = check_pair(name, None, ZipFile(seed.DATA_NAME, seed.data_zip()), CATALOGUE)
    assert only(result) == ("missing-control", "control file is missing")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("00,20210507,20210507,RMCNM01,00000001\n", "control-records"),
        ("01,20210507,20210507,RMCNM01,00000001\n09,0000000000000003\n", "control-header"),
        ("00,20210507,20210507,RMCNM01,00000001\n09,3\n", "control-count"),
        ("00,2021057,20210507,RMCNM01,00000001\n09,0000000000000003\n", "control-date"),
        ("00,20210507,20210507,RMCNM01,1\n09,0000000000000003\n", "control-sequence"),
    ],
)
def test_bad_control_records(text: str, code: str) -> None:
    assert only(check(control=seed.control_zip(text)))[0] == code


def test_fifteen_digit_record_count_is_accepted() -> None:
    assert check(
        control=seed.control_zip(seed.CONTROL_TEXT.replace("0000000000000003", "000000000000003"))
    ).ok


def test_unknown_report_id_is_reported_not_dropped() -> None:
    stem = "RMXYZ99_B00001_20210507205600"
    control = seed.control_zip(seed.CONTROL_TEXT.replace("RMCNM01", "RMXYZ99"), member=f"{stem}.CNTL")
    result = check(control=control, data=seed.data_zip(member=f"{stem}.CSV"), stem=stem)
    assert result.ok
    assert result.info is None
    assert [(p.code, p.severity) for p in result.problems] == [("unknown-report", Severity.WARNING)]
    assert result.as_dict()["known"] is False


def test_member_named_unlike_the_zip_is_a_warning() -> None:
    result = check(data=seed.data_zip(member="other.csv"))
    assert result.ok
    assert [p.code for p in result.problems] == ["member-name"]


def _records_by_lines(content: bytes) -> int:
    """The plain definition: lines split at LF; an empty line or a CR alone is blank."""
    return sum(1 for line in content.split(b"\n") if line not in (b"", b"\r"))


@given(
    content=st.binary(max_size=300).map(lambda b: bytes(b"a\n\r,"[x % 4] for x in b)),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=8),
)
def test_records_are_counted_the_same_however_the_content_is_cut(content: bytes, cuts: list[int]) -> None:
    counter = RecordCounter()
    edges = [0, *sorted(c for c in cuts if c <= len(content)), len(content)]
    for start, end in itertools.pairwise(edges):
        counter(content[start:end])
    assert counter.records == _records_by_lines(content) == count_records(content)
