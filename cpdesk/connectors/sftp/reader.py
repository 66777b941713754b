"""Pipelined SFTP reads from the channel straight into a sink.

paramiko's prefetch sends its READ requests from a thread of its own that polls every 10 ms for a
free slot, keeps the answers in a dict it scans on every read, and copies each answer three times
on its way to the caller. :func:`read_into` keeps ``depth`` requests in flight from the calling
thread, reads each answer's header itself and hands the data to the sink in file order.

The protocol lets a server answer out of order (OpenSSH's and asyncssh's servers do not, but
others may): early answers wait, bounded by ``depth`` answers. A short answer has the rest of its
range requested again; an EOF status ends the read where it starts. Answers to requests no longer
wanted (past the end, or of a read that failed) are skipped when they arrive, here and by
paramiko's own requests. A length the server sends is trusted only up to what was asked for, so a
hostile server cannot make cpdesk hold more than ``depth`` answers.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable
from typing import Any

import paramiko
from paramiko.sftp import CMD_CLOSE, CMD_DATA, CMD_HANDLE, CMD_OPEN, CMD_READ, CMD_STATUS, SFTP_FLAG_READ

_ANSWER_HEADER = struct.Struct(">IBII")  # length (of type, id, body), type, id, body's first word
_STATUS_CODE = struct.Struct(">I")
_READ_REQUEST = struct.Struct(">IBII")  # length, type, request id, handle length
_READ_RANGE = struct.Struct(">QI")  # offset, length
_MAX_STATUS_BYTES = 64 * 1024  # a status is a code and a short message
REFILL = 8  # send read requests eight at a time (one SSH packet) as answers free their places


def open_for_reading(sftp: paramiko.SFTPClient, path: str) -> bytes:
    """A handle to read ``path``; raises as ``SFTPClient.open`` does."""
    client: Any = sftp
    kind, message = client._request(CMD_OPEN, path, SFTP_FLAG_READ, paramiko.SFTPAttributes())
    if kind != CMD_HANDLE:
        raise paramiko.SFTPError("expected a handle")
    return bytes(message.get_binary())


def close_soon(sftp: paramiko.SFTPClient, handle: bytes) -> None:
    """Close a read handle without waiting for the answer, and never raise: the file was only
    read, and a connection that is gone closes its handles. The next request's wait skips the
    answer. Saves a round trip per file."""
    client: Any = sftp
    with client._lock:
        number = client.request_number
        client.request_number += 1
    message = paramiko.Message()
    message.add_int(number)
    message.add_string(handle)
    with contextlib.suppress(OSError, EOFError, paramiko.SSHException):  # the connection is gone
        client._send_packet(CMD_CLOSE, message)


def read_into(
    sftp: paramiko.SFTPClient,
    handle: bytes,
    offset: int,
    length: int,
    write: Callable[[bytes], object],
    read_size: int,
    depth: int,
) -> int:
    """Read ``length`` bytes from ``offset`` of the open ``handle`` into ``write``, in order, with
    up to ``depth`` requests of ``read_size`` bytes in flight; returns the bytes written (fewer
    when the file ends first).

    Raises what paramiko raises for the same faults: ``EOFError``/``SSHException`` for a closed
    channel or garbage, ``TimeoutError`` when the channel's timeout passes with nothing arriving,
    ``OSError`` for an error status (so the one translation in ``errors.translated`` applies).
    """
    client: Any = sftp  # paramiko is untyped
    channel = client.sock
    end = offset + length
    requested = offset
    in_flight: dict[int, tuple[int, int]] = {}  # request id -> (offset, size)
    in_order = InOrder(offset)
    refill_at = max(0, depth - REFILL)
    while in_order.position < end:
        batch: list[bytes] = []
        while len(in_flight) < depth and requested < end and (batch or len(in_flight) <= refill_at):
            size = min(read_size, end - requested)
            batch.append(_request(client, handle, requested, size, in_flight))
            requested += size
        if batch:
            channel.sendall(b"".join(batch))
        if not in_flight:
            break  # the file ended before ``end``
        number, kind, data = _answer(channel, read_size)
        if number not in in_flight:
            continue  # the answer to a request of a read that was abandoned
        start, size = in_flight.pop(number)
        if kind == CMD_STATUS:
            try:
                client._convert_status(paramiko.Message(data))
            except EOFError:
                end = min(end, start)  # the file ends here
                continue
            raise paramiko.SFTPError("read answered with a status that is not an error")
        if kind != CMD_DATA or len(data) > size:
            raise paramiko.SFTPError("expected data no longer than requested")
        if 0 < len(data) < size:  # a short answer: ask for the rest
            channel.sendall(_request(client, handle, start + len(data), size - len(data), in_flight))
        for piece in in_order.add(start, data):
            write(piece)
    return in_order.position - offset


class InOrder:
    """Puts data answers back in file order: ``add`` returns the pieces that can be written now
    (this one and any that arrived early and follow it)."""

    def __init__(self, position: int) -> None:
        self.position = position  # where the next piece to write starts
        self._early: dict[int, bytes] = {}  # offset -> an answer that came before the one in front

    def add(self, start: int, data: bytes) -> list[bytes]:
        if not data:
            return []
        self._early[start] = data
        ready = []
        while self.position in self._early:
            piece = self._early.pop(self.position)
            ready.append(piece)
            self.position += len(piece)
        return ready


def _request(
    client: Any, handle: bytes, offset: int, size: int, in_flight: dict[int, tuple[int, int]]
) -> bytes:
    with client._lock:  # request ids are the client's, shared with its other requests
        number = client.request_number
        client.request_number += 1
    in_flight[number] = (offset, size)
    header = _READ_REQUEST.pack(1 + 4 + 4 + len(handle) + _READ_RANGE.size, CMD_READ, number, len(handle))
    return header + handle + _READ_RANGE.pack(offset, size)


def _answer(channel: Any, read_size: int) -> tuple[int, int, bytes]:
    """The next answer: its request id, type and body (a DATA answer's body is its data).

    Only DATA and STATUS answer a READ or a CLOSE; both have at least four bytes after the id
    (the data's length, the status code), so one read takes the header and those four."""
    length, kind, number, first = _ANSWER_HEADER.unpack(_exactly(channel, _ANSWER_HEADER.size))
    if kind == CMD_DATA:
        if first != length - 9 or first > read_size:
            raise paramiko.SFTPError("garbage data answer")
        return number, kind, _exactly(channel, first)
    if kind != CMD_STATUS or not 17 <= length <= _MAX_STATUS_BYTES:  # code, message, language
        raise paramiko.SFTPError("garbage answer")
    return number, kind, _STATUS_CODE.pack(first) + _exactly(channel, length - 9)


def _exactly(channel: Any, size: int) -> bytes:
    data = channel.recv(size)
    if len(data) == size:
        return bytes(data)
    parts = [data]
    got = len(data)
    while got < size:
        if not data:
            raise EOFError("the server closed the connection")
        data = channel.recv(size - got)
        parts.append(data)
        got += len(data)
    return b"".join(parts)
