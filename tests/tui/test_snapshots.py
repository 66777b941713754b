"""SVG snapshots of every view at 80x24 and 120x40, with a frozen clock and a fixed key.

The day is the simulator's (2021-05-07, 21:30 HKT) synced once; the account's key is
``tests/support/keys/snapshot_B00001`` (test-only) registered 2019-05-18, so the Keys view reads
URGENT with 10 days left. Update after a deliberate change with ``pytest --snapshot-update`` and
look at the SVGs in ``tests/tui/__snapshots__/`` before committing them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cpdesk.desk import Desk
from cpdesk.desk.config import load_config
from cpdesk.tui import DashboardApp
from tests.support.paths import REPO
from tests.support.sites import SiteFactory

KEY = REPO / "tests" / "support" / "keys" / "snapshot_B00001"
VIEWS = {"today": "1", "keys": "2", "lop": "3", "history": "4", "help": "question_mark"}


@pytest.fixture
def synced_desk(tmp_path: Path, make_site: SiteFactory) -> Any:
    (tmp_path / "keys").mkdir()
    shutil.copy(KEY, tmp_path / "keys" / "B00001")
    (tmp_path / "keys" / "B00001").chmod(0o600)
    site = make_site("securities-rap", "B00001", "B00001", name="securities", rpf_instruments=60)
    site.config(check_hours="false")
    toml = site.folder / "cpdesk.toml"
    toml.write_text(toml.read_text() + "registered = 2019-05-18\n")
    desk = Desk(load_config(toml), clock=site.now)
    report = desk.sync()
    assert report.total("verified") == 36
    yield desk
    desk.close()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_view_snapshot(view: str, size: tuple[int, int], synced_desk: Desk, snap_compare: Any) -> None:
    app = DashboardApp(synced_desk)

    async def loaded(pilot: Any) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press(VIEWS[view])
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=loaded)
