"""Report file names: ``<ReportID>_<ParticipantID>_<yyyymmddhhmmss>.CNTL.ZIP`` and ``.CSV.ZIP`` (seed 003).

Report ids may themselves contain underscores (``RX_AUDIT``), so the name is read from the right:
the last part is the timestamp, the one before it the participant, the rest the report id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PairPart(StrEnum):
    CONTROL = "CNTL"
    DATA = "CSV"


_NAME = re.compile(
    r"^(?P<report>[A-Z0-9]+(?:_[A-Z0-9]+)*)_(?P<participant>[A-Z0-9]{1,9})_(?P<stamp>\d{14})"
    r"\.(?P<part>CNTL|CSV)\.ZIP$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ReportFileName:
    report_id: str
    participant: str
    timestamp: datetime
    part: PairPart

    @property
    def stem(self) -> str:
        """The name both files of a pair share: ``RMCNM01_B00001_20210507205600``."""
        return f"{self.report_id}_{self.participant}_{self.timestamp:%Y%m%d%H%M%S}"

    @property
    def member_name(self) -> str:
        """The one file inside the zip: ``RMCNM01_B00001_20210507205600.CNTL``."""
        return f"{self.stem}.{self.part.value}"

    def partner(self) -> str:
        other = PairPart.DATA if self.part is PairPart.CONTROL else PairPart.CONTROL
        return f"{self.stem}.{other.value}.ZIP"


def parse_report_file_name(name: str) -> ReportFileName | None:
    """The parts of a pair file name, or ``None`` when it is not one."""
    match = _NAME.match(name)
    if match is None:
        return None
    try:
        stamp = datetime.strptime(match["stamp"], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return ReportFileName(
        match["report"].upper(), match["participant"].upper(), stamp, PairPart(match["part"].upper())
    )
