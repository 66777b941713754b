"""The pipelined reader (``cpdesk/connectors/sftp/reader.py``) against servers that answer in the
ways SFTP allows but OpenSSH's server does not: short answers, answers past the end, and a server
that sends more than it was asked for."""

from __future__ import annotations

import io
import itertools
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpdesk.connectors.errors import ConnectionLost
from cpdesk.connectors.sftp.reader import InOrder
from tests.support.sites import SiteFactory, probe_session

CONTENT = os.urandom(1_500_000)
NAME = "RPF01_HKSCC_20210507210000.CSV.ZIP"


def test_short_answers_are_asked_again_for_the_rest(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.facility.store.put("shared/COMMON", NAME, CONTENT)
    site.facility.faults.short_reads = 10_000  # each read request answered with 10,000 bytes at most
    sink, pieces = io.BytesIO(), list[int]()
    with probe_session(site, site.key) as fs:
        assert fs.get("COMMON", NAME, sink, progress=pieces.append) == len(CONTENT)
        assert sink.getvalue() == CONTENT
        assert max(pieces) == 10_000
        assert sum(pieces) == len(CONTENT)
        # The session is still in step: the next request gets its own answer.
        assert fs.stat("COMMON", NAME).size == len(CONTENT)


def test_a_length_past_the_end_stops_at_the_end(make_site: SiteFactory) -> None:
    site = make_site(publish=False)
    site.facility.store.put("shared/COMMON", NAME, CONTENT)
    sink = io.BytesIO()
    with probe_session(site, site.key) as fs:
        assert fs.get("COMMON", NAME, sink, offset=1_000_000, length=10**9) == len(CONTENT) - 1_000_000
        assert sink.getvalue() == CONTENT[1_000_000:]
        # The answers past the end were read off the channel, none taken for the next request.
        again = io.BytesIO()
        assert fs.get("COMMON", NAME, again, length=1000) == 1000
        assert again.getvalue() == CONTENT[:1000]


def test_a_server_answering_more_than_asked_is_a_lost_connection_not_a_traceback(
    make_site: SiteFactory,
) -> None:
    site = make_site(publish=False)
    site.facility.store.put("shared/COMMON", NAME, CONTENT)
    site.facility.faults.oversized_reads = True
    with probe_session(site, site.key) as fs, pytest.raises(ConnectionLost, match="broke the SFTP protocol"):
        fs.get("COMMON", NAME, io.BytesIO())


@given(st.data())
def test_answers_in_any_order_are_written_in_file_order(data: st.DataObject) -> None:
    content = data.draw(st.binary(min_size=1, max_size=2000))
    cuts = data.draw(st.sets(st.integers(1, max(1, len(content) - 1)), max_size=20))
    bounds = sorted({0, *cuts, len(content)})
    answers = [(a, content[a:b]) for a, b in itertools.pairwise(bounds)]
    shuffled = data.draw(st.permutations(answers))
    in_order = InOrder(0)
    written = b"".join(piece for start, answer in shuffled for piece in in_order.add(start, answer))
    assert written == content
    assert in_order.position == len(content)
