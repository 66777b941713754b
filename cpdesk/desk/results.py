"""Waiting for HKEX's answer to an upload: the one poller for LOP results (/LOPRESULT) and key
renewal results (/KEY_MANAGEMENT).

HKEX writes a result file some time after an upload; some facilities show it only in a fresh
listing (guide §6), so the folder is listed again every ``poll_seconds`` until the caller has what
it waits for or the wait is over.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from cpdesk.connectors.sftp.remote import RemoteFs

Steps = Callable[[str], None]
"""Hears each step of a job that signs on and waits ("signed on as CXYZ001", "waiting for ...")."""


def quiet(text: str) -> None:
    """A :data:`Steps` that says nothing."""


@dataclass(frozen=True, slots=True)
class ResultFile:
    name: str
    mtime: float  # epoch seconds, as the server lists it
    text: str


def new_result_files(fs: RemoteFs, folder: str, pattern: re.Pattern[str], skip: set[str]) -> list[ResultFile]:
    """Files in ``/folder`` whose names match ``pattern`` and are not in ``skip``, read (in name
    order, so oldest first) and added to ``skip``."""
    fresh = []
    for entry in sorted(fs.list(folder), key=lambda e: e.name):
        if entry.is_dir or entry.name in skip or not pattern.match(entry.name):
            continue
        skip.add(entry.name)
        sink = io.BytesIO()
        fs.get(folder, entry.name, sink)
        fresh.append(ResultFile(entry.name, entry.mtime, sink.getvalue().decode("utf-8", errors="replace")))
    return fresh


def poll_result_files(
    fs: RemoteFs,
    folder: str,
    pattern: re.Pattern[str],
    skip: set[str],
    take: Callable[[list[ResultFile]], bool],
    *,
    wait_seconds: float,
    poll_seconds: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> bool:
    """Hand each batch of new result files to ``take`` until it returns True (then True) or
    ``wait_seconds`` pass (then False)."""
    deadline = clock() + wait_seconds
    while True:
        if take(new_result_files(fs, folder, pattern, skip)):
            return True
        if clock() >= deadline:
            return False
        sleep(poll_seconds)
