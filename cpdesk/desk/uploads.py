"""The upload governor: the key-upload control (5 an hour, 120 a day per account, guide §6.3)
enforced before an upload is attempted, across processes, from the shared ledger."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time

from cpdesk.connectors.errors import UploadLimitReached
from cpdesk.connectors.store.ledger import Ledger, UploadRow
from cpdesk.engine.calendar import HKT
from cpdesk.engine.hkex import CLOCK_MARGIN_SECONDS
from cpdesk.engine.status import UploadKind, UploadResult

UNLIMITED = 1 << 30


@dataclass(frozen=True, slots=True)
class UploadBudget:
    """An account's uploads of one kind against the control, as the governor counts them."""

    facility: str
    account: str
    in_hour: int  # in the last hour (plus the clock margin)
    per_hour: int
    today: int  # since midnight HKT
    per_day: int

    @property
    def left(self) -> int:
        return max(0, min(self.per_hour - self.in_hour, self.per_day - self.today))


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
        day_start = _day_start(now)
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

    def budget(self, facility: str, account: str, kind: UploadKind) -> UploadBudget:
        """How many uploads of ``kind`` the account made in the hour and the day (not counting
        the ones never sent)."""
        now = self.clock()
        hour_start, day_start = now - 3600 - CLOCK_MARGIN_SECONDS, _day_start(now)
        times = [
            u.at
            for u in self.ledger.uploads(kind)
            if u.account == account and u.result is not UploadResult.RELEASED
        ]
        return UploadBudget(
            facility,
            account,
            sum(1 for t in times if t > hour_start),
            self.per_hour,
            sum(1 for t in times if t >= day_start),
            self.per_day,
        )

    def finish(self, upload_id: int, result: UploadResult, detail: str = "", result_file: str = "") -> None:
        self.ledger.finish_upload(upload_id, result, detail, result_file, self.clock())


def _day_start(now: float) -> float:
    """Midnight HKT of the day ``now`` falls on (the daily control counts from it)."""
    return datetime.combine(datetime.fromtimestamp(now, HKT).date(), clock_time(0), HKT).timestamp()
