"""A :class:`Desk` on an in-memory facility: the desk's workflows without a network, in milliseconds.

The facility follows a real profile's folder rules, signs on through the desk's governor and answers
uploads as HKEX does (a LOP result file in /LOPRESULT, a key renewal result in /KEY_MANAGEMENT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cpdesk.connectors.sftp.memory import MemoryFacility
from cpdesk.connectors.sftp.profile import load_profile
from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.desk import Desk
from cpdesk.engine.calendar import HKT
from cpdesk.simulator.lop import result_text
from tests.support.sites import EVENING


@dataclass
class FakeClock:
    """A clock the tests move; sleeping moves it on (nobody waits)."""

    moment: datetime = EVENING
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.moment.timestamp()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        self.moment = moment


def answer_lop(facility: MemoryFacility, account: str, folder: str, name: str, content: bytes) -> None:
    """HKEX's answer to a LOP report: a result file in /LOPRESULT (Success for an xlsx)."""
    if folder != "LOPREPORT":
        return
    at = datetime.fromtimestamp(facility.clock(), HKT)
    success = content.startswith(b"PK")
    text = result_text(name, len(content), f"{at:%Y.%m.%d %H:%M:%S}", success)
    facility.put_file("LOPRESULT", f"Result.{at:%Y%m%d}.{at:%H%M%S}0000.txt", text.encode())


def answer_key(facility: MemoryFacility, account: str, folder: str, name: str, content: bytes) -> None:
    """HKEX's import of an uploaded public key: the key file is consumed, a result file written."""
    if folder != "KEY_MANAGEMENT" or not name.endswith(".pub"):
        return
    facility.remove_file(folder, name, account)
    at = datetime.fromtimestamp(facility.clock(), HKT)
    text = (
        f"= File name:      {name}\n= Import date:    {at:%Y.%m.%d %H:%M:%S}\n"
        f"= File size:      {len(content)}\nResult: Success\n"
    )
    facility.put_file(folder, f"Result.{at:%Y%m%d.%H%M%S}.success.txt", text.encode(), account=account)


@dataclass
class MemoryDesk:
    desk: Desk
    facility: MemoryFacility
    clock: FakeClock
    config_path: Path


def memory_desk(
    folder: Path,
    profile: str = "derivatives",
    participant: str = "CXYZ",
    account: str = "CXYZ001",
    name: str = "derivatives",
    extra: str = "",
) -> MemoryDesk:
    """A configuration, a key and a desk whose transport is an in-memory facility."""
    clock = FakeClock()
    facility = MemoryFacility(load_profile(profile), participant, clock=clock)
    facility.accounts.add(account)
    facility.upload_hooks += [answer_lop, answer_key]
    write_new_rsa_key(folder / "keys" / account)
    config_path = folder / "cpdesk.toml"
    config_path.write_text(
        f'archive = "archive"\nledger = "ledger.sqlite"\nknown_hosts = "known_hosts"\n{extra}\n'
        f'[[facility]]\nname = "{name}"\nprofile = "{profile}"\nparticipant = "{participant}"\n'
        'hosts = ["127.0.0.1:9"]\ncheck_hours = false\n\n'
        f'[[facility.accounts]]\nname = "{account}"\nkey = "keys/{account}"\n'
    )
    desk = Desk.open(config_path, clock=clock, sleep=clock.sleep, transport=facility.connect)
    return MemoryDesk(desk, facility, clock, config_path)
