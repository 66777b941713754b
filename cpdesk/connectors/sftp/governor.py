"""The sign-on governor: cpdesk never makes the sixth sign-on attempt within five minutes.

Every attempt, successful or not, is reserved in the shared ledger *before* it is made, inside an
immediate transaction, so processes racing for the last slot cannot both get it. An attempt that
never reached the server (no route, unknown host key) is released and does not count.
A small margin on the window absorbs clock differences between cpdesk and the facility.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cpdesk.connectors.errors import SignOnBudgetExhausted
from cpdesk.engine.calendar import HKT
from cpdesk.engine.hkex import CLOCK_MARGIN_SECONDS


class SignOnRecord(Protocol):
    """Where sign-on attempts are kept, shared by every cpdesk process (the ledger implements it)."""

    def reserve_sign_on(
        self, facility: str, account: str, now: float, window_seconds: float, limit: int
    ) -> int | float:
        """Record a pending attempt and return its id; or, when ``limit`` attempts already fall in
        the window, record nothing and return when the oldest of them leaves it."""
        ...

    def finish_sign_on(self, attempt: int, outcome: str, detail: str = "") -> None: ...


@dataclass(frozen=True, slots=True)
class SignOnTicket:
    attempt: int
    account: str


class SignOnGovernor:
    def __init__(
        self,
        ledger: SignOnRecord,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ledger = ledger
        self.limit = limit
        self.window_seconds = window_seconds + CLOCK_MARGIN_SECONDS
        self.clock = clock
        self.sleep = sleep

    def reserve(self, facility: str, account: str, max_wait_seconds: float = 0.0) -> SignOnTicket:
        """A slot for one sign-on attempt now, waiting up to ``max_wait_seconds`` for one."""
        deadline = self.clock() + max_wait_seconds
        while True:
            now = self.clock()
            result = self.ledger.reserve_sign_on(facility, account, now, self.window_seconds, self.limit)
            if isinstance(result, int):
                return SignOnTicket(result, account)
            if result > deadline:
                when = datetime.fromtimestamp(result, HKT).strftime("%H:%M:%S")
                window = self.window_seconds - CLOCK_MARGIN_SECONDS
                raise SignOnBudgetExhausted(
                    f"{account}: {self.limit} sign-ons already made within {window:.0f} seconds; "
                    f"the next is allowed at {when} HKT (not attempted)",
                    result,
                )
            self.sleep(max(0.0, result - now) + 0.01)

    def finish(self, ticket: SignOnTicket, outcome: str, detail: str = "") -> None:
        self.ledger.finish_sign_on(ticket.attempt, outcome, detail)
