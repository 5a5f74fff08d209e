"""Reading typed values out of content items: numbers with units, codes, text, date-times.

A :class:`ValueReader` carries the report's warnings, so every tolerated oddity (a non-UCUM
unit, a multi-valued number, an unparseable date) is recorded once, in words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from .codes import CodeKey, canonical
from .errors import UnknownUnit
from .models import Code
from .tree import ContentItem
from .units import COUNT, NON_UCUM_ALIASES, UCUM, UNIT_SCHEME_TYPOS, Quantity

_MULTI_VALUE_SEPARATORS = re.compile(r"[\\/]")
_DT = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$")
_TM = re.compile(r"^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$")
_DA = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_OFFSET = re.compile(r"^(UTC)?([+-])(\d{2})(:?)(\d{2})$")


def key_of(item: ContentItem) -> CodeKey | None:
    """The canonical concept key of an item, or None for an item without a concept name."""
    concept = item.concept
    return canonical(concept.value, concept.scheme) if concept is not None else None


def code_key(code: Code | None) -> CodeKey | None:
    """The canonical key of a coded value, or None."""
    return canonical(code.value, code.scheme) if code is not None else None


def lookup(table: Mapping[CodeKey, str], code: Code | None) -> str | None:
    """Look a coded value up in a table keyed by canonical code."""
    return table.get(canonical(code.value, code.scheme)) if code is not None else None


def index_subtree(container: ContentItem) -> dict[CodeKey, ContentItem]:
    """Map each concept in a container's subtree to its first item, nearest level first.

    Vendors nest the same TID rows at different depths; looking level by level finds the
    row wherever it sits while a direct child still wins over a deeper namesake.
    """
    found: dict[CodeKey, ContentItem] = {}
    level = container.children
    while level:
        deeper: list[ContentItem] = []
        for item in level:
            concept = item.concept
            if concept is not None:
                found.setdefault(canonical(concept.value, concept.scheme), item)
            if item.children:
                deeper.extend(item.children)
        level = deeper
    return found


def children_with(container: ContentItem, key: CodeKey) -> list[ContentItem]:
    """Direct children of ``container`` whose concept is ``key``."""
    return [child for child in container.children if key_of(child) == key]


def describe(item: ContentItem) -> str:
    """Name a content item for a message: meaning as written, then scheme and code."""
    concept = item.concept
    if concept is None:
        return "a content item without a concept name"
    meaning = f'"{concept.meaning}" ' if concept.meaning else ""
    return f"{meaning}({concept.scheme} {concept.value})"


def parse_offset(text: str | None) -> tuple[timedelta | None, str | None]:
    """Parse Timezone Offset From UTC; returns the offset and a warning, if any."""
    if not text:
        return None, None
    match = _OFFSET.match(text)
    if match is None:
        return None, f'Timezone Offset From UTC "{text}" is not ±HHMM; times are kept naive'
    prefix, sign, hours, colon, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes)) * (-1 if sign == "-" else 1)
    warning = None
    if prefix or colon:
        warning = f'Timezone Offset From UTC "{text}" is not ±HHMM; read as {sign}{hours}{minutes}'
    return offset, warning


class ValueReader:
    """Typed access to content item values, collecting warnings for the report."""

    def __init__(self, utc_offset: timedelta | None = None) -> None:
        self.warnings: list[str] = []
        self._tz = timezone(utc_offset) if utc_offset is not None else None

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def note_multi_valued(self, root: ContentItem) -> None:
        """Warn about every NUM with several values, read or not, anywhere in the tree."""
        seen: set[Code | None] = set()
        for item in root.walk():
            text = item.text
            if (
                item.value_type == "NUM"
                and text
                and item.concept not in seen
                and _MULTI_VALUE_SEPARATORS.search(text)
            ):
                seen.add(item.concept)  # one warning per concept, with the first example
                self.warn(
                    f'{describe(item)} has several numeric values (e.g. "{text}"); '
                    "only the first is read"
                )

    def number(self, item: ContentItem | None, quantity: Quantity) -> float | None:
        """The value of a NUM item in irflow's unit for ``quantity``; None when empty.

        Raises :class:`UnknownUnit` when the unit is not one ``quantity`` accepts.
        """
        if item is None:
            return None
        if item.value_type != "NUM":
            self.warn(f"{describe(item)} is a {item.value_type} item, not NUM; value ignored")
            return None
        if not item.text:
            return None
        first = _MULTI_VALUE_SEPARATORS.split(item.text, maxsplit=1)[0].strip()
        if not first:
            return None
        try:
            value = float(first)
        except ValueError:
            self.warn(f'{describe(item)}: "{item.text}" is not a number; value ignored')
            return None
        if not math.isfinite(value):
            self.warn(f'{describe(item)}: "{item.text}" is not a finite number; value ignored')
            return None
        return value * self._unit_factor(item, quantity)

    def integer(self, item: ContentItem | None, quantity: Quantity = COUNT) -> int | None:
        """A count; a fractional value is rounded, with a warning."""
        value = self.number(item, quantity)
        if value is None:
            return None
        rounded = round(value)
        if not math.isclose(value, rounded, abs_tol=1e-9) and item is not None:
            self.warn(f'{describe(item)}: count "{item.text}" is not whole; rounded to {rounded}')
        return rounded

    def _unit_factor(self, item: ContentItem, quantity: Quantity) -> float:
        unit = item.code
        unit_value = unit.value if unit is not None else ""
        scheme = unit.scheme if unit is not None else ""
        if scheme in UNIT_SCHEME_TYPOS:
            self.warn(f'unit coding scheme "{scheme}" read as {UNIT_SCHEME_TYPOS[scheme]}')
            scheme = UNIT_SCHEME_TYPOS[scheme]
        if scheme == UCUM and unit_value in NON_UCUM_ALIASES:
            alias = NON_UCUM_ALIASES[unit_value]
            self.warn(f'unit "{unit_value}" is not valid UCUM; read as "{alias}"')
            unit_value = alias
        factor = quantity.factor(unit_value) if scheme == UCUM else None
        if factor is None:
            raise UnknownUnit(
                concept=describe(item),
                unit=unit.value if unit is not None else "(none)",
                scheme=unit.scheme if unit is not None else "no unit given",
                quantity=quantity.name,
            )
        return factor

    @staticmethod
    def text(item: ContentItem | None) -> str | None:
        """Text of TEXT, UIDREF and similar items; the meaning of a CODE item."""
        if item is None:
            return None
        if item.value_type != "CODE":
            return item.text
        return (item.code.meaning or None) if item.code is not None else None

    @staticmethod
    def code(item: ContentItem | None) -> Code | None:
        """The coded value of a CODE item (None for other value types)."""
        if item is None or item.value_type != "CODE":
            return None
        return item.code

    def date_time(self, item: ContentItem | None) -> datetime | None:
        """A DATETIME item's value (see :mod:`.models` for time zones)."""
        if item is None or not item.text:
            return None
        return self.parse_dt(item.text, what=describe(item))

    def parse_dt(self, text: str, *, what: str) -> datetime | None:
        """Parse a DICOM DT value; partial values are completed with the earliest instant."""
        match = _DT.match(text)
        if match is None:
            self.warn(f'{what}: date-time "{text}" is not a DICOM DT; ignored')
            return None
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        tz = self._tz
        if offset:
            sign = -1 if offset[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        try:
            return datetime(
                int(year),
                int(month or 1),
                int(day or 1),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")),
                tzinfo=tz,
            )
        except ValueError:
            self.warn(f'{what}: date-time "{text}" is not a valid date; ignored')
            return None

    def combine(self, date: str | None, time: str | None, *, what: str) -> datetime | None:
        """Combine a DA and a TM header value (TM may be missing: midnight)."""
        if not date:
            return None
        date = date.replace(".", "")  # ACR-NEMA style "YYYY.MM.DD"
        time = (time or "").replace(":", "")
        if _DA.match(date) is None or (time and _TM.match(time) is None):
            self.warn(f'{what}: "{date} {time}" is not a DICOM date and time; ignored')
            return None
        return self.parse_dt(date + time, what=what)
