"""Every bad input of the corpus (tests/support/corpus.py), run in-process and as a subprocess.

For each: an exit code from the documented table, no traceback, a message that names the file
(and where in it), nothing written outside its place, and bounded time and memory. The in-process
run holds each case to a wall-clock alarm; the subprocess run (every case, two at a time) to
``resource`` limits: address space, CPU time and the size of any file it writes.
"""

from __future__ import annotations

import fnmatch
import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cpdesk.cli.main import main
from tests.support.corpus import Case, cases
from tests.support.paths import REPO

CASES = cases()
DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 5, 6}
SECONDS = 30  # no bad input may keep a command longer
MEMORY_BYTES = 3 << 30  # nor make it hold more
LOCATION = re.compile(r":\d+|\[[^\]]+\]|![A-Z]+\d+")


def test_the_corpus_is_large_and_every_case_named_once() -> None:
    assert len(CASES) >= 300
    assert len({case.id for case in CASES}) == len(CASES)


def _prepare(case: Case, folder: Path) -> set[Path]:
    for name, content in case.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    if case.setup is not None:
        case.setup(folder)
    return _tree(folder)


def _tree(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def _check(case: Case, code: int, out: str, err: str, folder: Path, before: set[Path]) -> None:
    said = err + out
    assert code in DOCUMENTED_EXIT_CODES, (code, said[-2000:])
    assert code in case.codes, (code, said[-2000:])
    assert "Traceback" not in said, said[-3000:]
    for name in case.names:
        assert name in said, (name, said[-2000:])
    if case.located:
        assert LOCATION.search(said), said[-2000:]
    written = [
        p.relative_to(folder).as_posix()
        for p in _tree(folder) - before
        if not any(fnmatch.fnmatch(p.name, pattern) for pattern in case.may_write)
    ]
    assert not written, written


@pytest.fixture
def alarm() -> Iterator[None]:
    def expired(*_: object) -> None:
        raise TimeoutError(f"a case ran longer than {SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_in_process(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    alarm: None,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = _prepare(case, tmp_path)
    started = time.monotonic()
    try:
        code = main(list(case.argv))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    took = time.monotonic() - started
    assert took < SECONDS / 2, f"{case.id} took {took:.1f} s"  # the alarm is a backstop only
    captured = capsys.readouterr()
    _check(case, code, captured.out, captured.err, tmp_path, before)


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (SECONDS, SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 30, 1 << 30))


def _run(case: Case, folder: Path) -> tuple[Case, int, str, str, set[Path]]:
    folder.mkdir()
    before = _prepare(case, folder)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cpdesk.cli.main", *case.argv],
            cwd=folder,
            capture_output=True,
            text=True,
            env=env,
            preexec_fn=_limits,
            timeout=SECONDS * 2,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return case, -1, "", f"timed out after {SECONDS * 2} s", before
    return case, done.returncode, done.stdout, done.stderr, before


# A process takes about a second to start (numpy, pandas, numba, paramiko): every fourth case,
# and every case that could block or eat memory (pipes, devices, huge inputs), run on their own.
HOSTILE = ("fifo", "dev-zero", "huge", "5mb", "garbage", "bomb", "many", "1e10000000")
SUBPROCESS_CASES = [
    case for number, case in enumerate(CASES) if number % 4 == 0 or any(word in case.id for word in HOSTILE)
]


@pytest.mark.timeout(600)
def test_as_subprocesses(tmp_path: Path) -> None:
    """Cases in processes of their own, under memory, CPU and file-size limits, two at a time."""
    assert len(SUBPROCESS_CASES) >= 80
    failures = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        folders = [tmp_path / f"case{number}" for number in range(len(SUBPROCESS_CASES))]
        runs = pool.map(_run, SUBPROCESS_CASES, folders)
        for folder, (case, code, out, err, before) in zip(folders, runs, strict=True):
            try:
                _check(case, code, out, err, folder, before)
            except AssertionError as exc:
                failures.append(f"{case.id}: {str(exc)[:400]}")
    assert not failures, "\n".join(failures)
