"""A raw byte walker over DICOM files, reading only the elements the SR tree needs.

pydicom builds a full object model (every element, every nested dataset, value conversion
on access) which costs seconds for a large angiography dose report. This walker decodes
element headers, keeps the few tags listed in :data:`.tree.WANTED_TAGS` as raw bytes, and
jumps over everything else. It handles the two transfer syntaxes modalities actually send
dose reports in, Explicit and Implicit VR Little Endian, with defined and undefined lengths;
:mod:`.extract` hands any other transfer syntax to pydicom.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import MSG_NOT_DICOM, MSG_TRUNCATED, UnreadableDicom
from .tree import SEQUENCE_TAGS, WANTED_TAGS, RawDataset

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
FAST_TRANSFER_SYNTAXES = frozenset({IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN})

UNDEFINED_LENGTH = 0xFFFFFFFF
_ITEM = 0xE000
_ITEM_DELIMITER = 0xE00D
_SEQUENCE_DELIMITER = 0xE0DD
_TRANSFER_SYNTAX_ELEMENT = 0x0010  # (0002,0010)

# Explicit VRs whose header has two reserved bytes and a 32-bit length.
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)

# Explicit VRs that can hold encapsulated fragments (compressed pixel data).
_FRAGMENTED_VRS = frozenset({b"OB", b"OW"})

_EXPLICIT_HEADER = struct.Struct("<HH2sH")
_IMPLICIT_HEADER = struct.Struct("<HHI")
_UINT32 = struct.Struct("<I")

# What to do with each wanted tag; any other tag is skipped.
_LEAF, _SEQUENCE = 1, 2
_ACTIONS = {tag: _SEQUENCE if tag in SEQUENCE_TAGS else _LEAF for tag in WANTED_TAGS}


@dataclass(frozen=True, slots=True)
class FileStart:
    """Where the dataset starts and how it is encoded."""

    transfer_syntax: str
    dataset_offset: int


def read_file_start(data: bytes) -> FileStart:
    """Read the preamble and File Meta Information (always Explicit VR Little Endian)."""
    if len(data) >= 132 and data[128:132] == b"DICM":
        pos = 132
    elif data[:2] == b"\x02\x00" and data[4:6].isalpha():
        pos = 0  # file meta without the 128-byte preamble
    else:
        raise UnreadableDicom(MSG_NOT_DICOM.format(reason="no 'DICM' marker after the preamble"))
    syntax = b""
    try:
        while pos + 8 <= len(data) and data[pos : pos + 2] == b"\x02\x00":
            _, element, vr, length = _EXPLICIT_HEADER.unpack_from(data, pos)
            if vr in _LONG_VRS:
                length = _UINT32.unpack_from(data, pos + 8)[0]
                pos += 12
            else:
                pos += 8
            if element == _TRANSFER_SYNTAX_ELEMENT:
                syntax = data[pos : pos + length]
            pos += length
    except struct.error as exc:
        raise UnreadableDicom(
            MSG_TRUNCATED.format(reason="file meta information cut short")
        ) from exc
    if pos > len(data):
        raise UnreadableDicom(MSG_TRUNCATED.format(reason="file meta information cut short"))
    transfer_syntax = syntax.decode("latin-1").strip(" \x00")
    if not transfer_syntax:
        raise UnreadableDicom(MSG_NOT_DICOM.format(reason="the file meta has no transfer syntax"))
    return FileStart(transfer_syntax, pos)


def read_dataset(data: bytes, start: FileStart) -> RawDataset:
    """Walk the dataset after the file meta; only wanted tags are kept."""
    walker = _Walker(data, implicit=start.transfer_syntax == IMPLICIT_VR_LITTLE_ENDIAN)
    try:
        dataset, _ = walker.dataset(start.dataset_offset, len(data))
    except UnreadableDicom:
        raise
    except (struct.error, IndexError, RecursionError) as exc:
        raise UnreadableDicom(
            MSG_TRUNCATED.format(reason=f"element headers cut short ({exc})")
        ) from exc
    return dataset


class _Walker:
    """Recursive descent over datasets and sequences of one buffer."""

    def __init__(self, data: bytes, *, implicit: bool) -> None:
        self.data = data
        self.implicit = implicit

    def dataset(self, pos: int, end: int, *, in_item: bool = False) -> tuple[RawDataset, int]:
        """Read elements from ``pos`` up to ``end`` or the item delimiter.

        Returns the wanted elements and the position after the dataset.
        """
        data = self.data
        implicit = self.implicit
        actions = _ACTIONS
        found: RawDataset = {}
        while pos < end:
            if implicit:
                group, element, length = _IMPLICIT_HEADER.unpack_from(data, pos)
                vr = b""
                pos += 8
            else:
                group, element, vr, length = _EXPLICIT_HEADER.unpack_from(data, pos)
                if vr in _LONG_VRS:
                    length = _UINT32.unpack_from(data, pos + 8)[0]
                    pos += 12
                else:
                    # Item delimiters land here too: their 4-byte length is 0 either way.
                    pos += 8
            tag = group << 16 | element
            action = actions.get(tag)
            if action == _LEAF:
                found[tag] = data[pos : pos + length]
                pos += length
            elif action == _SEQUENCE:
                found[tag], pos = self.sequence(pos, length, as_implicit=vr == b"UN")
            elif group == 0xFFFE:
                if element == _ITEM_DELIMITER and in_item:
                    return found, pos
                raise UnreadableDicom(
                    MSG_TRUNCATED.format(reason=f"unexpected delimiter at byte {pos - 8}")
                )
            elif length != UNDEFINED_LENGTH:
                pos += length
            elif vr in _FRAGMENTED_VRS:
                pos = self.skip_fragments(pos)
            else:
                # An unwanted sequence of undefined length: walked only to find its end.
                _, pos = self.sequence(pos, length, as_implicit=vr == b"UN")
        if pos > end:
            raise UnreadableDicom(
                MSG_TRUNCATED.format(reason=f"the last element runs {pos - end} bytes past the end")
            )
        if in_item:
            raise UnreadableDicom(MSG_TRUNCATED.format(reason="an item ends without its delimiter"))
        return found, pos

    def sequence(self, pos: int, length: int, *, as_implicit: bool) -> tuple[list[RawDataset], int]:
        """Read the items of a sequence whose value starts at ``pos``."""
        if as_implicit and not self.implicit:
            # A sequence stored with VR UN is encoded Implicit VR Little Endian inside.
            return _Walker(self.data, implicit=True).sequence(pos, length, as_implicit=False)
        data = self.data
        undefined = length == UNDEFINED_LENGTH
        end = len(data) if undefined else pos + length
        if end > len(data):
            raise UnreadableDicom(
                MSG_TRUNCATED.format(reason=f"a sequence at byte {pos} runs past the end")
            )
        items: list[RawDataset] = []
        while pos < end:
            group, element, item_length = _IMPLICIT_HEADER.unpack_from(data, pos)
            pos += 8
            if group != 0xFFFE:
                raise UnreadableDicom(
                    MSG_TRUNCATED.format(reason=f"expected a sequence item at byte {pos - 8}")
                )
            if element == _SEQUENCE_DELIMITER:
                return items, pos
            if element != _ITEM:
                continue  # a stray item delimiter: nothing to read
            if item_length == UNDEFINED_LENGTH:
                item, pos = self.dataset(pos, len(data), in_item=True)
            else:
                item_end = pos + item_length
                if item_end > end:
                    raise UnreadableDicom(
                        MSG_TRUNCATED.format(reason=f"an item at byte {pos} runs past its sequence")
                    )
                item, _ = self.dataset(pos, item_end)
                pos = item_end
            items.append(item)
        if undefined:
            raise UnreadableDicom(
                MSG_TRUNCATED.format(reason="a sequence ends without its delimiter")
            )
        return items, pos

    def skip_fragments(self, pos: int) -> int:
        """Jump over encapsulated (pixel) data: items of raw bytes up to the delimiter."""
        data = self.data
        while True:
            group, element, length = _IMPLICIT_HEADER.unpack_from(data, pos)
            pos += 8
            if group != 0xFFFE:
                raise UnreadableDicom(
                    MSG_TRUNCATED.format(reason=f"bad encapsulated data at byte {pos - 8}")
                )
            if element == _SEQUENCE_DELIMITER:
                return pos
            pos += length
