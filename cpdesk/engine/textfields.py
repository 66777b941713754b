"""Reading ``Label: value`` lines from HKEX's result files, whatever frames them (``= ... =``)."""

from __future__ import annotations

import re
from datetime import datetime


def labelled_field(text: str, label: str) -> str:
    """The value after ``label:`` on its line, without surrounding ``=`` frames; "" when absent."""
    match = re.search(rf"^[=\s]*{label}\s*:\s*(.*?)\s*=*\s*$", text, re.IGNORECASE | re.MULTILINE)
    return match.group(1).strip() if match else ""


def timestamp(text: str) -> datetime | None:
    """``2020.05.27 16:49:23`` (HKEX's result files) or ISO-like forms."""
    for pattern in ("%Y.%m.%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y%m%d %H%M%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None
