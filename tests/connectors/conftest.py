"""Simulated facilities, keys and configurations for the connector tests (real SSH on loopback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import asyncssh
import pytest

from cpdesk.connectors.config import CpdeskConfig, load_config
from cpdesk.connectors.hostkeys import KnownHosts
from cpdesk.connectors.keyfiles import write_new_rsa_key
from cpdesk.connectors.profile import HKT, Address, load_profile
from cpdesk.connectors.simulator.day import publish_day
from cpdesk.connectors.simulator.server import SimulatedFacility
from cpdesk.connectors.simulator.store import SimClock

DAY = date(2021, 5, 7)  # a Friday: seed 003's sample day
EVENING = datetime(2021, 5, 7, 21, 30, tzinfo=HKT)


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


@pytest.fixture(scope="session")
def host_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-rsa", key_size=2048)


SiteFactory = Callable[..., Site]


@pytest.fixture
def make_site(tmp_path: Path, host_key: asyncssh.SSHKey) -> Iterator[SiteFactory]:
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
            from cpdesk.connectors.sftp_client import Credentials

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

    yield make
    for facility in started:
        facility.stop()
