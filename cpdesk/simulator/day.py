"""A realistic trading day on the simulated facility.

Securities RAP: every catalogued control/data pair for the participant in ``INBOX/<yyyymmdd>``
(RMCNM01 with the seed's real figures, RMAMP01 with the guide's positions, RMAMR01 with the
guide's margin figures, the rest plausible), DWH0303 in ``COMMON/<yyyymmdd>``, and RPF01 (a
synthetic file of realistic shape) to RPF04 in ``RPF``. Derivatives: RX_AUDIT and TP001 for HKCC
and SEOCH, intraday RPI03 files that change during the day, and a common file.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from cpdesk.connectors.sftp.profile import HKT
from cpdesk.engine.reports.catalogue import load_catalogue
from cpdesk.engine.reports.rmcnm01 import FIELDS as RMCNM01_FIELDS
from cpdesk.engine.rpf.synthetic import GUIDE_CODES, synthetic_rpf_lines
from cpdesk.samples import GUIDE_POSITIONS
from cpdesk.simulator.server import SimulatedFacility

HKSCC = "HKSCC"  # the participant field of reports common to all participants


@dataclass(frozen=True, slots=True)
class Published:
    store_folder: str
    name: str
    size: int


def _zip(member: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, content)
    return buffer.getvalue()


def _records(header: list[str], rows: list[list[str]]) -> bytes:
    def cell(value: str) -> str:
        return f'"{value}"' if "," in value else value

    return ("\n".join(",".join(cell(v) for v in line) for line in [header, *rows]) + "\n").encode()


def _rmcnm01(participant: str, day: date, at: datetime) -> bytes:
    ymd = f"{day:%Y%m%d}"
    common = ["824", "2", f"{at:%Y%m%d %H:%M:%S}", ymd, "HK", "CN"]
    tail = [participant, "MA1", f"{participant} PARTICIPANT FULL NAME", "CNY", "FBSRSH"]
    rows = [
        [
            *common,
            "MAMK",
            "203",
            "HK",
            *tail,
            "2630748.5",
            "0",
            "0",
            "473535",
            "1024595.87",
            "0",
            "",
            "184427",
            "18.00%",
            "473535",
        ],
        [
            *common,
            "SZMK",
            "204",
            "HK",
            *tail,
            "5965368.27",
            "0",
            "0",
            "1073766",
            "8326215.81",
            "0",
            "",
            "1498719",
            "18.00%",
            "1498719",
        ],
    ]
    return _records(list(RMCNM01_FIELDS), rows)


def _content(report_id: str, participant: str, day: date, at: datetime) -> bytes:
    ymd = f"{day:%Y%m%d}"
    if report_id == "RMCNM01":
        return _rmcnm01(participant, day, at)
    if report_id == "RMAMP01":
        lines = GUIDE_POSITIONS.read_text().splitlines()[1:]
        rows = [[ymd, participant, *line.split(",")] for line in lines if line]
        return _records(
            [
                "Business Date",
                "Participant ID",
                "Instrument Code",
                "Quantity",
                "Contract Value",
                "Market Value",
            ],
            rows,
        )
    if report_id in ("RMAMR01", "RMAMR03"):
        figures = [
            "10000000",
            "15180000",
            "266865",
            "550000",
            "2500000",
            "18433039",
            "12700000",
            "487169",
            "12000000",
            "600000",
            "67717169",
        ]
        return _records(
            [
                "Business Date",
                "Participant ID",
                "Portfolio Margin",
                "Flat Rate Margin",
                "Liquidation Risk Add-on",
                "Structured Product Add-on",
                "Corporate Action Position Margin",
                "Holiday Add-on",
                "MTM Requirement",
                "Position Limit Add-on",
                "Credit Risk Add-on",
                "Ad-hoc Add-on",
                "Total MTM and Margin Requirement",
            ],
            [[ymd, participant, *figures]],
        )
    if report_id == "DWH0081C":
        return _records(
            ["Business Date", "Participant ID", "Flat Rate Margin Multiplier"], [[ymd, participant, "2"]]
        )
    if report_id == "DWH0303":
        return _records(
            ["Business Date", "Stock Code", "IPO Indicator"], [[ymd, "1876", "Y"], [ymd, "3690", "Y"]]
        )
    if report_id == "RMASP01":
        return _records(
            ["Business Date", "Instrument Code", "Closing Price"],
            [[ymd, "700", "400"], [ymd, "1299", "80"], [ymd, "2800", "30"]],
        )
    return _records(
        ["Business Date", "Participant ID", "Item", "Amount"],
        [[ymd, participant, f"{report_id} figure {n}", str(1000 * n)] for n in range(1, 4)],
    )


def publish_pair(
    facility: SimulatedFacility,
    store_folder: str,
    report_id: str,
    participant: str,
    day: date,
    at: datetime,
    content: bytes,
) -> list[Published]:
    """A control/data pair as HKEX publishes it; the record count includes the header record."""
    stem = f"{report_id}_{participant}_{at:%Y%m%d%H%M%S}"
    records = sum(1 for line in content.splitlines() if line.strip())
    control = f"00,{at:%Y%m%d},{day:%Y%m%d},{report_id},{1:08d}\n09,{records:016d}\n".encode()
    published = []
    for suffix, body in (("CNTL", control), ("CSV", content)):
        data = _zip(f"{stem}.{suffix}", body)
        facility.store.put(store_folder, f"{stem}.{suffix}.ZIP", data, mtime=at)
        published.append(Published(store_folder, f"{stem}.{suffix}.ZIP", len(data)))
    return published


def _at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), HKT)


def publish_securities_day(
    facility: SimulatedFacility, participant: str, day: date, rpf_instruments: int = 300
) -> list[Published]:
    ymd = f"{day:%Y%m%d}"
    inbox = f"participant/{participant}/INBOX/{ymd}"
    published: list[Published] = []
    for info in load_catalogue():
        if info.facility != "securities-rap" or info.layout != "pair" or info.report_id.startswith("RPF"):
            continue
        times = info.available or ("19:30",)
        folder, owner = (
            (f"shared/COMMON/{ymd}", HKSCC) if info.report_id == "DWH0303" else (inbox, participant)
        )
        for hhmm in times:
            at = _at(day, hhmm)
            published += publish_pair(
                facility, folder, info.report_id, owner, day, at, _content(info.report_id, owner, day, at)
            )
    # The day's RPF01 holds the instruments of the day's RMAMP01 (the guide's positions): the
    # simulated files can be margined end to end. Each day's returns differ (seeded by the date),
    # as a real day's would: a margin history over simulated days moves.
    lines = synthetic_rpf_lines(rpf_instruments, 1000, 1018, seed=day.toordinal(), pinned=GUIDE_CODES)
    rpf = b"\n".join(lines) + b"\n"
    published += publish_pair(facility, "shared/RPF", "RPF01", HKSCC, day, _at(day, "21:00"), rpf)
    for stress in ("RPF02", "RPF03", "RPF04"):
        at = _at(day, "21:05")
        published += publish_pair(
            facility, "shared/RPF", stress, HKSCC, day, at, _content(stress, HKSCC, day, at)
        )
    return published


def publish_derivatives_day(facility: SimulatedFacility, participant: str, day: date) -> list[Published]:
    ymd = f"{day:%Y%m%d}"
    own = f"participant/{participant}/{participant}"
    published: list[Published] = []
    for market in ("HKCC", "SEOCH"):
        for report_id, hhmm in (("RX_AUDIT", "19:00"), ("TP001", "18:30")):
            name = f"{report_id}_{market}_{participant}_{ymd}.csv"
            content = _records(
                ["Trade Date", "Market", "Participant", "Record"],
                [[ymd, market, participant, f"{report_id} line {n}"] for n in range(1, 50)],
            )
            facility.store.put(own, name, content, mtime=_at(day, hhmm))
            published.append(Published(own, name, len(content)))
        published.append(publish_intraday(facility, participant, day, market, "11:00"))
    content = _records(
        ["Trade Date", "Series", "Settlement Price"], [[ymd, "HSI", "20000"], [ymd, "HHI", "7000"]]
    )
    facility.store.put("shared/COMMON", f"MARKET_PRICES_{ymd}.csv", content, mtime=_at(day, "18:00"))
    published.append(Published("shared/COMMON", f"MARKET_PRICES_{ymd}.csv", len(content)))
    return published


def publish_intraday(
    facility: SimulatedFacility, participant: str, day: date, market: str, hhmm: str
) -> Published:
    """(Re)write the intraday RPI03 file of ``market`` as of ``hhmm``: same name, new content."""
    own = f"participant/{participant}/{participant}"
    name = f"RPI03_{market}_{participant}_{day:%Y%m%d}.csv"
    content = _records(
        ["Trade Date", "As Of", "Market", "Intraday Margin"],
        [[f"{day:%Y%m%d}", hhmm, market, str(1_000_000 + int(hhmm.replace(":", "")))]],
    )
    at = _at(day, hhmm)
    facility.store.put(own, name, content, mtime=at, generated=at)
    return Published(own, name, len(content))


HOSTILE_NAMES = ("../escape.csv", ".hidden.csv", "bad\nname.csv", "sub/dir.csv", "..", "tab\tname.csv")


def publish_hostile_names(facility: SimulatedFacility, store_folder: str) -> list[Published]:
    out = []
    for name in HOSTILE_NAMES:
        facility.store.put(store_folder, name, b"gotcha\n")
        out.append(Published(store_folder, name, 7))
    return out


def publish_day(
    facility: SimulatedFacility, participant: str, day: date, rpf_instruments: int = 300
) -> list[Published]:
    if facility.profile.facility == "securities-rap":
        return publish_securities_day(facility, participant, day, rpf_instruments)
    return publish_derivatives_day(facility, participant, day)
