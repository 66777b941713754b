"""What workers tell the dashboard (posted from their threads; Textual delivers them in order)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from cpdesk.desk import FileOutcome, RenewalOutcome, SyncReport
from cpdesk.tui.state import DeskState


@dataclass
class StateRead(Message):
    """A refresh finished: the views show ``state``."""

    state: DeskState


@dataclass
class StateUnreadable(Message):
    """A refresh failed (the ledger or the configuration): the views keep the last state."""

    reason: str


@dataclass
class SyncListed(Message):
    facility: str
    files: int
    new: int


@dataclass
class SyncFileStarted(Message):
    name: str
    size: int
    resume_from: int


@dataclass
class SyncProgressed(Message):
    nbytes: int


@dataclass
class SyncFileFinished(Message):
    outcome: FileOutcome


@dataclass
class SyncWarned(Message):
    text: str


@dataclass
class SyncEnded(Message):
    """The sync ended: ``report`` when it ran, else ``failure`` (why it could not)."""

    report: SyncReport | None
    failure: str = ""


@dataclass
class RenewalEnded(Message):
    """A renewal ended: ``outcome`` when it ran, else ``failure`` (why it could not)."""

    account: str
    outcome: RenewalOutcome | None
    failure: str = ""
