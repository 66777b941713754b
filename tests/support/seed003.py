"""The RMCNM01 sample of seed 003, rebuilt as the two zips HKEX would publish."""

from __future__ import annotations

import io
import zipfile

from cpdesk.engine.reports.rmcnm01 import FIELDS

STEM = "RMCNM01_B00001_20210507205600"
CONTROL_NAME = f"{STEM}.CNTL.ZIP"
DATA_NAME = f"{STEM}.CSV.ZIP"
CONTROL_TEXT = "00,20210507,20210507,RMCNM01,00000001\n09,0000000000000003\n"
# What `report check --json` says of this pair (the fields), whole and consistent.
PAIR_SUMMARY = {
    "report_id": "RMCNM01",
    "participant": "B00001",
    "timestamp": "2021-05-07T20:56:00",
    "business_date": "2021-05-07",
    "record_count": 3,
    "ok": True,
    "problems": [],
}
COMMON = (
    "824,2,20210507 20:58:00,20210507,HK,CN,{market},{market_id},HK,B00001,MA1,B00001 PARTICIPANT FULL NAME,"
    "CNY,FBSRSH"
)
# Seed 003's note: SPSA 0, daily, average buy, average overdue 0, average SPSA blank, monthly, rate,
# requirement.
ROWS = (
    COMMON.format(market="MAMK", market_id=203) + ",2630748.5,0,0,473535,1024595.87,0,,184427,18.00%,473535",
    COMMON.format(market="SZMK", market_id=204)
    + ",5965368.27,0,0,1073766,8326215.81,0,,1498719,18.00%,1498719",
)


def data_text(fields: tuple[str, ...] = FIELDS, rows: tuple[str, ...] = ROWS) -> str:
    return ",".join(fields) + "\n" + "\n".join(rows) + "\n"


# A fixed member time (the report's own): writestr with a bare name stamps the current time, so
# two zips of the same text built a second apart differed, and a test comparing them failed.
MEMBER_TIME = (2021, 5, 7, 20, 56, 0)


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, date_time=MEMBER_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def control_zip(text: str = CONTROL_TEXT, member: str = f"{STEM}.CNTL") -> bytes:
    return zip_bytes({member: text})


def data_zip(text: str | None = None, member: str = f"{STEM}.CSV") -> bytes:
    return zip_bytes({member: data_text() if text is None else text})
