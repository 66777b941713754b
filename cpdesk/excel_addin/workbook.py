"""``workbooks/cpdesk-margin.xlsm``: the traders' workbook, made from xlwings' quickstart workbook
(so it carries the ``xlwings.conf`` sheet and xlwings' VBA module) with the guide's example in it.

- **Margin**: the RPF01 (``guide-sample``: the guide's sample shipped with cpdesk; put a path to
  a real one), ``CPD_RPF``, and the figures the guide prints as single ``CPD_MARGIN`` cells.
- **Details**: the spilling functions (the whole breakdown, the portfolio margin per
  sub-portfolio, the liquidation risk add-on by group).
- **Positions** and **Parameters**: the guide's sample portfolio and example inputs.
- **MSTD**: seed 003's RMCNM01 figures with ``CPD_MSTD`` beside HKEX's requirement.
"""

from __future__ import annotations

import csv
from io import BytesIO
from pathlib import Path

import xlwings
from openpyxl import load_workbook
from openpyxl.styles import Font

from cpdesk import samples
from cpdesk.excel_addin.cells import GUIDE_SAMPLE
from cpdesk.fileio import write_atomically

UDF_MODULE = "cpdesk.excel_addin.udfs"
POSITIONS = "Positions!$A$1:$D$40"
PARAMETERS = "Parameters!$A$1:$B$20"
# The guide's example inputs (README "demo-margin"), as a Parameters sheet holds them.
GUIDE_PARAMETERS: tuple[tuple[str, object], ...] = (
    ("multiplier", 2),
    ("ipo", "1876,3690"),
    ("flat_groups", GUIDE_SAMPLE),
    ("holiday", True),
    ("alc", 75_000_000),
    ("alc_multiplier", 4),
    ("alc_cap", 280_000_000),
    ("pla_rate", 0.25),
    ("credit_risk_addon", 12_000_000),
    ("adhoc_addon", 600_000),
)
# Seed 003's two RMCNM01 rows: R13, R14, R15, R19, R20, R21, the rate, and HKEX's R24.
MSTD_ROWS = (
    ("MAMK", 2_630_748.5, 0, 0, 1_024_595.87, 0, None, "18.00%", 473_535),
    ("SZMK", 5_965_368.27, 0, 0, 8_326_215.81, 0, None, "18.00%", 1_498_719),
)
FIGURES = (
    ("Total MTM and margin requirement", "total"),
    ("Portfolio margin", "portfolio_margin"),
    ("Flat rate margin", "flat_rate_margin"),
    ("LRA, instrument level", "lra_instrument"),
    ("LRA, portfolio level", "lra_portfolio"),
    ("Position limit add-on", "position_limit_addon"),
)


def write_margin_workbook(out: Path) -> Path:
    """Write the workbook to ``out`` (whole or not at all); return its path."""
    template = Path(xlwings.__file__).parent / "quickstart.xlsm"
    book = load_workbook(template, keep_vba=True)
    config = book["_xlwings.conf"]
    config.title = "xlwings.conf"  # the name xlwings reads (the template ships it switched off)
    for setting in config.iter_rows(min_row=1, max_col=2):
        if setting[0].value == "UDF Modules":
            setting[1].value = UDF_MODULE
    bold = Font(bold=True)

    margin = book["Sheet1"]
    margin.title = "Margin"
    margin["A1"] = "cpdesk: HKSCC initial margin (VaR Platform IM Calculation Guide v1.4), HKD"
    margin["A1"].font = bold
    margin["A3"], margin["B3"] = "RPF01 file", GUIDE_SAMPLE
    margin["C3"] = "a path to your RPF01 (.CSV or .CSV.ZIP); guide-sample is the guide's"
    margin["A4"], margin["B4"] = "Loaded", "=CPD_RPF(B3, TRUE)"
    for offset, (label, field) in enumerate(FIGURES):
        margin[f"A{6 + offset}"] = label
        margin[f"B{6 + offset}"] = f'=CPD_MARGIN({POSITIONS}, $B$4, "{field}", {PARAMETERS})'
    margin.column_dimensions["A"].width = 34
    margin.column_dimensions["B"].width = 40

    details = book.create_sheet("Details")
    details["A1"] = "Breakdown"
    details["A2"] = f'=CPD_MARGIN({POSITIONS}, Margin!$B$4, "", {PARAMETERS})'
    details["D1"] = "Portfolio margin by sub-portfolio"
    details["D2"] = f"=CPD_PORTFOLIO_MARGIN({POSITIONS}, Margin!$B$4, {PARAMETERS})"
    details["D10"] = "Liquidation risk add-on"
    details["D11"] = f"=CPD_LRA({POSITIONS}, Margin!$B$4)"
    for cell in ("A1", "D1", "D10"):
        details[cell].font = bold

    positions = book.create_sheet("Positions")
    with samples.GUIDE_POSITIONS.open(newline="") as handle:
        for number, line in enumerate(csv.reader(handle)):
            positions.append(line if number == 0 else [line[0], *(float(v) for v in line[1:])])

    parameters = book.create_sheet("Parameters")
    for name, value in GUIDE_PARAMETERS:
        parameters.append([name, value])

    mstd = book.create_sheet("MSTD")
    mstd.append(
        [
            "Market",
            "R13 Buy",
            "R14 Overdue",
            "R15 SPSA",
            "R19 Avg buy",
            "R20 Avg overdue",
            "R21 Avg SPSA",
            "Rate",
            "HKEX R24",
            "CPD_MSTD",
        ]
    )
    for row_number, row in enumerate(MSTD_ROWS, start=2):
        mstd.append(
            [
                *row,
                f"=CPD_MSTD(B{row_number},C{row_number},D{row_number},E{row_number},"
                f"F{row_number},G{row_number},H{row_number})",
            ]
        )

    book.move_sheet("xlwings.conf", offset=len(book.sheetnames))
    buffer = BytesIO()
    book.save(buffer)
    write_atomically(out, buffer.getvalue())
    return out
