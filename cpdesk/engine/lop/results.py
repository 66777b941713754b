"""LOP result files from /LOPRESULT (derivatives guide §8.2).

Named ``[Result].yyyymmdd.hhmmssSSSS.txt``: cpdesk reads ``[Result]`` as a placeholder (``Result``,
``Success`` or ``Failed``) and accepts the brackets too. The content frames File name, Upload date
and File size, then ``Result: Success`` or ``Result: Failed``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cpdesk.engine.textfields import labelled_field, timestamp

RESULT_NAME = re.compile(r"^\[?(Result|Success|Failed)\]?\.(\d{8})\.(\d{10})\.txt$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LopResult:
    result_file: str
    file_name: str
    upload_date: datetime | None
    file_size: int | None
    success: bool
    detail: str


def parse_lop_result(result_file: str, text: str) -> LopResult:
    if RESULT_NAME.match(result_file) is None:
        raise ValueError(f"{result_file!r} is not an LOP result file name")
    verdict = labelled_field(text, "Result")
    size = labelled_field(text, "File size")
    return LopResult(
        result_file=result_file,
        file_name=labelled_field(text, "File name"),
        upload_date=timestamp(labelled_field(text, "Upload date")),
        file_size=int(size) if size.isdigit() else None,
        success=verdict.lower() == "success",
        detail=labelled_field(text, "Error reason") or verdict,
    )
