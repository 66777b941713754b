"""The daily retrieval under the facility's faults, against the simulator and OpenSSH's sshd.

Each fault hits one file; every test shows that the run goes on with the rest, that nothing is
lost (no partial file in the archive, nothing half-recorded) and that the next run finishes the job.
"""

from __future__ import annotations

import contextlib
import getpass
import io
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.remote import RemoteEntry
from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk import Desk, FacilityResult
from cpdesk.desk.sync_results import SilentReporter
from cpdesk.engine.status import FileResult, SyncStatus
from cpdesk.simulator.openssh import OpenSshServer, local_profile_text
from tests.support.paths import REPO
from tests.support.sites import SiteFactory
from tests.support.sshd import require_sshd

BIG = "RPF01_HKSCC_20210507210000.CSV.ZIP"  # ~1.3 MB stored: many read requests
SMALL = ("TP001_CXYZ_20210507.csv", "RX_AUDIT_CXYZ_20210507.csv")


def _stored_zip(member: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(member, content)
    return buffer.getvalue()


CONTENT = {
    BIG: _stored_zip(BIG.removesuffix(".ZIP"), os.urandom(1_300_000)),
    SMALL[0]: b"a,b\n1,2\n",
    SMALL[1]: b"c,d\n3,4\n",
}


class Hooks(SilentReporter):
    """A reporter that lets a test act at a moment of the run (after the listing, at a file's start)."""

    def __init__(self) -> None:
        self.after_listing: Callable[[], object] = lambda: None
        self.at_start: dict[str, Callable[[], object]] = {}
        self.at_first_bytes: dict[str, Callable[[], object]] = {}
        self.resumed: dict[str, int] = {}
        self.warnings: list[str] = []

    def listed(self, facility: str, files: int, new: int) -> None:
        self.after_listing()

    def started(self, entry: RemoteEntry, resume_from: int) -> None:
        self.resumed[entry.name] = resume_from
        action = self.at_start.pop(entry.name, None)
        if action is not None:
            action()

    def advanced(self, entry: RemoteEntry, nbytes: int) -> None:
        action = self.at_first_bytes.pop(entry.name, None)
        if action is not None:
            action()

    def warn(self, text: str) -> None:
        self.warnings.append(text)


@dataclass
class Server:
    """A facility with the three files in its download folder, and how to hurt it."""

    kind: str
    folder: Path  # the local working folder: cpdesk.toml, keys, archive, ledger
    publish: Callable[[str, bytes], object]
    remove: Callable[[str], None]
    refuse: Callable[[str], None]  # reading this file answers SFTP "Failure"
    stall: Callable[[Hooks], list[Callable[[], None]]]  # go silent midway through BIG; the wake-ups
    stopped: list[Callable[[], None]] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.folder / "cpdesk.toml"

    def sync(self, hooks: Hooks | None = None, refetch: tuple[str, ...] = ()) -> FacilityResult:
        with Desk.open(self.config) as desk:
            (result,) = desk.sync(hooks or Hooks(), refetch=refetch).facilities
        return result

    def archived(self, name: str) -> Path | None:
        found = [p for p in (self.folder / "archive").rglob(name) if ".partial" not in p.parts]
        return found[0] if found else None


def _config(folder: Path, profile: str, participant: str, host: str, account: str) -> None:
    (folder / "cpdesk.toml").write_text(
        'archive = "archive"\nledger = "ledger.sqlite"\nknown_hosts = "known_hosts"\n\n'
        f'[[facility]]\nname = "faults"\nprofile = "{profile}"\nparticipant = "{participant}"\n'
        f'hosts = ["{host}"]\ncheck_hours = false\nidle_timeout_seconds = 2\n\n'
        f'[[facility.accounts]]\nname = "{account}"\nkey = "keys/{account}"\n'
    )


def _simulator(make_site: SiteFactory) -> Server:
    site = make_site(publish=False)
    store = site.facility.store
    folder = "participant/CXYZ/CXYZ"
    for name, content in CONTENT.items():
        store.put(folder, name, content, mtime=site.clock.now())
    _config(site.folder, "derivatives", "CXYZ", str(site.address), site.account)

    def stall(hooks: Hooks) -> list[Callable[[], None]]:
        site.facility.faults.stall_after_bytes = 600_000  # the server goes silent past this byte
        return []

    return Server(
        "simulator",
        site.folder,
        lambda name, content: store.put(folder, name, content),
        lambda name: store.remove(folder, name),
        site.facility.faults.fail_reads.add,
        stall,
    )


def _sshd(tmp_path: Path) -> Iterator[Server]:
    require_sshd()
    user = getpass.getuser()
    remote = tmp_path / "remote"
    participant = "CXYZ"
    data = remote / participant
    data.mkdir(parents=True)
    (remote / "elsewhere").mkdir()
    for name, content in CONTENT.items():
        (data / name).write_bytes(content)
    profile = tmp_path / "sshd-profile.toml"
    profile.write_text(local_profile_text(user, remote))
    from cpdesk.connectors.sftp.profile import parse_profile

    server = OpenSshServer(tmp_path / "sshd", parse_profile(profile.read_text(), "sshd").algorithms)
    server.authorize(write_new_rsa_key(tmp_path / "keys" / user))
    address = server.start()
    KnownHosts(tmp_path / "known_hosts").add(address, server.host_public_key())
    _config(tmp_path, str(profile), participant, str(address), user)

    def refuse(name: str) -> None:  # a link to a folder: OpenSSH answers a read of it with "Failure"
        (data / name).unlink()
        (data / name).symlink_to(remote / "elsewhere", target_is_directory=True)

    def stall(hooks: Hooks) -> list[Callable[[], None]]:
        """Stop sshd's session process once BIG's first bytes arrived (it may have sent them all)."""
        wakes: list[Callable[[], None]] = []

        def stop() -> None:
            assert server.process is not None
            children = subprocess.run(
                ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
            for pid in children:
                os.kill(int(pid), signal.SIGSTOP)

            def wake() -> None:
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGCONT)

            wakes.append(wake)

        hooks.at_first_bytes[BIG] = stop
        return wakes

    try:
        yield Server(
            "sshd",
            tmp_path,
            lambda name, content: (data / name).write_bytes(content),
            lambda name: (data / name).unlink(),
            refuse,
            stall,
        )
    finally:
        server.stop()


@pytest.fixture(params=["simulator", "sshd"])
def server(request: pytest.FixtureRequest, make_site: SiteFactory, tmp_path: Path) -> Iterator[Server]:
    if request.param == "simulator":
        yield _simulator(make_site)
    else:
        yield from _sshd(tmp_path)


def outcomes(result: FacilityResult) -> dict[str, FileResult]:
    return {f.name: f.result for f in result.files}


def assert_whole(server: Server, *names: str) -> None:
    for name in names:
        archived = server.archived(name)
        assert archived is not None, name
        assert archived.read_bytes() == CONTENT[name], name


# -- one file fails, the rest go on -------------------------------------------------------------


def test_a_failure_status_on_one_file_does_not_stop_the_others(server: Server) -> None:
    server.refuse(SMALL[0])
    result = server.sync()
    assert outcomes(result)[SMALL[0]] is FileResult.REFUSED
    assert "Failure" in next(f.detail for f in result.files if f.name == SMALL[0])
    assert_whole(server, BIG, SMALL[1])
    assert result.status is SyncStatus.PARTIAL
    with Ledger(server.folder / "ledger.sqlite") as ledger:
        assert SMALL[0] not in {row.name for row in ledger.files()}  # tried again next run


def test_a_name_that_is_not_utf8_is_skipped_and_the_rest_fetched(server: Server, tmp_path: Path) -> None:
    if server.kind == "sshd":
        folder = tmp_path / "remote" / "CXYZ"
        descriptor = os.open(bytes(folder) + b"/bad\xff.csv", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(descriptor, b"x")
        os.close(descriptor)
    else:
        server.publish("bad\udcff.csv", b"x")
    result = server.sync()
    assert [p.message for p in result.skipped_names] == ["name is not UTF-8 text"]
    assert result.status is SyncStatus.OK
    assert_whole(server, BIG, *SMALL)


def test_a_255_byte_name_is_fetched(server: Server) -> None:
    name = "TP001_" + "X" * 245 + ".csv"
    assert len(name.encode()) == 255
    CONTENT[name] = b"long name\n"
    try:
        server.publish(name, CONTENT[name])
        result = server.sync()
        assert outcomes(result)[name] is FileResult.VERIFIED
        assert_whole(server, name, BIG, *SMALL)
    finally:
        del CONTENT[name]


def test_a_file_removed_after_the_listing_is_reported_gone(server: Server) -> None:
    hooks = Hooks()
    hooks.after_listing = lambda: server.remove(SMALL[0])
    result = server.sync(hooks)
    assert outcomes(result)[SMALL[0]] is FileResult.GONE
    assert_whole(server, BIG, SMALL[1])
    assert not list((server.folder / "archive").rglob("*.part"))


def test_a_file_still_growing_is_fetched_once_it_stops(server: Server) -> None:
    hooks = Hooks()
    hooks.at_start[SMALL[0]] = lambda: server.publish(SMALL[0], CONTENT[SMALL[0]] + b"5,6\n")
    first = server.sync(hooks)
    assert outcomes(first)[SMALL[0]] is FileResult.CHANGING
    assert server.archived(SMALL[0]) is None
    assert_whole(server, BIG, SMALL[1])
    second = server.sync()
    assert outcomes(second) == {SMALL[0]: FileResult.VERIFIED}
    archived = server.archived(SMALL[0])
    assert archived is not None
    assert archived.read_bytes() == CONTENT[SMALL[0]] + b"5,6\n"


def test_a_failed_file_is_fetched_again_once_the_server_has_it_whole(server: Server) -> None:
    server.publish(BIG, CONTENT[BIG][:1000])  # HKEX still writing it: a truncated zip
    first = server.sync()
    assert outcomes(first)[BIG] is FileResult.FAILED
    assert server.sync().new == 0  # the same broken copy is not fetched again
    time.sleep(1.1)  # a later modification time, as HKEX's finished file has
    server.publish(BIG, CONTENT[BIG])
    third = server.sync()
    assert outcomes(third) == {BIG: FileResult.VERIFIED}
    archived = server.archived(BIG)
    assert archived is not None
    assert archived.read_bytes() == CONTENT[BIG]  # the whole file replaced the truncated one


def test_refetch_fetches_a_file_again_on_request(server: Server) -> None:
    server.sync()
    again = server.sync(refetch=(SMALL[1],))
    assert outcomes(again) == {SMALL[1]: FileResult.VERIFIED}


# -- the connection fails -----------------------------------------------------------------------


def _stalled_midway(server: Server) -> FacilityResult:
    """A sync whose server goes silent once the large file's first bytes arrived."""
    hooks = Hooks()
    wakes = server.stall(hooks)
    started = time.monotonic()
    try:
        result = server.sync(hooks)
    finally:
        for wake in wakes:
            wake()
    assert time.monotonic() - started < 30  # bounded by the 2 s idle timeout, not forever
    return result


def test_a_stalled_server_times_out_and_the_next_run_resumes(server: Server) -> None:
    first = _stalled_midway(server)
    assert outcomes(first)[BIG] is FileResult.INTERRUPTED
    assert first.status is SyncStatus.PARTIAL
    assert server.archived(BIG) is None
    (partial,) = (server.folder / "archive").rglob("*.part")
    kept = partial.stat().st_size
    assert 0 < kept <= len(CONTENT[BIG])  # sshd may have sent it all before it stopped
    hooks = Hooks()
    second = server.sync(hooks)
    assert hooks.resumed[BIG] == kept
    assert outcomes(second).get(BIG) is FileResult.VERIFIED
    assert_whole(server, BIG, *SMALL)


def test_a_corrupted_partial_file_is_started_over(server: Server) -> None:
    _stalled_midway(server)
    (partial,) = (server.folder / "archive").rglob("*.part")
    with partial.open("r+b") as handle:  # damage the kept bytes
        kept = handle.read()
        handle.seek(0)
        handle.write(bytes(b ^ 0xFF for b in kept))
    hooks = Hooks()
    second = server.sync(hooks)
    assert hooks.resumed[BIG] == 0
    assert any("starting it over" in w for w in hooks.warnings)
    assert outcomes(second).get(BIG) is FileResult.VERIFIED
    assert_whole(server, BIG)


def test_a_full_disk_stops_the_run_with_its_reason_and_loses_nothing(server: Server) -> None:
    """The sync runs in a process whose files may not exceed 1 MB (RLIMIT_FSIZE): the large file
    cannot be written, as on a full disk."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "cpdesk.cli.main", "sync", "--json", "--config", str(server.config)],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=limit,
        check=False,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr  # partial
    assert "Traceback" not in done.stderr
    assert "File too large" in done.stdout
    assert server.archived(BIG) is None
    second = server.sync()
    assert outcomes(second).get(BIG) is FileResult.VERIFIED
    assert_whole(server, BIG, *SMALL)


# -- another client locks the account (the facility's rule; sshd has none) -----------------------


def test_a_lock_by_another_client_is_recorded_and_the_other_account_used(make_site: SiteFactory) -> None:
    site = make_site()
    second_key = write_new_rsa_key(site.folder / "keys" / "CXYZ002")
    site.facility.authorize("CXYZ002", second_key)
    config = site.config(check_hours="false")
    text = config.path.read_text() + '\n[[facility.accounts]]\nname = "CXYZ002"\nkey = "keys/CXYZ002"\n'
    config.path.write_text(text)
    with Desk.open(config.path, clock=site.now) as desk:
        assert desk.sync().status is SyncStatus.OK  # CXYZ001 signs on: its key works
    for _ in range(6):  # another workstation signs on with CXYZ001 and locks it
        site.facility.sign_on("CXYZ001")
    hooks = Hooks()
    with Desk.open(config.path, clock=site.now) as desk:
        (result,) = desk.sync(hooks).facilities
        assert (result.status, result.account) == (SyncStatus.NOTHING_NEW, "CXYZ002")
        (warning,) = [w for w in hooks.warnings if "probably locked" in w]
        assert "until 21:35:05 HKT; cpdesk will not try it before then" in warning
        (again,) = desk.sync().facilities  # CXYZ001 is not tried before the lock ends
        assert again.account == "CXYZ002"
        assert [s.account for s in site.facility.sign_ons[-2:]] == ["CXYZ002", "CXYZ002"]
