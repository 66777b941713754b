"""Sync benchmark: a day of 60 files (~300 MB, one large RPF01 pair) from OpenSSH's sshd on loopback.

    python bench/sync_bench.py [--json] [--instruments N] [--work-dir DIR]

Prints one JSON object: ``cpdesk_s`` (cpdesk sync: sign-on, list, download, verify, archive,
ledger), ``openssh_sftp_s`` (OpenSSH's sftp client fetching the same files in the same run),
each the median of five runs, ``ratio`` (cpdesk / OpenSSH), ``resync_s`` (a second sync with
nothing new) and sizes.
Targets (issue 10): ratio at most 1.3, resync_s under 0.3.
"""

from __future__ import annotations

import argparse
import getpass
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from pathlib import Path

from cpdesk.connectors.sftp.hostkeys import KnownHosts
from cpdesk.connectors.sftp.profile import parse_profile
from cpdesk.connectors.store.keyfiles import write_new_rsa_key
from cpdesk.connectors.store.ledger import Ledger
from cpdesk.desk.config import load_config
from cpdesk.desk.sync import FacilitySync
from cpdesk.engine.reports.catalogue import load_catalogue
from cpdesk.engine.rpf.synthetic import synthetic_rpf_lines
from cpdesk.simulator.openssh import OpenSshServer, local_profile_text

FILES = 60
REPEATS = 5  # medians of five runs each: the two clients share two cores with sshd, and runs vary
PARTICIPANT = "CBEN"
STEM = "RPF01_HKSCC_20210507210000"
CONFIG = """\
archive = "archive"
ledger = "ledger.sqlite"
known_hosts = "known_hosts"

[[facility]]
name = "bench"
profile = "profile.toml"
participant = "{participant}"
hosts = ["{address}"]
check_hours = false

[[facility.accounts]]
name = "{user}"
key = "key"
"""


def build_day(remote: Path, instruments: int, other_bytes: int) -> int:
    """The day's files on disk: an RPF01 pair in COMMON, opaque reports in the participant folder."""
    common, own = remote / "COMMON", remote / PARTICIPANT
    for folder in (common, own, remote / "KEY_MANAGEMENT", remote / "LOPREPORT", remote / "LOPRESULT"):
        folder.mkdir(parents=True)
    rpf = b"\n".join(synthetic_rpf_lines(instruments)) + b"\n"
    lines = rpf.count(b"\n")
    with zipfile.ZipFile(common / f"{STEM}.CSV.ZIP", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(f"{STEM}.CSV", rpf)
    control = f"00,20210507,20210507,RPF01,00000001\n09,{lines:016d}\n".encode()
    with zipfile.ZipFile(common / f"{STEM}.CNTL.ZIP", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{STEM}.CNTL", control)
    for n in range(FILES - 2):
        (own / f"TP{n:03d}_HKCC_{PARTICIPANT}_20210507.csv").write_bytes(os.urandom(other_bytes))
    return sum(p.stat().st_size for p in remote.rglob("*") if p.is_file())


def run(instruments: int, other_bytes: int, work_dir: str = "/tmp") -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="cpdesk_sync_bench_", dir=work_dir))
    try:
        remote = work / "remote"
        total = build_day(remote, instruments, other_bytes)
        (work / "profile.toml").write_text(local_profile_text(getpass.getuser(), remote))
        profile = parse_profile((work / "profile.toml").read_text(), "bench")
        server = OpenSshServer(work / "sshd", profile.algorithms)
        server.authorize(write_new_rsa_key(work / "key"))
        address = server.start()
        try:
            KnownHosts(work / "known_hosts").add(address, server.host_public_key())
            (work / "cpdesk.toml").write_text(
                CONFIG.format(participant=PARTICIPANT, address=address, user=server.user)
            )
            catalogue = load_catalogue()
            openssh_runs: list[float] = []
            cpdesk_runs: list[float] = []
            for attempt in range(REPEATS):
                # Each client starts with no dirty pages of the other's run to write back, and
                # they take turns going first: both write ~270 MB to the same disk. Earlier copies
                # go, so every attempt starts from the same state.
                if attempt:
                    shutil.rmtree(work / f"archive{attempt - 1}")
                    shutil.rmtree(work / f"openssh{attempt - 1}")
                config = load_config(work / "cpdesk.toml")
                config = replace(
                    config, archive=work / f"archive{attempt}", ledger=work / f"ledger{attempt}.sqlite"
                )
                if attempt % 2:
                    os.sync()
                    openssh_runs.append(_openssh(work, remote, server.user, address.port, attempt))
                os.sync()
                with Ledger(config.ledger) as ledger:
                    start = time.perf_counter()
                    first = FacilitySync(config, config.facilities[0], ledger, catalogue).run()
                    cpdesk_runs.append(time.perf_counter() - start)
                    assert first.verified == FILES, first.as_dict()
                if not attempt % 2:
                    os.sync()
                    openssh_runs.append(_openssh(work, remote, server.user, address.port, attempt))
            with Ledger(config.ledger) as ledger:
                start = time.perf_counter()
                second = FacilitySync(config, config.facilities[0], ledger, catalogue).run()
                resync_s = time.perf_counter() - start
        finally:
            server.stop()
        assert second.status == "nothing-new", second.as_dict()
        cpdesk_s, openssh_s = statistics.median(cpdesk_runs), statistics.median(openssh_runs)
        return {
            "files": FILES,
            "bytes": total,
            "cpdesk_s": round(cpdesk_s, 3),
            "openssh_sftp_s": round(openssh_s, 3),
            "ratio": round(cpdesk_s / openssh_s, 3),
            "resync_s": round(resync_s, 3),
            "verified": first.verified,
            "cpdesk_runs_s": [round(t, 3) for t in cpdesk_runs],
            "openssh_runs_s": [round(t, 3) for t in openssh_runs],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _openssh(work: Path, remote: Path, user: str, port: int, attempt: int) -> float:
    target = work / f"openssh{attempt}"
    target.mkdir()
    batch = io.StringIO()
    for path in sorted(p for p in remote.rglob("*") if p.is_file()):
        batch.write(f'get "{path}" "{target / path.name}"\n')
    (work / f"batch{attempt}").write_text(batch.getvalue())
    command = [
        "sftp",
        "-q",
        "-b",
        str(work / f"batch{attempt}"),
        "-i",
        str(work / "key"),
        "-P",
        str(port),
        "-o",
        f"UserKnownHostsFile={work / 'known_hosts'}",
        "-o",
        "StrictHostKeyChecking=yes",
        f"{user}@127.0.0.1",
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--instruments", type=int, default=15_000, help="RPF01 size (default: full size)")
    parser.add_argument(
        "--other-bytes", type=int, default=2_500_000, help="size of each of the 58 other files"
    )
    parser.add_argument(
        "--work-dir", default="/tmp", help="folder for the server's files and both clients' copies"
    )
    args = parser.parse_args(argv)
    result = run(args.instruments, args.other_bytes, args.work_dir)
    print(json.dumps(result) if args.json else "\n".join(f"{k:16} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
