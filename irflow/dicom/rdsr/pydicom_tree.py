"""Build the SR document from a pydicom Dataset: the path for anything the walker skips.

Used for transfer syntaxes the byte walker does not read (Deflated, Explicit VR Big Endian)
and for datasets already in memory (a C-STORE handler's ``event.dataset``). Leaf values still
undecoded in the Dataset are read as raw bytes through the same :class:`.tree.TextDecoder`
the fast path uses, so both paths agree to the character.
"""

from __future__ import annotations

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from .models import Code
from .tree import (
    ASCII,
    CODE_MEANING,
    CODE_VALUE,
    CODING_SCHEME_DESIGNATOR,
    CONCEPT_CODE_SEQUENCE,
    CONCEPT_NAME_CODE_SEQUENCE,
    CONTENT_SEQUENCE,
    CONTENT_TEMPLATE_SEQUENCE,
    HEADER_TAGS,
    ITEM_TAGS,
    LONG_CODE_VALUE,
    MEASURED_VALUE_SEQUENCE,
    MEASUREMENT_UNITS_CODE_SEQUENCE,
    NUMERIC_VALUE,
    REFERENCED_PPS_SEQUENCE,
    REFERENCED_SOP_INSTANCE_UID,
    RELATIONSHIP_TYPE,
    SPECIFIC_CHARACTER_SET,
    TEMPLATE_IDENTIFIER,
    TEXT,
    VALUE_TAG_BY_TYPE,
    VALUE_TYPE,
    ContentItem,
    SrDocument,
    TextDecoder,
)


def document_from_dataset(dataset: Dataset) -> SrDocument:
    """Build the document from a pydicom Dataset (read from a file or built in memory)."""
    charset = dataset.get("SpecificCharacterSet")
    if isinstance(charset, MultiValue):
        charset = list(charset)
    reader = _DatasetReader(TextDecoder(charset))
    header = {
        keyword: reader.leaf(dataset, tag, kind) for tag, (keyword, kind) in HEADER_TAGS.items()
    }
    template = _first_item(dataset, CONTENT_TEMPLATE_SEQUENCE)
    pps = _first_item(dataset, REFERENCED_PPS_SEQUENCE)
    has_root = VALUE_TYPE in dataset or CONCEPT_NAME_CODE_SEQUENCE in dataset
    root = reader.item(dataset) if has_root else None
    return SrDocument(
        header=header,
        template_identifier=reader.leaf(template, TEMPLATE_IDENTIFIER, ASCII),
        referenced_pps_uid=reader.leaf(pps, REFERENCED_SOP_INSTANCE_UID, ASCII),
        root=root,
        item_count=max(reader.count - 1, 0),
    )


def _first_item(dataset: Dataset, tag: int) -> Dataset | None:
    if tag not in dataset:
        return None
    items = dataset[tag].value
    return items[0] if items else None


def _in_memory_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, MultiValue | list | tuple):
        text = "\\".join(str(part) for part in value)
    elif isinstance(value, bytes):
        text = value.decode("latin-1")
    else:
        text = str(value)
    return text.strip(" \x00") or None


class _DatasetReader:
    def __init__(self, decoder: TextDecoder) -> None:
        self.decode = decoder.decode
        self.count = 0

    def leaf(self, dataset: Dataset | None, tag: int, kind: str) -> str | None:
        if dataset is None or tag not in dataset:
            return None
        if tag == SPECIFIC_CHARACTER_SET:
            return None
        element = dataset.get_item(tag)
        if isinstance(element, RawDataElement):
            return self.decode(element.value, kind)
        assert isinstance(element, DataElement)
        return _in_memory_text(element.value)

    def code(self, dataset: Dataset, tag: int) -> Code | None:
        item = _first_item(dataset, tag)
        if item is None:
            return None
        value = self.leaf(item, CODE_VALUE, TEXT) or self.leaf(item, LONG_CODE_VALUE, TEXT)
        return Code(
            value or "",
            self.leaf(item, CODING_SCHEME_DESIGNATOR, TEXT) or "",
            self.leaf(item, CODE_MEANING, TEXT) or "",
        )

    def item(self, dataset: Dataset) -> ContentItem:
        self.count += 1
        value_type = self.leaf(dataset, VALUE_TYPE, ASCII)
        text: str | None = None
        code: Code | None = None
        if value_type == "NUM":
            measured = _first_item(dataset, MEASURED_VALUE_SEQUENCE)
            if measured is not None:
                text = self.leaf(measured, NUMERIC_VALUE, ASCII)
                code = self.code(measured, MEASUREMENT_UNITS_CODE_SEQUENCE)
        elif value_type == "CODE":
            code = self.code(dataset, CONCEPT_CODE_SEQUENCE)
        elif value_type in VALUE_TAG_BY_TYPE:
            tag = VALUE_TAG_BY_TYPE[value_type]
            text = self.leaf(dataset, tag, ITEM_TAGS[tag])
        children = dataset[CONTENT_SEQUENCE].value if CONTENT_SEQUENCE in dataset else ()
        return ContentItem(
            self.leaf(dataset, RELATIONSHIP_TYPE, ASCII),
            value_type,
            self.code(dataset, CONCEPT_NAME_CODE_SEQUENCE),
            text,
            code,
            [self.item(child) for child in children],
        )
