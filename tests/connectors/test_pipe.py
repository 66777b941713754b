"""The channel receive buffer: same answers as paramiko's BufferedPipe, whatever the pieces."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from paramiko.buffered_pipe import BufferedPipe, PipeTimeout

from cpdesk.connectors.sftp.pipe import ChunkPipe

steps = st.lists(
    st.one_of(
        st.tuples(st.just("feed"), st.binary(max_size=40)),
        st.tuples(st.just("read"), st.integers(min_value=1, max_value=60)),
        st.tuples(st.just("empty"), st.none()),
    ),
    max_size=60,
)


@given(steps)
def test_reads_return_what_paramikos_own_buffer_returns(script: list[tuple[str, object]]) -> None:
    ours, theirs = ChunkPipe(), BufferedPipe()
    for action, value in script:
        if action == "feed":
            assert isinstance(value, bytes)
            ours.feed(value)
            theirs.feed(value)
        elif action == "empty":
            assert ours.empty() == theirs.empty()
        else:
            assert isinstance(value, int)
            if len(theirs) == 0:
                with pytest.raises(PipeTimeout):
                    ours.read(value, 0.0)
                continue
            assert ours.read(value, 0.0) == theirs.read(value, 0.0)
        assert len(ours) == len(theirs)
        assert ours.read_ready() == theirs.read_ready()


def test_a_read_across_many_pieces_joins_them_in_order() -> None:
    pipe = ChunkPipe()
    for n in range(100):
        pipe.feed(bytes([n]) * 3)
    assert pipe.read(4) == b"\x00\x00\x00\x01"
    assert pipe.read(1000) == b"".join(bytes([n]) * 3 for n in range(100))[4:]
    assert len(pipe) == 0


def test_a_read_waits_for_data_fed_from_another_thread() -> None:
    pipe = ChunkPipe()
    feeder = threading.Timer(0.05, pipe.feed, [b"late"])
    feeder.start()
    assert pipe.read(10, timeout=5) == b"late"
    feeder.join()


def test_a_read_times_out_when_nothing_arrives() -> None:
    pipe = ChunkPipe()
    start = time.monotonic()
    with pytest.raises(PipeTimeout):
        pipe.read(10, timeout=0.05)
    assert time.monotonic() - start < 2


def test_after_close_what_was_buffered_is_read_then_empty_bytes() -> None:
    pipe = ChunkPipe()
    pipe.feed(b"tail")
    pipe.close()
    assert pipe.read(10) == b"tail"
    assert pipe.read(10) == b""


def test_close_wakes_a_waiting_reader() -> None:
    pipe = ChunkPipe()
    closer = threading.Timer(0.05, pipe.close)
    closer.start()
    assert pipe.read(10, timeout=5) == b""
    closer.join()


def test_the_event_is_set_while_data_waits_and_cleared_once_read() -> None:
    pipe, event = ChunkPipe(), threading.Event()
    pipe.set_event(event)
    assert not event.is_set()
    pipe.feed(b"ab")
    assert event.is_set()
    pipe.read(1)
    assert event.is_set()
    pipe.read(1)
    assert not event.is_set()
    pipe.close()
    assert event.is_set()
