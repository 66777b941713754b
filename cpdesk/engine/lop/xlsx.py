"""A streaming reader for one sheet of an xlsx workbook: rows of plain values, fast.

openpyxl builds a cell object for every cell; a 50,000-row LOP report takes it seconds. This reads
the sheet's XML as a stream (``iterparse``) and yields each row's values as text, numbers or None,
which is all validation needs. The workbook is a zip read in memory: members are looked up by
name inside it (never extracted), within size limits.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAX_PART_BYTES = 200 * 1024 * 1024  # a 50,000-row sheet is about 10 MB of XML
MAX_COLUMNS = 16_384  # Excel's last column, XFD
MAX_ROWS = 1_048_576  # Excel's last row
MAX_WORKBOOK_BYTES = 100 * 1024 * 1024  # a LOP report of 50,000 rows is about 3 MB


class UnsavedFormula(str):
    """A formula cell with no saved result (written by a program, never opened in Excel): the
    text is the formula."""


Value = str | float | int | bool | None
_ZIP_ODDITIES = (
    NotImplementedError,
    RuntimeError,
    EOFError,
)  # unsupported compression, encryption, truncation


class WorkbookError(ValueError):
    """Not a readable xlsx workbook, with the reason."""


@dataclass(frozen=True, slots=True)
class Workbook:
    archive: zipfile.ZipFile
    sheets: dict[str, str]  # sheet name -> part name inside the zip
    shared: list[str]
    date1904: bool

    def rows(self, sheet: str) -> Iterator[tuple[int, list[Value]]]:
        """(row number, values by column) for every row present in the sheet."""
        try:
            yield from self._rows(self.sheets[sheet])
        except (ElementTree.ParseError, zipfile.BadZipFile, ValueError, IndexError, *_ZIP_ODDITIES) as exc:
            raise WorkbookError(f"sheet {sheet!r} cannot be read ({exc})") from None

    def _rows(self, part: str) -> Iterator[tuple[int, list[Value]]]:
        number = 0
        with self.archive.open(part) as stream:
            values: list[Value] = []
            for _, element in ElementTree.iterparse(stream, events=("end",)):
                tag = element.tag
                if tag == MAIN + "c":
                    reference = element.get("r", "")
                    column = _column_index(reference)
                    if column is None:
                        column = len(values)
                    if column >= MAX_COLUMNS:
                        raise WorkbookError(f"cell {reference[:20]!r} is beyond Excel's last column (XFD)")
                    while len(values) < column:
                        values.append(None)
                    values.append(self._value(element))
                    element.clear()
                elif tag == MAIN + "row":
                    number = int(element.get("r") or number + 1)  # "r" is optional (ECMA-376)
                    if not 0 < number <= MAX_ROWS:
                        raise WorkbookError(f"row {number:,} is beyond Excel's last row ({MAX_ROWS:,})")
                    yield number, values
                    values = []
                    element.clear()

    def _value(self, cell: ElementTree.Element) -> Value:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(MAIN + "is")
            return _string_item(inline) if inline is not None else ""
        raw = cell.findtext(MAIN + "v")
        if raw is None:
            formula = cell.findtext(MAIN + "f")
            return UnsavedFormula(f"={formula}") if formula is not None else None
        if kind == "s":
            return self.shared[int(raw)]
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw == "1"
        number = float(raw)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _string_item(item: ElementTree.Element) -> str:
    """The text of a shared string: plain or rich-text runs, without phonetic hints (``rPh``)."""
    parts = []
    for child in item:
        if child.tag == MAIN + "t":
            parts.append(child.text or "")
        elif child.tag == MAIN + "r":
            parts.append(child.findtext(MAIN + "t") or "")
    return "".join(parts)


def _column_index(reference: str) -> int | None:
    """0-based column of a cell reference ("C7" -> 2); stops counting past Excel's columns."""
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
            if index > MAX_COLUMNS:
                return MAX_COLUMNS
        else:
            break
    return index - 1 if index else None


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise WorkbookError(f"{name} inflates to {info.file_size:,} bytes")
    return archive.read(info)


def open_workbook(content: bytes) -> Workbook:
    try:
        return _open(content)
    except (
        zipfile.BadZipFile,
        KeyError,
        ElementTree.ParseError,
        ValueError,
        IndexError,
        *_ZIP_ODDITIES,
    ) as exc:
        if isinstance(exc, WorkbookError):
            raise
        raise WorkbookError(f"not an xlsx workbook ({exc})") from None


def _open(content: bytes) -> Workbook:
    archive = zipfile.ZipFile(io.BytesIO(content))
    for info in archive.infolist():
        if info.file_size > MAX_PART_BYTES:
            raise WorkbookError(f"{info.filename} inflates to {info.file_size:,} bytes")
        if info.filename.lower().endswith("vbaproject.bin"):
            raise WorkbookError(
                "the workbook holds macros (a .xlsm saved under an .xlsx name): save it as a plain "
                "Excel Workbook (.xlsx)"
            )
    workbook = ElementTree.fromstring(_read(archive, "xl/workbook.xml"))
    relations = ElementTree.fromstring(_read(archive, "xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in relations.iter(PACKAGE_REL + "Relationship")}
    sheets = {}
    for sheet in workbook.iter(MAIN + "sheet"):
        target = targets.get(sheet.get(REL + "id"), "")
        part = posixpath.normpath(
            target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        )
        if part in archive.namelist():
            sheets[sheet.get("name", "")] = part
    shared: list[str] = []
    if "xl/sharedStrings.xml" in archive.namelist():
        with archive.open("xl/sharedStrings.xml") as stream:
            for _, element in ElementTree.iterparse(stream, events=("end",)):
                if element.tag == MAIN + "si":
                    shared.append(_string_item(element))
                    element.clear()
    properties = workbook.find(MAIN + "workbookPr")
    date1904 = properties is not None and properties.get("date1904") in ("1", "true")
    return Workbook(archive, sheets, shared, date1904)
