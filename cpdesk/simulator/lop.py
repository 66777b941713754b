"""The simulated facility's answer to LOP uploads (derivatives guide §8): a result file in
/LOPRESULT for every report put in /LOPREPORT — Success for a well-formed name and xlsx workbook,
Failed otherwise (or always, with ``Faults.fail_lop_reports``). The layout copies the guide's
example (§8.2); /LOPREPORT itself refuses modification and deletion like every upload folder."""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING

from cpdesk.engine.hkex import LOP_REPORT_FOLDER
from cpdesk.simulator.events import UploadEvent

if TYPE_CHECKING:
    from cpdesk.simulator.server import SimulatedFacility

NAME = re.compile(r"^(LOPBI|LOPTO|SOLBI|SOLTO)_[A-Z0-9]{5}_\d{8}\.xlsx$")
FRAME = "=" * 54


def _is_xlsx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def result_text(name: str, size: int, at_text: str, success: bool) -> str:
    lines = [
        FRAME,
        f"= File name:      {name:<35}=",
        f"= Upload date:   {at_text:<37}=",
        f"= File size:     {size:<37}=",
        FRAME,
        "",
        f"Result: {'Success' if success else 'Failed'}",
    ]
    return "\n".join(lines) + "\n"


def answer_upload(facility: SimulatedFacility, event: UploadEvent) -> None:
    if event.folder != LOP_REPORT_FOLDER:
        return
    success = (
        not facility.faults.fail_lop_reports
        and NAME.match(event.name) is not None
        and _is_xlsx(event.content)
    )
    text = result_text(event.name, len(event.content), f"{event.at:%Y.%m.%d %H:%M:%S}", success)
    folder = f"participant/{event.participant}/LOPRESULT"
    tenth_ms = event.at.microsecond // 100
    for step in range(10_000):  # answers within the same 0.1 ms (a frozen test clock) get the next slot
        name = f"Result.{event.at:%Y%m%d}.{event.at:%H%M%S}{(tenth_ms + step) % 10_000:04d}.txt"
        if facility.store.get(folder, name) is None:
            break
    facility.store.put(folder, name, text.encode(), mtime=event.at, keep=True)


def install(facility: SimulatedFacility) -> None:
    facility.upload_hooks.append(answer_upload)
