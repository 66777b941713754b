"""Counting an RPF01 data zip's records while it arrives (``engine/reports/arriving.py``): the head
start agrees with the zip's directory however the bytes are cut, it gives up on anything but a
plain deflated member, and the pair check trusts it only where it covers the one member."""

from __future__ import annotations

import io
import itertools
import zipfile
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdesk.engine.reports.catalogue import load_catalogue
from cpdesk.engine.reports.names import parse_report_file_name
from cpdesk.engine.reports.pairs import (
    ArrivingRecordCount,
    CountedMember,
    PairCheck,
    ZipFile,
    check_pair,
    count_records,
)
from cpdesk.engine.rpf.synthetic import synthetic_rpf_lines

STEM = "RPF01_HKSCC_20210507210000"
RPF = b"\n".join(synthetic_rpf_lines(40)) + b"\n"
CATALOGUE = load_catalogue()


def _zip(content: bytes, *, method: int = zipfile.ZIP_DEFLATED, streamed: bool = False) -> bytes:
    """A one-member zip; ``streamed`` writes it as a stream does (sizes in a data descriptor)."""
    out = io.BytesIO()
    target: Any = _Unseekable(out) if streamed else out  # zipfile's protocols are private
    with zipfile.ZipFile(target, "w", method) as archive:
        archive.writestr(f"{STEM}.CSV", content)
    return out.getvalue()


class _Unseekable:
    def __init__(self, out: io.BytesIO) -> None:
        self.out = out

    def write(self, data: bytes) -> int:
        return self.out.write(data)

    def flush(self) -> None:
        pass

    def tell(self) -> int:
        raise OSError("not seekable")


def _arrive(data: bytes, cuts: list[int]) -> CountedMember | None:
    counting = ArrivingRecordCount()
    edges = [0, *sorted(c for c in cuts if c <= len(data)), len(data)]
    for start, end in itertools.pairwise(edges):
        counting.feed(data[start:end])
    return counting.result()


def _pair(data: bytes, counted: CountedMember | None) -> PairCheck:
    name = parse_report_file_name(f"{STEM}.CSV.ZIP")
    assert name is not None
    records = count_records(RPF)
    control = io.BytesIO()
    with zipfile.ZipFile(control, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{STEM}.CNTL", f"00,20210507,20210507,RPF01,00000001\n09,{records:016d}\n")
    return check_pair(
        name,
        ZipFile(f"{STEM}.CNTL.ZIP", control.getvalue()),
        ZipFile(f"{STEM}.CSV.ZIP", data, counted),
        CATALOGUE,
    )


@settings(max_examples=40)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(_zip(RPF))), max_size=12), streamed=st.booleans())
def test_the_head_start_agrees_with_the_directory_however_the_bytes_arrive(
    cuts: list[int], streamed: bool
) -> None:
    data = _zip(RPF, streamed=streamed)
    counted = _arrive(data, cuts)
    assert counted is not None
    (member,) = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert (counted.inflated.size, counted.inflated.crc) == (member.file_size, member.CRC)
    assert counted.inflated.compressed_size == member.compress_size
    assert counted.records == count_records(RPF)


def test_the_pair_check_gives_the_same_verdict_with_the_head_start() -> None:
    data = _zip(RPF)
    with_head_start = _pair(data, _arrive(data, []))
    assert with_head_start.ok
    assert with_head_start == _pair(data, None)


def test_a_wrong_record_count_is_still_found_with_the_head_start() -> None:
    data = _zip(RPF + b"one more record\n")
    counted = _arrive(data, [1000])
    assert counted is not None
    (problem,) = _pair(data, counted).problems
    assert problem.code == "record-count"
    assert problem == _pair(data, None).problems[0]


def test_a_head_start_from_other_bytes_fails_the_file_not_passes_it() -> None:
    other = _arrive(_zip(RPF + b"x\n", streamed=True), [])
    (problem,) = _pair(_zip(RPF), other).problems
    assert (problem.code, problem.message) == (
        "damaged",
        "the zip's first local header is not its one member's",
    )


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (_zip(RPF, method=zipfile.ZIP_STORED), "not deflated"),
        (b"PK\x05\x06" + bytes(40), "does not start with a zip member"),
        (_zip(RPF)[:5000], None),  # the stream never ends: nothing to give
        (_zip(bytes(40 << 20)), "compression ratio"),  # 40 MiB of zeros: past the ratio limit
    ],
)
def test_it_gives_up_on_anything_but_a_plain_deflated_member(data: bytes, why: str | None) -> None:
    counting = ArrivingRecordCount()
    counting.feed(data)
    assert counting.result() is None
    if why is not None:
        assert why in counting.gave_up


def test_an_encrypted_member_is_not_inflated() -> None:
    data = bytearray(_zip(RPF))
    data[6] |= 0x1  # the local header's flag: encrypted
    counting = ArrivingRecordCount()
    counting.feed(bytes(data))
    assert counting.result() is None
    assert counting.gave_up == "the member is encrypted"
