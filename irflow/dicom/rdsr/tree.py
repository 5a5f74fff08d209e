"""The SR content tree as light Python objects, shared by the fast and the pydicom path.

Both readers (:mod:`.walker` over raw bytes, :mod:`.pydicom_tree` over a pydicom Dataset)
produce an :class:`SrDocument`; everything downstream sees only this form, so both paths
give identical reports. Text is decoded with the dataset's Specific Character Set through
pydicom's own decoder and stripped of DICOM padding; empty strings become ``None``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydicom.charset import convert_encodings, decode_bytes
from pydicom.valuerep import TEXT_VR_DELIMS, PersonName

from .models import Code

# A dataset as the byte walker returns it: wanted tags only, leaf values as raw bytes,
# sequences as lists of datasets.
type RawDataset = dict[int, bytes | list[RawDataset]]

# How a leaf value is decoded: plain ASCII (UI, CS, DA, TM, DT, DS), character-set
# dependent text (SH, LO, ST, LT, UT, UC) or a person name.
ASCII, TEXT, PERSON_NAME = "ascii", "text", "pn"

SPECIFIC_CHARACTER_SET = 0x00080005
REFERENCED_PPS_SEQUENCE = 0x00081111
REFERENCED_SOP_INSTANCE_UID = 0x00081155
CONTENT_TEMPLATE_SEQUENCE = 0x0040A504
TEMPLATE_IDENTIFIER = 0x0040DB00

RELATIONSHIP_TYPE = 0x0040A010
VALUE_TYPE = 0x0040A040
CONCEPT_NAME_CODE_SEQUENCE = 0x0040A043
CONCEPT_CODE_SEQUENCE = 0x0040A168
MEASURED_VALUE_SEQUENCE = 0x0040A300
NUMERIC_VALUE = 0x0040A30A
MEASUREMENT_UNITS_CODE_SEQUENCE = 0x004008EA
UID = 0x0040A124
TEXT_VALUE = 0x0040A160
DATETIME = 0x0040A120
DATE = 0x0040A121
TIME = 0x0040A122
PERSON_NAME_VALUE = 0x0040A123
CONTENT_SEQUENCE = 0x0040A730
CODE_VALUE = 0x00080100
CODING_SCHEME_DESIGNATOR = 0x00080102
CODE_MEANING = 0x00080104
LONG_CODE_VALUE = 0x00080119

# Header attributes the report needs: tag → (keyword, decoding).
HEADER_TAGS: dict[int, tuple[str, str]] = {
    0x00080016: ("SOPClassUID", ASCII),
    0x00080018: ("SOPInstanceUID", ASCII),
    0x00080020: ("StudyDate", ASCII),
    0x00080023: ("ContentDate", ASCII),
    0x00080030: ("StudyTime", ASCII),
    0x00080033: ("ContentTime", ASCII),
    0x00080050: ("AccessionNumber", TEXT),
    0x00080070: ("Manufacturer", TEXT),
    0x00080201: ("TimezoneOffsetFromUTC", TEXT),
    0x00081010: ("StationName", TEXT),
    0x00081090: ("ManufacturerModelName", TEXT),
    0x00100010: ("PatientName", PERSON_NAME),
    0x00100020: ("PatientID", TEXT),
    0x00100030: ("PatientBirthDate", ASCII),
    0x00100040: ("PatientSex", ASCII),
    0x00181000: ("DeviceSerialNumber", TEXT),
    0x0020000D: ("StudyInstanceUID", ASCII),
}

# Leaf values read inside SR content items and their code sequences.
ITEM_TAGS: dict[int, str] = {
    RELATIONSHIP_TYPE: ASCII,
    VALUE_TYPE: ASCII,
    NUMERIC_VALUE: ASCII,
    UID: ASCII,
    TEXT_VALUE: TEXT,
    DATETIME: ASCII,
    DATE: ASCII,
    TIME: ASCII,
    PERSON_NAME_VALUE: PERSON_NAME,
    CODE_VALUE: TEXT,
    CODING_SCHEME_DESIGNATOR: TEXT,
    CODE_MEANING: TEXT,
    LONG_CODE_VALUE: TEXT,
    REFERENCED_SOP_INSTANCE_UID: ASCII,
    TEMPLATE_IDENTIFIER: ASCII,
}

# Sequences the readers descend into; every other sequence is skipped unread.
SEQUENCE_TAGS = frozenset(
    {
        REFERENCED_PPS_SEQUENCE,
        CONTENT_TEMPLATE_SEQUENCE,
        CONCEPT_NAME_CODE_SEQUENCE,
        CONCEPT_CODE_SEQUENCE,
        MEASURED_VALUE_SEQUENCE,
        MEASUREMENT_UNITS_CODE_SEQUENCE,
        CONTENT_SEQUENCE,
    }
)

WANTED_TAGS = (
    frozenset(HEADER_TAGS) | frozenset(ITEM_TAGS) | SEQUENCE_TAGS | {SPECIFIC_CHARACTER_SET}
)

# Which leaf of a content item holds its value, by value type.
VALUE_TAG_BY_TYPE = {
    "TEXT": TEXT_VALUE,
    "UIDREF": UID,
    "DATETIME": DATETIME,
    "DATE": DATE,
    "TIME": TIME,
    "PNAME": PERSON_NAME_VALUE,
}


class ContentItem:
    """One SR content item.

    ``text`` holds the value of TEXT, UIDREF, DATETIME, DATE, TIME and PNAME items and the
    Numeric Value string of NUM items; ``code`` holds the value of CODE items and the unit of
    NUM items. Plain slots rather than a dataclass: reports have tens of thousands of items.
    """

    __slots__ = ("children", "code", "concept", "relationship", "text", "value_type")

    def __init__(
        self,
        relationship: str | None,
        value_type: str | None,
        concept: Code | None,
        text: str | None,
        code: Code | None,
        children: list[ContentItem],
    ) -> None:
        self.relationship = relationship
        self.value_type = value_type
        self.concept = concept
        self.text = text
        self.code = code
        self.children = children

    def __repr__(self) -> str:
        return (
            f"ContentItem({self.value_type} {self.concept} text={self.text!r} "
            f"code={self.code} children={len(self.children)})"
        )

    def walk(self) -> Iterator[ContentItem]:
        """Yield this item's descendants, depth first (not the item itself)."""
        for child in self.children:
            yield child
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class SrDocument:
    """An SR dataset reduced to what the dose report needs."""

    header: dict[str, str | None]
    template_identifier: str | None
    referenced_pps_uid: str | None
    root: ContentItem | None
    item_count: int


class TextDecoder:
    """Decodes leaf values with the dataset's Specific Character Set, as pydicom does."""

    def __init__(self, specific_character_set: str | list[str] | None) -> None:
        if isinstance(specific_character_set, str):
            specific_character_set = specific_character_set.split("\\")
        self.encodings = convert_encodings(specific_character_set or ["ISO_IR 6"])
        # Without code extensions the first encoding decodes everything; skip pydicom then.
        self._plain = self.encodings[0] if len(self.encodings) == 1 else None

    def decode(self, value: bytes | list[RawDataset] | None, kind: str) -> str | None:
        """Decode one raw value; padding stripped, empty (or not a leaf) → None."""
        if not value or not isinstance(value, bytes):
            return None
        if kind == ASCII:
            text = value.decode("latin-1")
        elif kind == PERSON_NAME:
            text = str(PersonName(value.rstrip(b" \x00"), self.encodings))
        elif self._plain is not None and b"\x1b" not in value:
            text = value.decode(self._plain, errors="replace")
        else:
            text = decode_bytes(value, self.encodings, TEXT_VR_DELIMS)
        return text.strip(" \x00") or None


def document_from_raw(raw: RawDataset) -> SrDocument:
    """Build the document from the byte walker's output."""
    charset = raw.get(SPECIFIC_CHARACTER_SET)
    decoder = TextDecoder(
        charset.decode("latin-1").strip(" \x00") if isinstance(charset, bytes) else None
    )
    decode = decoder.decode
    header = {keyword: decode(raw.get(tag), kind) for tag, (keyword, kind) in HEADER_TAGS.items()}
    template = _first_item(raw, CONTENT_TEMPLATE_SEQUENCE)
    pps = _first_item(raw, REFERENCED_PPS_SEQUENCE)
    builder = _RawTreeBuilder(decoder)
    root = builder.item(raw) if VALUE_TYPE in raw or CONCEPT_NAME_CODE_SEQUENCE in raw else None
    return SrDocument(
        header=header,
        template_identifier=decode(_leaf(template, TEMPLATE_IDENTIFIER), ASCII),
        referenced_pps_uid=decode(_leaf(pps, REFERENCED_SOP_INSTANCE_UID), ASCII),
        root=root,
        item_count=max(builder.count - 1, 0),
    )


def _leaf(raw: RawDataset | None, tag: int) -> bytes | list[RawDataset] | None:
    return raw.get(tag) if raw else None


def _first_item(raw: RawDataset, tag: int) -> RawDataset | None:
    items = raw.get(tag)
    return items[0] if isinstance(items, list) and items else None


class _RawTreeBuilder:
    def __init__(self, decoder: TextDecoder) -> None:
        self.decode = decoder.decode
        self.count = 0
        # A report repeats a few dozen codes (concept names, units) thousands of times;
        # decoding each distinct encoding once is most of this builder's speed.
        self._codes: dict[tuple[bytes | list[RawDataset] | None, ...], Code] = {}
        self._short: dict[bytes | list[RawDataset] | None, str | None] = {}

    def code(self, sequence: bytes | list[RawDataset] | None) -> Code | None:
        if not isinstance(sequence, list) or not sequence:
            return None
        get = sequence[0].get
        raw = (get(CODE_VALUE), get(CODING_SCHEME_DESIGNATOR), get(CODE_MEANING))
        try:
            code = self._codes.get(raw)
        except TypeError:  # a sequence where a string belongs: decode it, don't cache it
            return self._decode_code(raw, get(LONG_CODE_VALUE))
        if code is None:
            code = self._codes[raw] = self._decode_code(raw, get(LONG_CODE_VALUE))
        return code

    def _decode_code(
        self, raw: tuple[bytes | list[RawDataset] | None, ...], long_value: object
    ) -> Code:
        decode = self.decode
        value = decode(raw[0], TEXT)
        if value is None and isinstance(long_value, bytes):
            value = decode(long_value, TEXT)  # SNOMED ids too long for Code Value (SH)
        return Code(value or "", decode(raw[1], TEXT) or "", decode(raw[2], TEXT) or "")

    def short(self, value: bytes | list[RawDataset] | None) -> str | None:
        """Decode a value from a small vocabulary (value type, relationship), cached."""
        try:
            return self._short[value]
        except KeyError:
            decoded = self._short[value] = self.decode(value, ASCII)
            return decoded
        except TypeError:
            return None

    def item(self, raw: RawDataset) -> ContentItem:
        self.count += 1
        get = raw.get
        decode = self.decode
        value_type = self.short(get(VALUE_TYPE))
        text: str | None = None
        code: Code | None = None
        if value_type == "NUM":
            measured = get(MEASURED_VALUE_SEQUENCE)
            if isinstance(measured, list) and measured:
                text = decode(measured[0].get(NUMERIC_VALUE), ASCII)
                code = self.code(measured[0].get(MEASUREMENT_UNITS_CODE_SEQUENCE))
        elif value_type == "CODE":
            code = self.code(get(CONCEPT_CODE_SEQUENCE))
        elif value_type in VALUE_TAG_BY_TYPE:
            tag = VALUE_TAG_BY_TYPE[value_type]
            text = decode(get(tag), ITEM_TAGS[tag])
        children = get(CONTENT_SEQUENCE)
        return ContentItem(
            self.short(get(RELATIONSHIP_TYPE)),
            value_type,
            self.code(get(CONCEPT_NAME_CODE_SEQUENCE)),
            text,
            code,
            [self.item(child) for child in children] if isinstance(children, list) else [],
        )
