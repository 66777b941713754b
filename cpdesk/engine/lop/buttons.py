"""Form-control buttons on a report sheet that run macros kept in another workbook.

A LOP report goes to HKEX as ``.xlsx``, which cannot hold VBA, so its buttons call macros of the
workbook that has them (cpdesk's margin workbook, with xlwings' VBA). Excel writes such a button
as a legacy VML shape whose ``FmlaMacro`` is ``[n]!Macro``, ``n`` naming an external link to that
workbook (the link Excel's "Edit Links" lists). openpyxl writes neither, so both are added to the
finished package here; every other part is copied unchanged.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

SHEET = "xl/worksheets/sheet1.xml"
VML = "xl/drawings/vmlDrawing1.vml"
LINK = "xl/externalLinks/externalLink1.xml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Elements that follow <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet order).
AFTER_LEGACY_DRAWING = (
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)


@dataclass(frozen=True, slots=True)
class Button:
    caption: str  # the text on the button
    macro: str  # a Sub of the macro workbook (a VBA identifier)


@dataclass(frozen=True, slots=True)
class ButtonRow:
    """Buttons side by side on the first sheet's ``row`` (1-based), from ``column`` (0-based),
    each ``span`` columns wide, calling macros of the workbook named ``macro_book``."""

    buttons: Sequence[Button]
    macro_book: str
    row: int
    column: int
    span: int = 2


def with_buttons(package: bytes, layout: ButtonRow) -> bytes:
    """The xlsx ``package`` with ``layout``'s buttons on its first sheet."""
    for button in layout.buttons:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", button.macro):
            raise ValueError(f"{button.macro!r} is not a macro name")
    if not re.fullmatch(r"[^\\/:*?\"<>|\[\]]+\.xls[mb]", layout.macro_book):
        raise ValueError(f"{layout.macro_book!r} is not a macro workbook's file name")
    source = zipfile.ZipFile(io.BytesIO(package))
    parts = {name: source.read(name) for name in source.namelist()}
    parts[VML] = _vml(layout).encode()
    parts[LINK] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{REL}"><externalBook r:id="rId1"/></externalLink>'
    ).encode()
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = _rels(
        [("rId1", f"{REL}/externalLinkPath", escape(layout.macro_book), True)]
    )
    sheet_rel = _add_rel(
        parts, "xl/worksheets/_rels/sheet1.xml.rels", f"{REL}/vmlDrawing", "../drawings/vmlDrawing1.vml"
    )
    book_rel = _add_rel(
        parts, "xl/_rels/workbook.xml.rels", f"{REL}/externalLink", "externalLinks/externalLink1.xml"
    )
    parts[SHEET] = _insert_before(
        _with_r_prefix(parts[SHEET].decode()), AFTER_LEGACY_DRAWING, f'<legacyDrawing r:id="{sheet_rel}"/>'
    ).encode()
    parts["xl/workbook.xml"] = _insert_before(
        _with_r_prefix(parts["xl/workbook.xml"].decode()),
        ("definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "extLst"),
        f'<externalReferences><externalReference r:id="{book_rel}"/></externalReferences>',
    ).encode()
    parts["[Content_Types].xml"] = _content_types(parts["[Content_Types].xml"].decode()).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def _vml(layout: ButtonRow) -> str:
    shapes = []
    for index, button in enumerate(layout.buttons):
        left = layout.column + index * layout.span
        top = layout.row - 1
        # Anchor: left column, offset, top row, offset, right column, offset, bottom row, offset (pixels).
        anchor = f"{left}, 4, {top}, 1, {left + layout.span - 1}, 60, {top}, 19"
        shapes.append(
            f'<v:shape id="_x0000_s{1025 + index}" type="#_x0000_t201" '
            f'style="position:absolute;margin-left:0;margin-top:0;width:96pt;height:14pt;z-index:{index + 1};'
            'mso-wrap-style:tight" o:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]" '
            'o:insetmode="auto"><v:fill color2="buttonFace [67]" o:detectmouseclick="t"/>'
            '<o:lock v:ext="edit" rotation="t"/><v:textbox style="mso-direction-alt:auto" o:singleclick="f">'
            f'<div style="text-align:center"><font face="Calibri" size="220" color="#000000">'
            f"{escape(button.caption)}</font></div></v:textbox>"
            f'<x:ClientData ObjectType="Button"><x:Anchor>{anchor}</x:Anchor>'
            "<x:PrintObject>False</x:PrintObject><x:AutoFill>False</x:AutoFill>"
            f"<x:FmlaMacro>[1]!{button.macro}</x:FmlaMacro>"
            "<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign></x:ClientData></v:shape>"
        )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        '<o:idmap v:ext="edit" data="1"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" '
        'o:connecttype="rect"/><o:lock v:ext="edit" shapetype="t"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    )


def _rels(entries: Sequence[tuple[str, str, str, bool]]) -> bytes:
    body = "".join(
        f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for rid, kind, target, external in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PACKAGE_RELS}">'
        f"{body}</Relationships>"
    ).encode()


def _add_rel(parts: dict[str, bytes], name: str, kind: str, target: str) -> str:
    """Adds a relationship to the part ``name`` (made if absent); returns its new Id."""
    text = (
        parts[name].decode() if name in parts else f'<Relationships xmlns="{PACKAGE_RELS}"></Relationships>'
    )
    taken = set(re.findall(r'Id="([^"]+)"', text))
    rid = next(f"rId{n}" for n in range(1, len(taken) + 2) if f"rId{n}" not in taken)
    entry = f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
    parts[name] = text.replace("</Relationships>", entry + "</Relationships>").encode()
    return rid


def _with_r_prefix(xml: str) -> str:
    """The part with the relationships prefix declared on its root (openpyxl leaves it out of a
    sheet that has no relationships, and an undeclared ``r:id`` makes the file unreadable)."""
    root = re.search(r"<(worksheet|workbook)\b[^>]*>", xml)
    if root is None:
        raise ValueError("not a SpreadsheetML worksheet or workbook part")
    if f'xmlns:r="{REL}"' in root.group(0):
        return xml
    return (
        xml[: root.start() + 1 + len(root.group(1))]
        + f' xmlns:r="{REL}"'
        + xml[root.start() + 1 + len(root.group(1)) :]
    )


def _insert_before(xml: str, followers: Sequence[str], element: str) -> str:
    """``element`` placed before the first of ``followers`` present, else before the root's end."""
    for tag in followers:
        match = re.search(rf"<{tag}[\s/>]", xml)
        if match:
            return xml[: match.start()] + element + xml[match.start() :]
    end = xml.rindex("</")
    return xml[:end] + element + xml[end:]


def _content_types(xml: str) -> str:
    if 'Extension="vml"' not in xml:
        xml = xml.replace(
            "</Types>",
            '<Default Extension="vml" '
            'ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/></Types>',
        )
    return xml.replace(
        "</Types>",
        f'<Override PartName="/{LINK}" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
    )
