"""The sign-on governor on a real SQLite ledger, within one process and across processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from cpdesk.connectors.errors import SignOnBudgetExhausted
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.engine.hkex import CLOCK_MARGIN_SECONDS
from cpdesk.engine.status import SignOnOutcome


class FakeTime:
    """A clock and a sleep that moves it (the ledger and its SQL are real)."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_sixth_attempt_in_five_minutes_is_never_made(tmp_path: Path) -> None:
    clock = FakeTime(1_000_000.0)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        governor = SignOnGovernor(ledger, 5, 300, clock, clock.sleep)
        for _ in range(5):
            governor.finish(governor.reserve("d", "CXYZ001"), "ok")
            clock.now += 10
        with pytest.raises(SignOnBudgetExhausted) as exhausted:
            governor.reserve("d", "CXYZ001")
        assert exhausted.value.next_slot_at == 1_000_000.0 + 300 + CLOCK_MARGIN_SECONDS
        assert "not attempted" in str(exhausted.value)
        assert len(ledger.sign_ons()) == 5
        governor.reserve("d", "CXYZ002")  # another account has its own budget
        clock.now = exhausted.value.next_slot_at + 0.001
        governor.reserve("d", "CXYZ001")


def test_waiting_for_a_slot(tmp_path: Path) -> None:
    clock = FakeTime(0.0)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        governor = SignOnGovernor(ledger, 5, 300, clock, clock.sleep)
        for _ in range(5):
            governor.reserve("d", "CXYZ001")
        with pytest.raises(SignOnBudgetExhausted):
            governor.reserve("d", "CXYZ001", max_wait_seconds=100)
        governor.reserve("d", "CXYZ001", max_wait_seconds=400)
        assert clock.slept
        assert clock.now >= 300 + CLOCK_MARGIN_SECONDS


def test_released_attempts_do_not_count(tmp_path: Path) -> None:
    clock = FakeTime(0.0)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        governor = SignOnGovernor(ledger, 5, 300, clock, clock.sleep)
        for _ in range(10):
            governor.finish(governor.reserve("d", "CXYZ001"), "released", "unknown host key")
        governor.reserve("d", "CXYZ001")
        assert [row.outcome for row in ledger.sign_ons()].count(SignOnOutcome.PENDING) == 1


def _race(path: str, start: multiprocessing.synchronize.Event, results: multiprocessing.Queue[str]) -> None:
    with Ledger(Path(path)) as ledger:
        governor = SignOnGovernor(ledger, 5, 300)
        start.wait()
        try:
            governor.reserve("d", "CXYZ001")
            results.put("reserved")
        except SignOnBudgetExhausted:
            results.put("refused")


def test_processes_racing_share_one_budget(tmp_path: Path) -> None:
    path = str(tmp_path / "l.sqlite")
    Ledger(Path(path)).close()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results: multiprocessing.Queue[str] = context.Queue()
    workers = [context.Process(target=_race, args=(path, start, results)) for _ in range(8)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert outcomes == ["refused"] * 3 + ["reserved"] * 5
    with Ledger(Path(path)) as ledger:
        assert len(ledger.sign_ons()) == 5
