"""How the dashboard words and colours a status: every status is a word first (``NO_COLOR``
leaves the word), the colour only repeats it."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text

from cpdesk.desk import ReportState
from cpdesk.engine.keys import KeyUrgency
from cpdesk.engine.status import FileResult, UploadResult

_STYLE = {
    "ok": "green",
    "warn": "yellow",
    "bad": "bold red",
    "quiet": "dim",
}

_REPORT = {
    ReportState.VERIFIED: ("VERIFIED", "ok"),
    ReportState.FAILED: ("FAILED", "bad"),
    ReportState.LATE: ("LATE", "bad"),
    ReportState.MISSING: ("MISSING", "bad"),
    ReportState.PENDING: ("pending", "quiet"),
    ReportState.NOT_EXPECTED: ("not expected", "quiet"),
}

_KEY = {
    KeyUrgency.OK: ("OK", "ok"),
    KeyUrgency.DUE: ("RENEW SOON", "warn"),
    KeyUrgency.URGENT: ("URGENT", "bad"),
    KeyUrgency.EXPIRED: ("EXPIRED", "bad"),
    KeyUrgency.UNKNOWN: ("UNKNOWN", "warn"),
}


def word(text: str, tone: str) -> Text:
    return Text(text, style=_STYLE[tone])


def report_state(state: ReportState) -> Text:
    return word(*_REPORT[state])


def key_urgency(urgency: KeyUrgency) -> Text:
    return word(*_KEY[urgency])


def file_result(result: FileResult) -> Text:
    tone = {FileResult.VERIFIED: "ok", FileResult.FAILED: "bad"}.get(result, "warn")
    return word(str(result.value).upper(), tone)


def upload_result(result: UploadResult, sent: datetime, now: datetime) -> Text:
    if result is UploadResult.SUCCESS:
        return word("SUCCESS", "ok")
    if result is UploadResult.FAILED:
        return word("FAILED", "bad")
    return (
        word(f"awaiting {age(now - sent)}", "warn")
        if result is UploadResult.SENT
        else word(str(result.value), "warn")
    )


def age(span: timedelta) -> str:
    """``3 min``, ``2 h 05 min``, ``1 d 4 h``: how long something has waited."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def size(nbytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{nbytes:,} B"
