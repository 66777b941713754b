"""Counting a download while it arrives: a real file written piece by piece on one thread and
followed on another (``cpdesk/desk/arrival.py``)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cpdesk.desk.arrival import Arrival, Receiving, count_arriving
from cpdesk.engine.reports.pairs import CountedMember, count_records
from cpdesk.engine.rpf.synthetic import synthetic_rpf_lines

RPF = b"\n".join(synthetic_rpf_lines(200)) + b"\n"


def _rpf_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("RPF01_HKSCC_20210507210000.CSV", RPF)
    return buffer.getvalue()


def _download(path: Path, data: bytes, stop_at: int | None = None) -> tuple[CountedMember | None, str]:
    """Write ``data`` as a download does (pieces of 255 KiB) while the verifying thread follows."""
    arrival = Arrival()
    digest = hashlib.sha256()
    with ThreadPoolExecutor(1) as verifying:
        counted = verifying.submit(count_arriving, path, arrival)
        complete = False
        try:
            with path.open("ab", buffering=0) as sink:
                receiving = Receiving(sink, digest, arrival)
                for start in range(0, len(data) if stop_at is None else stop_at, 261_120):
                    receiving.write(data[start : start + 261_120])
            complete = stop_at is None
        finally:
            arrival.end(complete)
        return counted.result(timeout=30), digest.hexdigest()


def test_a_download_is_counted_while_it_arrives(tmp_path: Path) -> None:
    data = _rpf_zip()
    counted, sha256 = _download(tmp_path / "rpf.part", data)
    assert counted is not None
    assert counted.records == count_records(RPF)
    (member,) = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert (counted.inflated.size, counted.inflated.crc) == (member.file_size, member.CRC)
    assert (tmp_path / "rpf.part").read_bytes() == data
    assert sha256 == hashlib.sha256(data).hexdigest()


def test_an_interrupted_download_gives_no_head_start_and_never_hangs(tmp_path: Path) -> None:
    data = _rpf_zip()
    counted, _ = _download(tmp_path / "rpf.part", data, stop_at=len(data) // 2)
    assert counted is None


def test_a_download_that_never_wrote_a_byte_ends_the_follower(tmp_path: Path) -> None:
    counted, _ = _download(tmp_path / "never.part", b"", stop_at=0)
    assert counted is None
    assert not (tmp_path / "never.part").stat().st_size
