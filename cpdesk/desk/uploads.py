"""The upload governor: the key-upload control (5 an hour, 120 a day per account, guide §6.3)
enforced before an upload is attempted, across processes, from the shared ledger."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock_time

from cpdesk.connectors.errors import UploadLimitReached
from cpdesk.connectors.store.ledger import Ledger, UploadRow
from cpdesk.engine.calendar import HKT
from cpdesk.engine.hkex import CLOCK_MARGIN_SECONDS
from cpdesk.engine.status import UploadKind, UploadResult

UNLIMITED = 1 << 30


class UploadGovernor:
    def __init__(
        self,
        ledger: Ledger,
        per_hour: int = UNLIMITED,
        per_day: int = UNLIMITED,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self.per_hour = per_hour
        self.per_day = per_day
        self.clock = clock

    def reserve(
        self,
        facility: str,
        account: str,
        kind: UploadKind,
        folder: str,
        name: str,
        size: int = 0,
        sha256: str = "",
    ) -> int:
        """Record the upload as pending before it is made; refuse the one that would break the control."""
        now = self.clock()
        day_start = datetime.combine(datetime.fromtimestamp(now, HKT).date(), clock_time(0), HKT).timestamp()
        result = self.ledger.reserve_upload(
            UploadRow(None, facility, account, kind, folder, name, size, sha256, now),
            3600 + CLOCK_MARGIN_SECONDS,
            self.per_hour,
            day_start,
            self.per_day,
        )
        if isinstance(result, int):
            return result
        when = datetime.fromtimestamp(result, HKT).strftime("%Y-%m-%d %H:%M:%S")
        raise UploadLimitReached(
            f"{account}: a {kind} upload now would exceed {self.per_hour} an hour or {self.per_day} a day; "
            f"the next is allowed at {when} HKT (not attempted)"
        )

    def finish(self, upload_id: int, result: UploadResult, detail: str = "", result_file: str = "") -> None:
        self.ledger.finish_upload(upload_id, result, detail, result_file, self.clock())
