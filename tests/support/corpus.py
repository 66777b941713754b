"""A corpus of bad inputs for every command: what a hostile user or a damaged file would give.

Each :class:`Case` is a command line, the files it needs (made in an empty folder) and what the
command must do with them: exit with one of the documented codes, name the file and where in it,
write nothing but what it may (an RPF01 cache), print no traceback.

Random inputs come from a seeded generator, so a failing case fails the same way again; set
``CPDESK_CORPUS_SEED`` to try other bytes (the seed in use is :data:`SEED`, shown in the ids of
the cases that use it).
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from cpdesk import samples
from cpdesk.engine.reports.rmcnm01 import FIELDS
from cpdesk.engine.rpf.model import HEADER_FIELDS
from tests.support import seed003
from tests.support.lop_books import NAME as LOP_NAME
from tests.support.lop_books import book, future_row

SEED = int(os.environ.get("CPDESK_CORPUS_SEED", "20261202"))
GUIDE_RPF = samples.GUIDE_RPF.read_text()
GUIDE_POSITIONS = samples.GUIDE_POSITIONS.read_text()
MARGIN = ("margin", "--lenient", "--rpf", "rpf.csv", "--positions", "pos.csv")
# A registration with two good addresses: what each keys-register case then spoils.
REGISTER = ("keys", "register", "CXYZ", "--ip", "203.0.113.10", "--ip", "203.0.113.11", "--dir", "keys")


def random_bytes(size: int, purpose: str) -> bytes:
    """``size`` random bytes, the same for the same seed and purpose."""
    return random.Random(f"{SEED}:{purpose}").randbytes(size)


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    files: dict[str, bytes] = field(default_factory=dict)
    codes: frozenset[int] = frozenset({1})
    names: tuple[str, ...] = ()  # stderr (or stdout, for JSON) must name these
    located: bool = False  # and show a place: ":12", "[Field]" or "!C7"
    setup: Callable[[Path], None] | None = None  # folders, pipes, links the files cannot express
    may_write: tuple[str, ...] = ("*.cpdcache",)


def cases() -> list[Case]:
    return [
        *_rpf_header(),
        *_rpf_structure(),
        *_positions(),
        *_margin_arguments(),
        *_report_files(),
        *_lop_workbooks(),
        *_keys(),
        *_configurations(),
    ]


# -- margin: the RPF01 ---------------------------------------------------------------------------

BAD_NUMBERS = ("", "abc", "1e70", "1e10000000", "-1", "0,12", "\u0661\u0662", "0.01_39", "NaN", "inf", "1,5")


def _rpf_with(line_start: str, value: str) -> bytes:
    lines = GUIDE_RPF.splitlines()
    changed = [
        f"{line.split(',')[0]},{value}" if line.startswith(line_start + ",") else line for line in lines
    ]
    return ("\n".join(changed) + "\n").encode()


def _margin(
    name: str, rpf: bytes, positions: bytes | None = None, codes: frozenset[int] = frozenset({1})
) -> Case:
    return Case(
        name,
        MARGIN,
        {"rpf.csv": rpf, "pos.csv": positions if positions is not None else GUIDE_POSITIONS.encode()},
        codes,
        names=("rpf.csv",) if positions is None else ("pos.csv",),
        located=True,
    )


def _rpf_header() -> Iterator[Case]:
    for parameter in HEADER_FIELDS[1:]:  # every numeric header parameter (Valuation_DT is a date)
        for number, value in enumerate(BAD_NUMBERS):
            if parameter in ("HVaR_WGT", "SVaR_WGT") and value == "-1":
                continue  # a weight below 0 is refused, but the pair's sum is what the test shows
            yield _margin(f"rpf-{parameter}-{number}", _rpf_with(parameter, value))
    for number, value in enumerate(("", "2019-04-01", "31/02/2019", "1/4/19999", "x")):
        yield _margin(f"rpf-Valuation_DT-{number}", _rpf_with("Valuation_DT", value))


def _rpf_structure() -> Iterator[Case]:
    lines = GUIDE_RPF.splitlines()
    text = GUIDE_RPF
    yield Case("rpf-empty", MARGIN, {"rpf.csv": b"", "pos.csv": GUIDE_POSITIONS.encode()}, names=("rpf.csv",))
    yield Case(
        "rpf-blank-lines",
        MARGIN,
        {"rpf.csv": b"\n\n\n", "pos.csv": GUIDE_POSITIONS.encode()},
        names=("rpf.csv",),
    )
    yield Case(
        f"rpf-garbage-seed{SEED}",
        MARGIN,
        {"rpf.csv": random_bytes(300_000, "rpf-garbage"), "pos.csv": GUIDE_POSITIONS.encode()},
        names=("rpf.csv",),
    )
    yield _margin("rpf-header-only", ("\n".join(lines[:13]) + "\n").encode())
    yield replace(
        _margin("rpf-no-column-line", ("\n".join(lines[:12] + lines[13:]) + "\n").encode()), located=False
    )
    yield _margin("rpf-latin1-id", text.replace("3690,4,", "36\xe90,4,").encode("latin-1"))
    yield _margin("rpf-huge-cell", text.replace("700,1,0.01391,", "700,1," + "1" * 200_000 + ",").encode())
    yield _margin("rpf-5mb-row", text.replace("700,1,0.01391,", "700,1," + "0.1," * 1_300_000).encode())
    yield _margin("rpf-fieldtype-8", text.replace("2800,4,", "2800,8,").encode())
    yield _margin("rpf-fieldtype-x", text.replace("2800,4,", "2800,x,").encode())
    yield _margin("rpf-duplicate-row", (text + "2800,4,0.002,1,250000000,30\n").encode())
    yield _margin(
        "rpf-missing-svar-row", "\n".join(line for line in lines if not line.startswith("700,2,")).encode()
    )
    yield _margin("rpf-return-huge", text.replace("700,1,0.01391,", "700,1,123456789,").encode())
    yield _margin("rpf-return-comma", text.replace("700,1,0.01391,", 'f700,1,"0,01391",').encode())
    yield _margin("rpf-ft4-short", text.replace("2800,4,0.002,1,250000000,30", "2800,4,0.002").encode())
    yield _margin("rpf-ft5-underlying-missing", text.replace("26883,5,700,", "26883,5,99999,").encode())
    yield _margin("rpf-ft7-type", text.replace("700,7,1,", "700,7,9,").encode())
    yield _margin(
        "rpf-many-bad-fieldtypes", (text + "".join(f"x{n},{n + 9}\n" for n in range(20_000))).encode()
    )
    yield _margin("rpf-nul-bytes", text.replace("2800,4,", "2800,4\x00,").encode())
    yield _margin("rpf-utf16", text.encode("utf-16"))
    ok = frozenset({0})
    yield Case(
        "rpf-crlf-fine",
        MARGIN,
        {"rpf.csv": text.replace("\n", "\r\n").encode(), "pos.csv": GUIDE_POSITIONS.encode()},
        ok,
    )
    yield Case(
        "rpf-bom-fine",
        MARGIN,
        {"rpf.csv": b"\xef\xbb\xbf" + text.encode(), "pos.csv": GUIDE_POSITIONS.encode()},
        ok,
    )


# -- margin: the positions ---------------------------------------------------------------------


def _positions() -> Iterator[Case]:
    lines = GUIDE_POSITIONS.splitlines()
    for column, index in (("Quantity", 1), ("ContractValue", 2), ("MarketValue", 3)):
        for number, value in enumerate(
            ("abc", "1e17", "1234,56", "0,5", "NaN", "", "1.234", "1e999999", "\u0665")
        ):
            if column == "Quantity" and value == "1.234":
                continue  # a fractional quantity is a quantity
            cells = lines[1].split(",")
            cells[index] = f'"{value}"' if "," in value else value
            body = "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n"
            yield _margin(f"positions-{column}-{number}", GUIDE_RPF.encode(), body.encode())
    yield _margin("positions-empty", GUIDE_RPF.encode(), b"")
    yield _margin("positions-header-only", GUIDE_RPF.encode(), (lines[0] + "\n").encode())
    yield _margin("positions-missing-column", GUIDE_RPF.encode(), b"InstrumentID,Quantity\n700,1\n")
    yield _margin(
        "positions-two-marketvalue-columns",
        GUIDE_RPF.encode(),
        b"InstrumentID,Quantity,ContractValue,MarketValue,MarketValue\n700,1,1,1,2\n",
    )
    yield _margin(
        "positions-two-accounts",
        GUIDE_RPF.encode(),
        b"Account,InstrumentID,Quantity,ContractValue,MarketValue\nA1,700,1,1,1\nB2,700,1,1,1\n",
    )
    yield _margin(
        "positions-latin1", GUIDE_RPF.encode(), GUIDE_POSITIONS.replace("700,", "7\xe900,").encode("latin-1")
    )
    yield _margin("positions-no-instrument", GUIDE_RPF.encode(), (GUIDE_POSITIONS + ",1,1,1\n").encode())
    yield _margin(
        "positions-huge-cell",
        GUIDE_RPF.encode(),
        (GUIDE_POSITIONS + "700," + "9" * 200_000 + ",1,1\n").encode(),
    )


def _margin_arguments() -> Iterator[Case]:
    files = {"rpf.csv": GUIDE_RPF.encode(), "pos.csv": GUIDE_POSITIONS.encode()}
    usage = frozenset({2})
    for number, extra in enumerate(
        (
            ("--multiplier", "-1"),
            ("--multiplier", "1,5"),
            ("--floor-rate", "-0.1"),
            ("--floor-rate", "2"),
            ("--margin-credit", "1e100"),
            ("--margin-credit", "-5"),
            ("--alc", "75000000"),
            ("--pla-rate", "abc"),
            ("--positions", "other.csv"),
            ("--rpf", "other.csv"),
            ("--no-such-option",),
            ("--alc-cap", "1e30"),
            ("--credit-risk-addon", "inf"),
        )
    ):
        yield Case(f"margin-argument-{number}", (*MARGIN, *extra), files, usage)
    yield Case("margin-rpf-missing", MARGIN, {"pos.csv": GUIDE_POSITIONS.encode()}, names=("rpf.csv",))
    yield Case(
        "margin-rpf-folder",
        MARGIN,
        {"pos.csv": GUIDE_POSITIONS.encode()},
        names=("rpf.csv",),
        setup=lambda d: (d / "rpf.csv").mkdir(),
    )
    yield Case(
        "margin-rpf-dev-zero",
        MARGIN,
        {"pos.csv": GUIDE_POSITIONS.encode()},
        names=("rpf.csv",),
        setup=lambda d: (d / "rpf.csv").symlink_to("/dev/zero"),
    )
    yield Case(
        "margin-rpf-fifo",
        MARGIN,
        {"pos.csv": GUIDE_POSITIONS.encode()},
        names=("rpf.csv",),
        setup=lambda d: os.mkfifo(d / "rpf.csv"),
    )
    yield Case(
        "margin-rpf-date-without-ledger",
        ("margin", "--rpf-date", "2021-05-07", "--positions", "pos.csv"),
        {"pos.csv": GUIDE_POSITIONS.encode()},
        frozenset({2}),
        names=("cpdesk.toml",),
    )


# -- reports, MSTD -----------------------------------------------------------------------------


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _report_files() -> Iterator[Case]:
    stem, control, data = seed003.STEM, seed003.CONTROL_NAME, seed003.DATA_NAME
    good_control = seed003.control_zip()
    data_text = seed003.data_text()

    def pair(
        name: str, control_bytes: bytes | None, data_bytes: bytes | None, command: str = "check"
    ) -> Case:
        files = {}
        if control_bytes is not None:
            files[control] = control_bytes
        if data_bytes is not None:
            files[data] = data_bytes
        target = data if data_bytes is not None else control
        argv = ("report", "check", target) if command == "check" else ("report", "show", data)
        if command == "mstd":
            argv = ("mstd", "--report", data)
        return Case(f"report-{command}-{name}", argv, files, names=(stem,))

    truncated = seed003.data_zip()[:-30]
    flipped = bytearray(seed003.data_zip())
    flipped[len(flipped) // 3] ^= 0xFF
    members = {
        "not-a-zip": b"this is not a zip",
        "truncated": truncated,
        "flipped-byte": bytes(flipped),
        "two-members": _zip({f"{stem}.CSV": data_text.encode(), "extra.txt": b"x"}),
        "traversal-member": _zip({"../../etc/passwd": data_text.encode()}),
        "dot-member": _zip({".hidden": data_text.encode()}),
        "empty-zip": _zip({}),
        "bomb": _zip({f"{stem}.CSV": b"0" * 50_000_000}),
        "huge-field": seed003.data_zip(data_text + '824,"' + "x" * 200_000 + '"\n'),
        "unterminated-quote": seed003.data_zip(data_text + '824,"open\n' * 3),
        "latin1": seed003.zip_bytes({f"{stem}.CSV": data_text.replace("NAME", "N\xc9M").encode("latin-1")}),
        "no-header": seed003.data_zip(""),
        "wrong-fields": seed003.data_zip(seed003.data_text(fields=FIELDS[:-1])),
        "record-count": seed003.data_zip(data_text + seed003.ROWS[0] + "\n"),
        "business-date": seed003.data_zip(data_text.replace(",20210507,HK", ",20210508,HK")),
        "amount-1e60": seed003.data_zip(data_text.replace("2630748.5", "1e60")),
        "amount-comma": seed003.data_zip(data_text.replace("2630748.5", '"2,630,748,5"')),
    }
    for name, content in members.items():
        check = pair(name, good_control, content)
        # Amounts are the typed reading's business (show, mstd): as a pair the file is whole.
        yield replace(check, codes=frozenset({0})) if name.startswith("amount-") else check
        if name in (
            "not-a-zip",
            "truncated",
            "huge-field",
            "latin1",
            "no-header",
            "amount-1e60",
            "amount-comma",
        ):
            yield pair(name, good_control, content, "show")
            yield pair(name, good_control, content, "mstd")
    for name, content in {
        "control-garbage": seed003.control_zip("garbage"),
        "control-count-letters": seed003.control_zip(
            seed003.CONTROL_TEXT.replace("0000000000000003", "000000000000000x")
        ),
        "control-date": seed003.control_zip(
            seed003.CONTROL_TEXT.replace("00,20210507,20210507", "00,20210507,20219999")
        ),
        "control-not-a-zip": b"PK\x03\x04 not really",
    }.items():
        yield pair(name, content, seed003.data_zip())
    yield pair("data-missing", good_control, None)
    yield Case(
        "report-check-folder-named-zip",
        ("report", "check", data),
        names=(data,),
        setup=lambda d: (d / data).mkdir(),
    )
    yield Case(
        "report-check-fifo",
        ("report", "check", data),
        {control: good_control},
        names=(stem,),
        setup=lambda d: os.mkfifo(d / data),
    )
    yield Case(
        "report-show-dev-zero",
        ("report", "show", data),
        names=(data,),
        setup=lambda d: (d / data).symlink_to("/dev/zero"),
    )
    yield Case(
        "report-check-unnamed", ("report", "check", "notes.txt"), {"notes.txt": b"x"}, names=("notes.txt",)
    )
    yield Case("report-check-missing", ("report", "check", "absent.CSV.ZIP"), names=("absent.CSV.ZIP",))
    yield Case("mstd-missing", ("mstd", "--report", "absent.CSV.ZIP"), names=("absent.CSV.ZIP",))
    yield Case("mstd-rate-bad", ("mstd", "--rate", "abc"), codes=frozenset({2}))
    yield Case("mstd-amount-bad", ("mstd", "--rate", "18%", "--buy-turnover", "1e60"), codes=frozenset({2}))


# -- LOP workbooks -----------------------------------------------------------------------------


def _with_sheet_xml(
    content: bytes, change: Callable[[bytes], bytes], extra: dict[str, bytes] | None = None
) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            target.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def _lop_workbooks() -> Iterator[Case]:
    good = book([future_row()])

    def validate(name: str, content: bytes, file_name: str = LOP_NAME, located: bool = True) -> Case:
        return Case(
            f"lop-{name}",
            ("lop", "validate", file_name, "--config", "absent.toml"),
            {file_name: content},
            names=(file_name,),
            located=located,
        )

    for number, value in enumerate(("1e10000000", "-5", "2.5", "abc", "1E+20", "", "\u0665")):
        yield validate(f"long-position-{number}", book([future_row(Long_Position=value)]))
    trade_dates: tuple[object, ...] = (99999999, 1e20, "2026-13-45", "abc", 0, -1)
    for number, day in enumerate(trade_dates):
        yield validate(f"trade-date-{number}", book([future_row(Trade_Date=day)]))
    for number, name in enumerate(
        (
            "LOPBI_00CFB_2026112.xlsx",
            "LOPBI_00cfb_20261120.xlsx",
            "LOPXX_00CFB_20261120.xlsx",
            "LOPBI_00CFB_20261120.xls",
            "LOPBI_00CFB_20991120.xlsx",
            "LOPBI_00CFB_20261121.xlsx",
            "report.xlsx",
        )
    ):
        yield validate(f"file-name-{number}", good, name, located=False)
    yield validate("not-a-zip", b"not a workbook", located=False)
    yield validate("empty", b"", located=False)
    yield validate(
        "macro", _with_sheet_xml(good, lambda x: x, {"xl/vbaProject.bin": b"\x00macro"}), located=False
    )
    yield validate(
        "huge-column-reference",
        _with_sheet_xml(good, lambda x: x.replace(b'r="A2"', b'r="ZZZZZZZZZZ2"')),
        located=False,
    )
    yield validate(
        "row-beyond-excel",
        _with_sheet_xml(good, lambda x: x.replace(b'<row r="2"', b'<row r="1048577"')),
        located=False,
    )
    yield validate(
        "formula-without-value", _with_sheet_xml(good, lambda x: x.replace(b"<v>620</v>", b"<f>SUM(A1)</f>"))
    )
    extra_cell = b'<c r="Z2" t="inlineStr"><is><t>stray</t></is></c></row><row r="3"'
    yield validate(
        "beyond-columns",
        _with_sheet_xml(
            book([future_row(), future_row(Beneficial_Owner_Name="B")]),
            lambda x: x.replace(b'</row><row r="3"', extra_cell),
        ),
    )
    yield validate("blank-template", book([]))
    yield validate("duplicate-rows", book([future_row(), future_row()]))
    yield validate("country-words", book([future_row(Country="Hong Kong")]))
    yield validate("option-without-strike", book([future_row(Instrument_Type="Option")]))
    yield Case(
        "lop-folder", ("lop", "validate", LOP_NAME), names=(LOP_NAME,), setup=lambda d: (d / LOP_NAME).mkdir()
    )
    yield Case(
        "lop-fifo", ("lop", "validate", LOP_NAME), names=(LOP_NAME,), setup=lambda d: os.mkfifo(d / LOP_NAME)
    )
    yield Case("lop-missing", ("lop", "validate", LOP_NAME), names=(LOP_NAME,))
    yield Case(
        "lop-bad-schema",
        ("lop", "validate", LOP_NAME, "--schema", "schema.toml"),
        {LOP_NAME: good, "schema.toml": b"[[[broken"},
        frozenset({2}),
        names=("schema.toml",),
    )
    yield Case("lop-template-bad-kind", ("lop", "template", "XXX"), codes=frozenset({2}))
    yield Case(
        "lop-template-bad-date",
        ("lop", "template", "LOPBI", "--submitter", "00CFB", "--date", "20261399"),
        codes=frozenset({2}),
    )


# -- keys --------------------------------------------------------------------------------------


PUBLIC = b"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ"  # truncated


def _keys() -> Iterator[Case]:
    bad = frozenset({1})
    for name, content in {
        "empty": b"",
        "private": b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
        b"-----END OPENSSH PRIVATE KEY-----\n",
        "truncated": PUBLIC + b"\n",
        f"binary-seed{SEED}": random_bytes(200, "key-binary"),
        # read with errors="replace": the key data then holds U+FFFD, which base64 refuses with a
        # ValueError of its own (the random bytes above hit it in one full run)
        "non-ascii-base64": b"ssh-rsa AAAA\xff\xfeB3Nz comment\n",
        "rfc4716-non-ascii": (
            b"---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\xc3\xa9\n---- END SSH2 PUBLIC KEY ----\n"
        ),
        "not-base64": b"ssh-rsa !!!! comment\n",
        "rfc4716-no-end": b"---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n",
    }.items():
        yield Case(
            f"keys-fingerprint-{name}",
            ("keys", "fingerprint", "key.pub"),
            {"key.pub": content},
            bad,
            names=("key.pub",),
        )
    yield Case(
        "keys-fingerprint-folder",
        ("keys", "fingerprint", "key.pub"),
        codes=bad,
        names=("key.pub",),
        setup=lambda d: (d / "key.pub").mkdir(),
    )
    yield Case(
        "keys-fingerprint-dev-zero",
        ("keys", "fingerprint", "key.pub"),
        codes=bad,
        names=("key.pub",),
        setup=lambda d: (d / "key.pub").symlink_to("/dev/zero"),
    )
    yield Case("keys-new-bad-account", ("keys", "new", "cxyz001"), codes=frozenset({2}))
    yield Case("keys-new-traversal", ("keys", "new", "../../x"), codes=frozenset({2}))
    for number, ips in enumerate(
        (
            ("127.0.0.1", "127.0.0.2"),
            ("224.0.0.1", "224.0.0.2"),
            ("203.0.113.255", "203.0.113.10"),
            ("203.0.113.10", "203.0.113.10"),
            ("203.0.113.10", "198.51.100.10"),
            ("999.1.1.1", "203.0.113.10"),
            ("0.0.0.0", "0.0.0.1"),
        )
    ):
        yield Case(
            f"keys-register-ips-{number}",
            ("keys", "register", "CXYZ", "--ip", ips[0], "--ip", ips[1], "--dir", "keys"),
            codes=bad,
            setup=_key_folder,
        )
    yield Case(
        "keys-register-missing-files",
        REGISTER,
        codes=bad,
        names=("CXYZ001.pub",),
    )
    yield Case(
        "keys-register-private-in-fpt",
        REGISTER,
        codes=bad,
        names=("CXYZ001.fpt",),
        setup=_private_in_fpt,
    )
    yield Case(
        "keys-register-out-missing",
        (*REGISTER, "--out", "nowhere/deeper"),
        codes=bad,
        names=("nowhere",),
        setup=_key_folder,
    )
    yield Case(
        "keys-register-out-is-file",
        (*REGISTER, "--out", "afile"),
        {"afile": b"x"},
        bad,
        names=("afile",),
        setup=_key_folder,
    )


def _key_folder(folder: Path) -> None:
    from cpdesk.connectors.store.keyfiles import new_key_pair

    for account in ("CXYZ001", "CXYZ002"):
        new_key_pair(account, folder / "keys")


def _private_in_fpt(folder: Path) -> None:
    _key_folder(folder)
    private = (folder / "keys" / "CXYZ001").read_bytes()
    fpt = folder / "keys" / "CXYZ001.fpt"
    fpt.unlink()
    fpt.write_bytes(private)


# -- configurations (refused before any connection: exit 2) ---------------------------------------


def _configurations() -> Iterator[Case]:
    from cpdesk.desk.config import render_template

    good = render_template("CXYZ")
    usage = frozenset({2})
    changes: dict[str, tuple[str, str]] = {
        "typo-key": ('archive = "archive"', 'archvie = "archive"'),
        "table-for-value": ('archive = "archive"', "[archive]\npath = 'x'"),
        "holidays-number": ("holidays = []", "holidays = 5"),
        "holidays-bad-date": ("holidays = []", 'holidays = ["2026-02-30"]'),
        "check-hours-text": ("check_hours = true", 'check_hours = "false"'),
        "max-wait-text": ("max_wait_seconds = 0", 'max_wait_seconds = "abc"'),
        "max-wait-negative": ("max_wait_seconds = 0", "max_wait_seconds = -1"),
        "participant-number": ('participant = "CXYZ"', "participant = 123"),
        "participant-lower": ('participant = "CXYZ"', 'participant = "cxyz"'),
        "participant-traversal": ('participant = "CXYZ"', 'participant = "../x"'),
        "name-traversal": ('name = "derivatives"', 'name = "../../x"'),
        "name-absolute": ('name = "derivatives"', 'name = "/tmp/x"'),
        "profile-unknown": ('profile = "derivatives"', 'profile = "moon"'),
        "site-unknown": ('site = "primary"', 'site = "moon"'),
        "hosts-bad": ('site = "primary"', 'hosts = ["nohost"]'),
        "hosts-port": ('site = "primary"', 'hosts = ["127.0.0.1:99999"]'),
        "account-lower": ('name = "CXYZ001"', 'name = "cxyz001"'),
        "account-other-participant": ('name = "CXYZ002"', 'name = "CABC002"'),
        "late-minutes": ("late_after_minutes = 30", "late_after_minutes = 99999"),
        "registered-bad": ('# registered = "2025-03-01"', 'registered = "yesterday"'),
        "idle-timeout-zero": ("max_wait_seconds = 0", "idle_timeout_seconds = 0"),
        "no-facility": ("[[facility]]", "[[facilities]]"),
        "toml-broken": ("holidays = []", "holidays = [[["),
    }
    for name, change in changes.items():
        old, new = change
        assert old in good, name
        yield Case(
            f"config-{name}",
            ("sync", "--config", "cpdesk.toml"),
            {"cpdesk.toml": good.replace(old, new).encode()},
            usage,
            names=("cpdesk.toml",),
        )
    yield Case(
        "config-utf16",
        ("sync", "--config", "cpdesk.toml"),
        {"cpdesk.toml": good.encode("utf-16")},
        usage,
        names=("cpdesk.toml",),
    )
    yield Case(
        "config-huge",
        ("sync", "--config", "cpdesk.toml"),
        {"cpdesk.toml": b"#" * 2_000_000},
        usage,
        names=("cpdesk.toml",),
    )
    yield Case(
        "config-folder",
        ("sync", "--config", "cpdesk.toml"),
        codes=usage,
        names=("cpdesk.toml",),
        setup=lambda d: (d / "cpdesk.toml").mkdir(),
    )
    yield Case("config-missing", ("sync", "--config", "cpdesk.toml"), codes=usage, names=("cpdesk.toml",))
    yield Case(
        "config-ledger-folder",
        ("keys", "status", "--config", "cpdesk.toml"),
        {"cpdesk.toml": good.encode()},
        usage,
        names=("ledger",),
        setup=lambda d: (d / "cpdesk-ledger.sqlite").mkdir(),
    )
    yield Case(
        "config-ledger-not-sqlite",
        ("keys", "status", "--config", "cpdesk.toml"),
        {"cpdesk.toml": good.encode(), "cpdesk-ledger.sqlite": b"not a database" * 100},
        usage,
        names=("ledger",),
    )
    for name, argv in {
        "init-lower": ("init", "--participant", "cxyz"),
        "init-traversal": ("init", "--participant", "../x"),
        "init-rap-no-host": ("init", "--facility", "securities", "--rap-participant", "B01234"),
        "history-bad-date": ("history", "--date", "7 May"),
        "sync-unknown-option": ("sync", "--frobnicate"),
        "dashboard-refresh-nan": ("dashboard", "--refresh", "nan"),
        "dashboard-refresh-tiny": ("dashboard", "--refresh", "0.01"),
        "dashboard-refresh-text": ("dashboard", "--refresh", "soon"),
        "excel-no-action": ("excel",),
        "positions-bad-date": ("positions", "--trades", "t.csv", "--date", "5 Nov", "--prices", "p.csv"),
        "positions-no-prices": ("positions", "--trades", "t.csv", "--date", "2019-11-05"),
    }.items():
        yield Case(name, argv, codes=usage, may_write=())
    yield Case(
        "dashboard-config-missing",
        ("dashboard", "--config", "cpdesk.toml"),
        codes=usage,
        names=("cpdesk.toml",),
    )
    yield Case(
        "dashboard-config-broken",
        ("dashboard", "--config", "cpdesk.toml"),
        {"cpdesk.toml": good.replace("holidays = []", "holidays = [[[").encode()},
        usage,
        names=("cpdesk.toml",),
    )
    yield Case(
        "positions-trades-missing",
        ("positions", "--trades", "t.csv", "--date", "2019-11-05", "--prices", "p.csv"),
        {"p.csv": b"InstrumentID,Price\n700,380\n"},
        names=("t.csv",),
    )
    yield Case(
        "positions-garbage-trades",
        ("positions", "--trades", "t.csv", "--date", "2019-11-05", "--prices", "p.csv"),
        {"t.csv": random_bytes(50_000, "positions-trades"), "p.csv": b"InstrumentID,Price\n700,380\n"},
        names=("t.csv",),
    )
    yield Case(
        "excel-workbook-into-a-file",
        ("excel", "workbook", "--out", "plain.txt/cpdesk-margin.xlsm"),
        {"plain.txt": b"not a folder"},
        usage,
        names=("plain.txt",),
        may_write=(),
    )
