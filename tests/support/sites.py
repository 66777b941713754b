"""Simulated facilities, keys and configurations for tests (a real SSH server on loopback).

The ``make_site`` fixture (tests/conftest.py) starts them; these helpers sign on, sync and look
at the archive the way the desk and command tests all need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import asyncssh

from cpdesk.connectors.sftp.client import Credentials, SftpSession, open_session
from cpdesk.connectors.sftp.governor import SignOnGovernor
from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import HKT, Address, load_profile
from cpdesk.connectors.sftp.remote import RemoteEntry
from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk.config import CpdeskConfig, load_config
from cpdesk.desk.sync import FacilitySync
from cpdesk.desk.sync_results import FacilityResult, SilentReporter
from cpdesk.engine.reports.catalogue import load_catalogue
from cpdesk.simulator.day import publish_day
from cpdesk.simulator.server import SimulatedFacility
from cpdesk.simulator.store import SimClock

DAY = date(2021, 5, 7)  # a Friday: seed 003's sample day
EVENING = datetime(2021, 5, 7, 21, 30, tzinfo=HKT)
CATALOGUE = load_catalogue()


@dataclass
class Site:
    facility: SimulatedFacility
    address: Address
    clock: SimClock
    folder: Path
    name: str
    participant: str
    account: str

    @property
    def key(self) -> Path:
        return self.folder / "keys" / self.account

    def config(self, **extra: object) -> CpdeskConfig:
        lines = [
            'archive = "archive"',
            'ledger = "ledger.sqlite"',
            'known_hosts = "known_hosts"',
            "",
            "[[facility]]",
            f'name = "{self.name}"',
            f'profile = "{self.facility.profile.name}"',
            f'participant = "{self.participant}"',
        ]
        if "hosts" not in extra:
            lines.append(f'hosts = ["{self.address}"]')
        lines += [f"{k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in extra.items()]
        lines += ["", "[[facility.accounts]]", f'name = "{self.account}"', f'key = "keys/{self.account}"']
        (self.folder / "cpdesk.toml").write_text("\n".join(lines) + "\n")
        return load_config(self.folder / "cpdesk.toml")

    def now(self) -> float:
        return self.clock.now().timestamp()


SiteFactory = Callable[..., Site]


@contextmanager
def site_factory(tmp_path: Path, host_key: asyncssh.SSHKey) -> Iterator[SiteFactory]:
    """Start simulated facilities in ``tmp_path`` (all stopped on leaving)."""
    started: list[SimulatedFacility] = []

    def make(
        profile: str = "derivatives",
        participant: str = "CXYZ",
        account: str = "CXYZ001",
        *,
        publish: bool = True,
        sha1_only: bool = False,
        trust: bool = True,
        rpf_instruments: int = 60,
        name: str | None = None,
    ) -> Site:
        clock = SimClock(EVENING)
        facility = SimulatedFacility(
            load_profile(profile), clock=clock.now, sha1_host_key_only=sha1_only, host_key=host_key
        )
        folder = tmp_path
        public = (
            write_new_rsa_key(folder / "keys" / account) if not (folder / "keys" / account).exists() else None
        )
        if public is None:
            key = Credentials(account, folder / "keys" / account).load_key()
            public = f"{key.get_name()} {key.get_base64()}"
        facility.authorize(account, public)
        if publish:
            publish_day(facility, participant, DAY, rpf_instruments)
        address = facility.start()
        started.append(facility)
        if trust:
            KnownHosts(folder / "known_hosts").add(address, facility.host_public_key())
        return Site(facility, address, clock, folder, name or profile, participant, account)

    try:
        yield make
    finally:
        for facility in started:
            facility.stop()


def probe_session(site: Site, key: Path) -> SftpSession:
    """A sign-on outside any configuration (its own ledger, a generous governor)."""
    ledger = Ledger(site.folder / "probe.sqlite")
    return open_session(
        "probe",
        site.facility.profile,
        [site.address],
        Credentials(site.account, key),
        KnownHosts(site.folder / "known_hosts"),
        SignOnGovernor(ledger, 1000, 300, site.now),
    )


class Recorder(SilentReporter):
    """A sync reporter that keeps what tests look at."""

    def __init__(self) -> None:
        self.resumed: dict[str, int] = {}
        self.warnings: list[str] = []

    def started(self, entry: RemoteEntry, resume_from: int) -> None:
        self.resumed[entry.name] = resume_from

    def warn(self, text: str) -> None:
        self.warnings.append(text)


def run_sync(
    site: Site, dry_run: bool = False, reporter: Recorder | None = None, **config: object
) -> FacilityResult:
    """One facility's sync on the simulator's clock, outside operation-hours checks."""
    cfg = site.config(check_hours="false", **config)
    with Ledger(cfg.ledger) as ledger:
        return FacilitySync(cfg, cfg.facilities[0], ledger, CATALOGUE, reporter, site.now).run(dry_run)


def archived_files(site: Site) -> list[Path]:
    return sorted(
        p for p in (site.folder / "archive").rglob("*") if p.is_file() and ".partial" not in p.parts
    )
