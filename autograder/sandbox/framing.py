"""The frames between the grader and the sandbox: an 8-byte big-endian length, then the bytes."""
from __future__ import annotations

import json
import os
import struct

HEADER = struct.Struct(">Q")


def read_message(fd: int, max_bytes: int) -> dict | None:
    frame = read_frame(fd, max_bytes)
    return None if frame is None else json.loads(frame)


def write_message(fd: int, message: dict) -> None:
    write_frame(fd, json.dumps(message, allow_nan=False).encode())


def write_frame(fd: int, body) -> None:
    _write_all(fd, HEADER.pack(len(body)))
    _write_all(fd, body)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_frame(fd: int, max_bytes: int, into: bytearray | None = None):
    """One frame's body (None at end of stream). With `into`, the body is read straight into that
    buffer (no intermediate bytes object) and a memoryview of it is returned."""
    header = _read_into(fd, bytearray(HEADER.size), allow_eof=True)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes or (into is not None and size > len(into)):
        raise ValueError("message too large")
    if into is None:
        return bytes(_read_into(fd, bytearray(size)))
    _read_into(fd, memoryview(into)[:size])
    return memoryview(into)[:size]


def _read_into(fd: int, buf, allow_eof: bool = False):
    view, got = memoryview(buf), 0
    while got < len(view):
        n = os.readv(fd, [view[got:]])
        if n == 0:
            if got == 0 and allow_eof:
                return None
            raise ValueError("truncated message")
        got += n
    return buf
