"""One contract for every remote file system (fsspec's ``tests/abstract``, rclone's ``fstests``).

The same tests run against the in-memory ``MemoryFs``, the asyncssh simulator and OpenSSH's sshd
(paramiko's client). What each method promises, and the errors it names, are in
``cpdesk/connectors/sftp/remote.py``. Folder rules (download-only, upload-only) and injected drops
exist where the implementation has them: the simulator and memory. sshd runs as this machine's
user (root in CI), whom file permissions do not stop.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cpdesk.connectors.errors import ConnectionLost, PermissionDenied, RemoteFileNotFound
from cpdesk.connectors.sftp.memory import MemoryFacility
from cpdesk.connectors.sftp.profile import parse_profile
from cpdesk.connectors.sftp.remote import RemoteFs
from cpdesk.simulator.openssh import local_profile_text
from tests.support.sites import EVENING, SiteFactory, probe_session
from tests.support.sshd import require_sshd, sshd_session

# Published in the download folder: a large file (many read requests) and a small one.
PUBLISHED = {
    "RPF01_HKSCC_20210507210000.CSV.ZIP": os.urandom(1_300_000),
    "TP001_CXYZ_20210507.csv": b"a,b\n1,2\n",
}


@dataclass
class Contract:
    fs: RemoteFs
    download: str  # holds PUBLISHED
    upload: str  # takes uploads and lists them
    uploaded: Callable[[str], bytes | None]  # what the server holds under a name in ``upload``
    download_only: str | None = None  # refuses uploads (implementations with folder rules)
    upload_only: str | None = None  # refuses downloads
    drop: Callable[[int], None] | None = None  # cut the next download after N bytes


def _memory(tmp_path: Path) -> Iterator[Contract]:
    profile = parse_profile(local_profile_text("CXYZ001"), "derivatives")
    facility = MemoryFacility(profile, "CXYZ", clock=EVENING.timestamp)
    facility.accounts.add("CXYZ001")
    for name, content in PUBLISHED.items():
        facility.put_file("COMMON", name, content)

    def uploaded(name: str) -> bytes | None:
        found = facility.file("LOPREPORT", name)
        return found.content if found else None

    def drop(after: int) -> None:
        facility.drop_after_bytes = after

    with facility.session("CXYZ001") as fs:
        yield Contract(fs, "COMMON", "LOPREPORT", uploaded, "COMMON", "LOPREPORT", drop)


def _simulator(make_site: SiteFactory) -> Iterator[Contract]:
    site = make_site(publish=False)
    for name, content in PUBLISHED.items():
        site.facility.store.put("shared/COMMON", name, content)

    def uploaded(name: str) -> bytes | None:
        found = site.facility.store.get("participant/CXYZ/LOPREPORT", name)
        return found.content if found else None

    def drop(after: int) -> None:
        site.facility.faults.drop_after_bytes = after

    with probe_session(site, site.key) as fs:
        yield Contract(fs, "COMMON", "LOPREPORT", uploaded, "COMMON", "LOPREPORT", drop)


def _sshd(tmp_path: Path) -> Iterator[Contract]:
    require_sshd()
    root = tmp_path / "remote"
    (root / "COMMON").mkdir(parents=True)
    (root / "LOPREPORT").mkdir()
    for name, content in PUBLISHED.items():
        (root / "COMMON" / name).write_bytes(content)
    base = str(root).lstrip("/")

    def uploaded(name: str) -> bytes | None:
        path = root / "LOPREPORT" / name
        return path.read_bytes() if path.exists() else None

    with sshd_session(tmp_path, root) as fs:
        yield Contract(fs, f"{base}/COMMON", f"{base}/LOPREPORT", uploaded)


@pytest.fixture(params=["memory", "simulator", "sshd"])
def contract(request: pytest.FixtureRequest, tmp_path: Path, make_site: SiteFactory) -> Iterator[Contract]:
    if request.param == "memory":
        yield from _memory(tmp_path)
    elif request.param == "simulator":
        yield from _simulator(make_site)
    else:
        yield from _sshd(tmp_path)


@pytest.fixture(params=["memory", "simulator"])
def ruled(request: pytest.FixtureRequest, tmp_path: Path, make_site: SiteFactory) -> Iterator[Contract]:
    """The implementations that hold folders to a profile's rules and can drop a transfer."""
    yield from (_memory(tmp_path) if request.param == "memory" else _simulator(make_site))


# -- listing and stat ---------------------------------------------------------------------------


def test_list_gives_every_file_with_its_size(contract: Contract) -> None:
    listed = {e.name: e for e in contract.fs.list(contract.download)}
    assert {name: (e.size, e.is_dir, e.folder) for name, e in listed.items()} == {
        name: (len(content), False, contract.download) for name, content in PUBLISHED.items()
    }
    assert all(e.mtime > 0 for e in listed.values())


def test_stat_agrees_with_the_listing(contract: Contract) -> None:
    listed = {e.name: e for e in contract.fs.list(contract.download)}
    for name in PUBLISHED:
        entry = contract.fs.stat(contract.download, name)
        assert (entry.name, entry.size, entry.is_dir) == (name, listed[name].size, False)
        assert entry.path == f"/{contract.download}/{name}"


def test_a_missing_folder_or_file_is_not_found(contract: Contract) -> None:
    with pytest.raises(RemoteFileNotFound):
        contract.fs.list("NO_SUCH_FOLDER")
    with pytest.raises(RemoteFileNotFound):
        contract.fs.stat(contract.download, "absent.txt")
    with pytest.raises(RemoteFileNotFound):
        contract.fs.get(contract.download, "absent.txt", io.BytesIO())


# -- downloads ----------------------------------------------------------------------------------


def test_get_writes_the_whole_file_and_reports_progress(contract: Contract) -> None:
    name, content = next(iter(PUBLISHED.items()))
    sink, pieces = io.BytesIO(), list[int]()
    assert contract.fs.get(contract.download, name, sink, progress=pieces.append) == len(content)
    assert sink.getvalue() == content
    assert sum(pieces) == len(content)


def test_get_from_an_offset_writes_the_rest(contract: Contract) -> None:
    name, content = next(iter(PUBLISHED.items()))
    sink = io.BytesIO()
    assert contract.fs.get(contract.download, name, sink, offset=1_000_000) == len(content) - 1_000_000
    assert sink.getvalue() == content[1_000_000:]


# -- uploads ------------------------------------------------------------------------------------


def test_put_goes_to_the_final_name_and_never_overwrites(contract: Contract) -> None:
    name = "LOPBI_00CFB_20210507.xlsx"
    assert contract.fs.put(io.BytesIO(b"report v1"), contract.upload, name) == 9
    assert contract.uploaded(name) == b"report v1"
    assert {(e.name, e.size) for e in contract.fs.list(contract.upload)} >= {(name, 9)}
    with pytest.raises(PermissionDenied):
        contract.fs.put(io.BytesIO(b"report v2, longer"), contract.upload, name)
    assert contract.uploaded(name) == b"report v1"


# -- the session --------------------------------------------------------------------------------


def test_closing_twice_is_harmless(contract: Contract) -> None:
    contract.fs.close()
    contract.fs.close()


# -- folder rules and faults (memory, simulator) ------------------------------------------------


def test_a_download_folder_refuses_uploads(ruled: Contract) -> None:
    assert ruled.download_only is not None
    with pytest.raises(PermissionDenied):
        ruled.fs.put(io.BytesIO(b"x"), ruled.download_only, "mine.txt")
    assert "mine.txt" not in {e.name for e in ruled.fs.list(ruled.download_only)}


def test_an_upload_folder_refuses_downloads(ruled: Contract) -> None:
    assert ruled.upload_only is not None
    ruled.fs.put(io.BytesIO(b"report"), ruled.upload_only, "LOPTO_00CFB_20210507.xlsx")
    with pytest.raises(PermissionDenied):
        ruled.fs.get(ruled.upload_only, "LOPTO_00CFB_20210507.xlsx", io.BytesIO())


def test_a_dropped_download_raises_connection_lost_after_writing_a_prefix(ruled: Contract) -> None:
    assert ruled.drop is not None
    name, content = next(iter(PUBLISHED.items()))
    ruled.drop(400_000)
    sink = io.BytesIO()
    with pytest.raises(ConnectionLost):
        ruled.fs.get(ruled.download, name, sink)
    kept = sink.getvalue()
    assert 0 < len(kept) <= 400_000
    assert content.startswith(kept)
