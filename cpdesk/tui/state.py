"""What the dashboard shows, read from the desk in one go on a worker thread.

Nothing here decides anything: every figure comes from a :class:`~cpdesk.desk.Desk` method. One
:class:`DeskState` is one consistent read (a refresh replaces it whole), stamped with when it was
taken, so a view can say how old it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cpdesk.connectors.store.ledger import FileRow, SyncRunRow
from cpdesk.desk import Desk, KeyStatus, LopRecord, RetrievalStatus, SignOnBudget
from cpdesk.desk.uploads import UploadBudget


@dataclass(frozen=True, slots=True)
class DeskState:
    taken_at: datetime  # HKT, by the desk's clock
    business_date: date
    retrieval: RetrievalStatus
    budget: SignOnBudget
    keys: tuple[KeyStatus, ...]
    key_uploads: tuple[UploadBudget, ...]
    lop: tuple[LopRecord, ...]
    history: tuple[FileRow, ...]  # the ledger's files of ``business_date``
    last_download: datetime | None  # the ledger's latest archived file, any day
    last_syncs: tuple[SyncRunRow, ...]  # how each facility's latest sync ended (any process)
    sync_times: tuple[datetime, ...]  # today's: when reports become due (for --auto-sync)


def read_state(desk: Desk, business_date: date) -> DeskState:
    """One read of everything the views show (ledger and files only: nothing signs on)."""
    history = desk.history(business_date)
    latest = desk.latest_download()
    return DeskState(
        desk.now(),
        business_date,
        desk.retrieval_status(business_date),
        desk.sign_on_budget(),
        desk.key_status(),
        desk.key_upload_budget(),
        desk.lop_results(),
        history,
        latest,
        desk.last_syncs(),
        desk.sync_times(),
    )
