"""The control file of a report pair (seed 003): a header record and a trailer record.

    00,FileDate,BusinessDate,ReportID,FileSequence     e.g. 00,20210507,20210507,RMCNM01,00000001
    09,RecordCount                                     e.g. 09,0000000000000003

RecordCount is the data file's number of records including its header record. The layout gives
it as 9(15) while its own examples print 16 digits; both widths are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from cpdesk.engine.problems import Parsed, Problem, ProblemCode, Severity


@dataclass(frozen=True, slots=True)
class ControlRecord:
    file_date: date
    business_date: date
    report_id: str
    file_sequence: str
    record_count: int


def _date(text: str) -> date | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def parse_control(content: bytes, source: str) -> Parsed[ControlRecord | None]:
    problems: list[Problem] = []

    def problem(record: int | None, field: str | None, code: ProblemCode, message: str) -> None:
        problems.append(Problem(source, record, field, message, Severity.ERROR, code))

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem(None, None, ProblemCode.ENCODING, "control file is not UTF-8 text")
        return Parsed(None, tuple(problems))
    records = [line.strip() for line in text.splitlines() if line.strip()]
    if len(records) != 2:
        problem(
            None, None, ProblemCode.CONTROL_RECORDS, f"control file has {len(records)} records, expected 2"
        )
        return Parsed(None, tuple(problems))

    header = [f.strip() for f in records[0].split(",")]
    trailer = [f.strip() for f in records[1].split(",")]
    if len(header) != 5 or header[0] != "00":
        problem(
            1,
            "R1",
            ProblemCode.CONTROL_HEADER,
            "record 1 must be 00,FileDate,BusinessDate,ReportID,FileSequence",
        )
    if len(trailer) != 2 or trailer[0] != "09":
        problem(2, "R1", ProblemCode.CONTROL_TRAILER, "record 2 must be 09,RecordCount")
    if problems:
        return Parsed(None, tuple(problems))

    file_date, business_date = _date(header[1]), _date(header[2])
    if file_date is None:
        problem(
            1, "R2 File Date", ProblemCode.CONTROL_DATE, f"File Date {header[1]!r} is not a YYYYMMDD date"
        )
    if business_date is None:
        problem(
            1,
            "R3 Business Date",
            ProblemCode.CONTROL_DATE,
            f"Business Date {header[2]!r} is not a YYYYMMDD date",
        )
    if not re.fullmatch(r"[A-Z0-9_]{1,16}", header[3]):
        problem(
            1, "R4 Report ID", ProblemCode.CONTROL_REPORT_ID, f"Report ID {header[3]!r} is not a report id"
        )
    if not re.fullmatch(r"\d{8}", header[4]):
        problem(
            1,
            "R5 File Sequence Number",
            ProblemCode.CONTROL_SEQUENCE,
            f"File Sequence {header[4]!r} is not 8 digits",
        )
    if not re.fullmatch(r"\d{15,16}", trailer[1]):
        problem(
            2, "R2 Record Count", ProblemCode.CONTROL_COUNT, f"Record Count {trailer[1]!r} is not 15 digits"
        )
    if problems or file_date is None or business_date is None:
        return Parsed(None, tuple(problems))
    return Parsed(ControlRecord(file_date, business_date, header[3], header[4], int(trailer[1])))
