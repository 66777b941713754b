"""The report catalogue: a data file listing every report id cpdesk knows."""

from __future__ import annotations

import pytest

from cpdesk.engine.reports.catalogue import load_catalogue, parse_catalogue

REQUIRED = [
    "RMCNM01",
    "RMCNM03",
    "RMAMP01",
    "RMAMR01",
    "RMAMR03",
    "RMASP01",
    "RMADF01",
    "RMAST01",
    "RPF01",
    "RPF02",
    "RPF03",
    "RPF04",
    "DWH0081C",
    "DWH0303",
    "RX_AUDIT",
    "TP001",
    "RPI03",
]


def test_every_report_named_in_the_documents_is_listed() -> None:
    catalogue = load_catalogue()
    assert sorted(info.report_id for info in catalogue) == sorted(REQUIRED)
    for info in catalogue:
        assert info.name
        assert info.source
        assert info.frequency
        assert info.facility in ("securities-rap", "derivatives-sftp")


def test_entries_carry_what_the_documents_say() -> None:
    catalogue = load_catalogue()
    rmcnm01 = catalogue.get("RMCNM01")
    assert rmcnm01 is not None
    assert rmcnm01.available == ("12:00", "16:00", "20:00")
    assert rmcnm01.parser == "rmcnm01"
    assert len(rmcnm01.fields) == 24
    rpf01 = catalogue.get("RPF01")
    assert rpf01 is not None
    assert rpf01.parser == "rpf01"
    rx = catalogue.get("RX_AUDIT")
    assert rx is not None
    assert (rx.facility, rx.layout) == ("derivatives-sftp", "opaque")


def test_only_rpi_reports_are_intraday() -> None:
    catalogue = load_catalogue()
    assert catalogue.is_intraday("RPI03")
    assert catalogue.is_intraday("RPI07")  # not listed, but an RPI report
    assert not catalogue.is_intraday("RMAMP01")
    assert not catalogue.is_intraday("XYZ01")
    assert [i.report_id for i in catalogue if i.intraday] == ["RPI03"]


def test_identify_by_file_name() -> None:
    catalogue = load_catalogue()
    found = catalogue.identify("RX_AUDIT_CXYZ_20210507.csv")
    assert found is not None
    assert found.report_id == "RX_AUDIT"
    rpf = catalogue.identify("RPF01_B00001_20210507205600.CSV.ZIP")
    assert rpf is not None
    assert rpf.report_id == "RPF01"
    assert catalogue.identify("RPF011_x.csv") is None
    assert catalogue.identify("notes.txt") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('facility = "securities-rap"', "unknown facility or layout"),
        ('available = ["12:00"]', "is not HH:MM"),
    ],
)
def test_bad_catalogue_entries_are_refused(change: str, message: str) -> None:
    entry = (
        '[[report]]\nid = "X1"\nname = "x"\nmarket = "m"\nfrequency = "daily"\nintraday = false\n'
        'layout = "pair"\nsource = "s"\n'
    )
    entry += {
        'facility = "securities-rap"': 'facility = "moon"\navailable = []\n',
        'available = ["12:00"]': 'facility = "securities-rap"\navailable = ["25:00"]\n',
    }[change]
    with pytest.raises(ValueError, match=message):
        parse_catalogue(entry)


def test_duplicate_ids_are_refused() -> None:
    entry = (
        '[[report]]\nid = "X1"\nname = "x"\nmarket = "m"\nfrequency = "daily"\nintraday = false\n'
        'layout = "pair"\nsource = "s"\nfacility = "securities-rap"\n'
    )
    with pytest.raises(ValueError, match="twice"):
        parse_catalogue(entry + entry)
