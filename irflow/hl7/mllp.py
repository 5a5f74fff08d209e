"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol): `0x0B message 0x1C 0x0D`.

A sans-I/O frame reader: bytes go in as they arrive (`feed`), complete frames come out. The
listener (`irflow.hl7server.listener`) reads the socket with asyncio streams and hands the
bytes to it.

Why not python-hl7's `start_hl7_server` / `MLLPStreamReader.readblock()`: irflow uses
python-hl7 to parse, but its stream reader reads up to the end block and then checks the
start, so

- bytes before the start block (line noise, a half frame from a sender that restarted) make
  it raise `InvalidBlockError` after it has consumed them together with the good message
  that follows: that message would be lost without an answer;
- a frame larger than its limit clears the buffer, so the header is lost (no AR can echo
  MSH-10) and the rest of the oversized frame turns up as the next, invalid, block;
- it cannot tell a connection closed mid-frame from one closed between frames without
  inspecting its internals, nor time out a frame begun and never finished while leaving an
  idle connection open (interface engines keep one connection open for days).

This reader skips bytes outside frames, starts afresh at a start block met inside a frame
(the sender gave up on the half-sent one), keeps the first `head_bytes` of an oversized
frame and discards the rest until its end block, and says whether a frame is under way.
"""

from __future__ import annotations

from dataclasses import dataclass

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c"
CARRIAGE_RETURN = b"\x0d"
END = END_BLOCK + CARRIAGE_RETURN


def frame(message: bytes) -> bytes:
    """A message wrapped in the MLLP blocks."""
    return START_BLOCK + message + END


@dataclass(frozen=True)
class Frame:
    """A complete frame: the bytes between the blocks."""

    data: bytes


@dataclass(frozen=True)
class Oversized:
    """A frame larger than the limit: its first bytes, and how many it had in all."""

    head: bytes
    size: int


class FrameReader:
    """Bytes in (`feed`), frames out. `in_frame`: a start block was read, its end not yet."""

    def __init__(self, max_bytes: int, *, head_bytes: int = 64 * 1024) -> None:
        self.max_bytes = max_bytes
        self.head_bytes = head_bytes
        self._buffer = bytearray()
        self._in_frame = False
        self._size = 0  # bytes of the current frame so far
        self._carry = b""  # a 0x1C that ended the last read: maybe half an end block
        self.skipped = 0  # bytes outside frames (or of abandoned frames), dropped

    @property
    def in_frame(self) -> bool:
        return self._in_frame

    def _begin(self) -> None:
        self._in_frame = True
        self._buffer.clear()
        self._size = 0

    def feed(self, data: bytes) -> list[Frame | Oversized]:
        out: list[Frame | Oversized] = []
        if self._carry:
            data, self._carry = self._carry + data, b""
        position, n = 0, len(data)
        while position < n:
            if not self._in_frame:
                start = data.find(START_BLOCK, position)
                if start < 0:
                    self.skipped += n - position
                    break
                self.skipped += start - position
                self._begin()
                position = start + 1
                continue
            end = data.find(END, position)
            restart = data.find(START_BLOCK, position, end if end >= 0 else n)
            if restart >= 0:
                # A new start before this frame's end: the sender abandoned the half frame.
                self.skipped += self._size + restart - position
                self._begin()
                position = restart + 1
                continue
            if end < 0:
                if data.endswith(END_BLOCK):
                    self._take(data[position : n - 1])
                    self._carry = END_BLOCK
                else:
                    self._take(data[position:n])
                break
            self._take(data[position:end])
            out.append(self._finish())
            position = end + len(END)
        return out

    def _take(self, data: bytes) -> None:
        self._size += len(data)
        if len(self._buffer) < self.max_bytes:
            self._buffer.extend(data)
        if self._size > self.max_bytes and len(self._buffer) > self.head_bytes:
            del self._buffer[self.head_bytes :]

    def _finish(self) -> Frame | Oversized:
        self._in_frame = False
        data = bytes(self._buffer)
        self._buffer.clear()
        size, self._size = self._size, 0
        if size > self.max_bytes:
            return Oversized(head=data[: self.head_bytes], size=size)
        return Frame(data)
