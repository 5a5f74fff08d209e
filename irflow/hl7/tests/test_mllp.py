"""MLLP framing: frames out of bytes as they arrive, whatever the read boundaries."""

from __future__ import annotations

import pytest

from irflow.hl7.mllp import END, START_BLOCK, Frame, FrameReader, Oversized, frame

MSG = b"MSH|^~\\&|A|B|||20260101||ADT^A08|1|P|2.5.1\rPID|1||X\r"


def feed_in_pieces(reader: FrameReader, data: bytes, size: int) -> list:
    out: list = []
    for i in range(0, len(data), size):
        out += reader.feed(data[i : i + size])
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 100_000])
def test_frames_whatever_the_read_boundaries(size):
    stream = frame(MSG) + frame(MSG + b"OBX|1\r") + frame(b"")
    reader = FrameReader(1000)
    assert feed_in_pieces(reader, stream, size) == [
        Frame(MSG),
        Frame(MSG + b"OBX|1\r"),
        Frame(b""),
    ]
    assert not reader.in_frame


def test_bytes_outside_frames_are_skipped():
    reader = FrameReader(1000)
    assert reader.feed(b"noise\r\n" + frame(MSG) + b"\x00\xff" + frame(MSG)) == [
        Frame(MSG),
        Frame(MSG),
    ]
    assert reader.skipped == len(b"noise\r\n") + 2


def test_a_start_block_inside_a_frame_starts_afresh():
    reader = FrameReader(1000)
    assert reader.feed(START_BLOCK + b"MSH|half a mess" + frame(MSG)) == [Frame(MSG)]


def test_an_end_block_without_its_carriage_return_is_content():
    reader = FrameReader(1000)
    assert reader.feed(START_BLOCK + b"a\x1cb" + END) == [Frame(b"a\x1cb")]


@pytest.mark.parametrize("size", [1, 7, 4096, 10**7])
def test_an_oversized_frame_keeps_its_head_and_the_stream_goes_on(size):
    big = MSG + b"OBX|1|ED|||" + b"A" * 50_000 + b"\r"
    reader = FrameReader(10_000, head_bytes=100)
    out = feed_in_pieces(reader, frame(big) + frame(MSG), size)
    assert out == [Oversized(head=big[:100], size=len(big)), Frame(MSG)]


def test_a_frame_under_way():
    reader = FrameReader(1000)
    assert reader.feed(START_BLOCK + MSG[:10]) == []
    assert reader.in_frame
    assert reader.feed(MSG[10:] + b"\x1c") == []
    assert reader.feed(b"\r") == [Frame(MSG)]
    assert not reader.in_frame
