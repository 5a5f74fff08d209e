"""Parse a Modality Worklist C-FIND identifier into database-ready filters (PS3.4 C.2.2.2, K.2.2).

Policies (to be restated in the conformance statement):
- Optional matching keys irflow does not filter on, and keys outside Table K.6-1, are ignored
  for matching and returned like return keys (K.2.2.1.1.2), zero-length when irflow has no
  value; they are listed in `WorklistQuery.unsupported_keys` so the SCP may answer 0xFF01.
- PN keys match case-insensitively (allowed by C.2.2.2.1.1, declared per K.6.1.3.2), literal
  otherwise; every other VR matches case-sensitively (C.2.2.2.1, C.2.2.2.4).
- Wildcards are accepted on every string VR, a superset of the Single Value Matching that
  Table K.6-1 requires for e.g. Modality. A value of only `*` is Universal Matching.
- DA and TM match by meaning (C.2.2.2.1.3): a single TM `1030` equals 10:30:00; a range's
  upper bound includes its whole precision (`-1030` runs to 10:30:59.999999).
- SPS Start Date and Start Time are matched as one datetime when the time is a range
  (Table K.6-1 remark, C.2.2.2.5.4): `20250705-20250707` + `1000-1800` is July 5 10:00 to
  July 7 18:00:59.999999.
- Timezone Offset From UTC (0008,0201) is never matched (K.2.2.2); times are local.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag

from irflow.dicom.charset import (
    TEXT_VRS,
    CharacterSet,
    CharsetError,
    read_charset,
    read_values,
)
from irflow.dicom.worklist.keys import TOP_KEYS, KeySpec, specs_by_tag
from irflow.dicom.worklist.values import (
    fold_case,
    is_valid_uid,
    normalize_pn,
    parse_da,
    parse_tm,
)

# C-FIND failure statuses of PS3.4 Table K.4-2.
STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS = 0xA900
STATUS_UNABLE_TO_PROCESS = 0xC000

MSG_INVALID_DATE = "invalid date"
MSG_INVALID_TIME = "invalid time"
MSG_INVALID_RANGE = "a range has exactly one '-'"
MSG_REVERSED_RANGE = "range start is after its end"
MSG_INVALID_UID = "invalid UID"
MSG_MULTIPLE_VALUES = "multiple values are only allowed in a UID list"
MSG_CONTROL_CHARACTER = "control characters are not allowed"
MSG_SEQUENCE_ITEMS = "a sequence key has at most one item"
MSG_NOT_A_SEQUENCE = "expected a sequence"

LIKE_ESCAPE = "\\"
_NEVER_MATCHED = frozenset({0x00080005, 0x00080201})  # Specific Character Set, Timezone Offset


class MatchKind(StrEnum):
    """The matching types of PS3.4 C.2.2.2 that a filter uses."""

    UNIVERSAL = "universal"
    SINGLE = "single"
    WILDCARD = "wildcard"
    RANGE = "range"
    LIST = "list"


@dataclass(frozen=True)
class Filter:
    """One matching key, ready to become one ORM lookup on `field`.

    - UNIVERSAL: no condition (the key is only returned).
    - SINGLE: equality with `value` (a str, a date for DA, a time for TM); compare
      `match_value` against `fold_case(column)` when `case_insensitive`.
    - WILDCARD: `column LIKE like_pattern ESCAPE '\\'` (fold the column when case-insensitive).
    - RANGE: `start <= column <= end`, inclusive, either end open (None); dates, times or,
      for the combined SPS start (`field == "sps_start"`), datetimes.
    - LIST: `column IN values`.
    For PN the column is `fold_case(pn_group(name, pn_group))`: group 0 alphabetic,
    1 ideographic, 2 phonetic.
    Stored zero-length values never match a non-universal filter (K.2.2.1.1.1).
    """

    field: str
    keyword: str
    kind: MatchKind
    value: str | date | time | None = None
    values: tuple[str, ...] = ()
    start: date | time | datetime | None = None
    end: date | time | datetime | None = None
    case_insensitive: bool = False
    pn_group: int = 0

    @property
    def match_value(self) -> str:
        """The SINGLE or WILDCARD value as the column must be compared against it."""
        text = str(self.value)
        return fold_case(text) if self.case_insensitive else text

    @property
    def like_pattern(self) -> str:
        """The WILDCARD value as an SQL LIKE pattern escaped with `LIKE_ESCAPE`."""
        return to_like_pattern(self.match_value)


@dataclass(frozen=True)
class ReturnKey:
    """A key whose value the response must carry; for SQ, the keys requested in its item."""

    tag: int
    keyword: str
    vr: str
    item_keys: tuple[ReturnKey, ...] | None = None  # () = the whole sequence

    @property
    def is_sequence(self) -> bool:
        """True for a sequence key."""
        return self.item_keys is not None


@dataclass(frozen=True)
class WorklistQuery:
    """A parsed worklist C-FIND identifier."""

    filters: tuple[Filter, ...]
    return_keys: tuple[ReturnKey, ...]
    unsupported_keys: tuple[str, ...] = ()
    charset: tuple[str, ...] = ()

    @property
    def active_filters(self) -> tuple[Filter, ...]:
        """The filters that restrict the result (all but UNIVERSAL)."""
        return tuple(f for f in self.filters if f.kind is not MatchKind.UNIVERSAL)


class InvalidQuery(ValueError):
    """An identifier the SCP must refuse; `status` is the C-FIND failure status to answer.

    0xA900 (Identifier does not match SOP Class) for malformed values and structure;
    0xC000 (Unable to process) for a Specific Character Set irflow does not support.
    """

    def __init__(
        self,
        reason: str,
        keyword: str,
        *,
        tag: int | None = None,
        status: int = STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS,
    ) -> None:
        super().__init__(f"{keyword}: {reason}")
        self.reason = reason
        self.keyword = keyword
        self.tag = tag
        self.status = status

    @property
    def error_comment(self) -> str:
        """Text for Error Comment (0000,0902), an LO of at most 64 characters."""
        return f"{self.keyword.rsplit('>', 1)[-1]}: {self.reason}"[:64]


def to_like_pattern(pattern: str) -> str:
    """Convert a DICOM wildcard pattern (`*`, `?`) to SQL LIKE, escaping `%`, `_` and `\\`."""
    out = []
    for char in pattern:
        if char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        elif char in ("%", "_", LIKE_ESCAPE):
            out.append(LIKE_ESCAPE + char)
        else:
            out.append(char)
    return "".join(out)


def parse_worklist_query(
    identifier: Dataset, *, fallback_charset: str | None = None
) -> WorklistQuery:
    """Parse a C-FIND identifier; raise `InvalidQuery` if the SCP must refuse it.

    `fallback_charset` is the charset configured for the calling AE, used when the identifier
    has no Specific Character Set.
    """
    try:
        charset = read_charset(identifier, fallback=fallback_charset)
    except CharsetError as exc:
        raise InvalidQuery(
            exc.reason,
            "SpecificCharacterSet",
            tag=0x00080005,
            status=STATUS_UNABLE_TO_PROCESS,
        ) from exc
    parser = _Parser(charset)
    return_keys = parser.walk(identifier, TOP_KEYS, prefix="", field_prefix="")
    return WorklistQuery(
        filters=_combine_sps_start(parser.filters),
        return_keys=return_keys,
        unsupported_keys=tuple(parser.unsupported),
        charset=charset.terms if not charset.is_default else (),
    )


@dataclass
class _Parser:
    charset: CharacterSet
    filters: list[Filter] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)

    def walk(
        self, ds: Dataset, specs: tuple[KeySpec, ...], *, prefix: str, field_prefix: str
    ) -> tuple[ReturnKey, ...]:
        by_tag = specs_by_tag(specs)
        keys = []
        for tag in sorted(ds.keys()):
            if tag in _NEVER_MATCHED or tag.element == 0 or tag.group in (0x0000, 0x0002):
                continue
            spec = by_tag.get(tag)
            keyword = prefix + (keyword_for_tag(tag) or f"({tag.group:04X},{tag.element:04X})")
            vr = spec.vr if spec else _wire_vr(ds, tag)
            if vr == "SQ":
                keys.append(self._sequence(ds, tag, spec, keyword, field_prefix))
                continue
            values = self._values(ds, tag, keyword, vr)
            keys.append(ReturnKey(int(tag), keyword, vr))
            if spec is not None and spec.matching and spec.field is not None:
                self.filters.extend(_filters(spec, field_prefix + spec.field, keyword, values))
            elif _restricts(values):
                self.unsupported.append(keyword)
        return tuple(keys)

    def _sequence(
        self, ds: Dataset, tag: BaseTag, spec: KeySpec | None, keyword: str, field_prefix: str
    ) -> ReturnKey:
        items = _sequence_items(ds, tag, keyword)
        if len(items) > 1:
            raise InvalidQuery(MSG_SEQUENCE_ITEMS, keyword, tag=int(tag))
        item_keys: tuple[ReturnKey, ...] = ()
        if items:
            nested_prefix = field_prefix
            if spec is not None and not spec.flat:
                nested_prefix = f"{field_prefix}{spec.field}." if spec.field else ""
            item_keys = self.walk(
                items[0],
                spec.items if spec is not None else (),
                prefix=f"{keyword}>",
                field_prefix=nested_prefix,
            )
        return ReturnKey(int(tag), keyword, "SQ", item_keys=item_keys)

    def _values(self, ds: Dataset, tag: BaseTag, keyword: str, vr: str) -> list[str]:
        if vr not in TEXT_VRS:
            # Binary values are never matched; only whether one was sent matters.
            elem = ds.get_item(tag)
            return ["?"] if elem is not None and elem.value not in (None, b"", "") else []
        try:
            return read_values(ds, tag, self.charset) or []
        except CharsetError as exc:
            raise InvalidQuery(exc.reason, keyword, tag=int(tag)) from exc


def _wire_vr(ds: Dataset, tag: BaseTag) -> str:
    """The VR as sent, or from the dictionary for implicit VR, without converting the value."""
    elem = ds.get_item(tag)
    vr = elem.VR if elem is not None else None
    if vr in (None, "UN"):
        try:
            return str(dictionary_VR(tag))
        except KeyError:
            return "UN"
    return str(vr)


def _sequence_items(ds: Dataset, tag: BaseTag, keyword: str) -> list[Dataset]:
    elem = ds.get_item(tag)
    if isinstance(elem, RawDataElement) and not elem.value:
        return []
    value = ds[tag].value
    if value is None or value == "" or value == b"":
        return []
    if not isinstance(value, Sequence):
        raise InvalidQuery(MSG_NOT_A_SEQUENCE, keyword, tag=int(tag))
    return list(value)


def _restricts(values: list[str]) -> bool:
    """True if the values ask for more than Universal Matching."""
    return any(value.strip(" \x00*") for value in values)


def _filters(spec: KeySpec, field: str, keyword: str, raw_values: list[str]) -> list[Filter]:
    strip = " \x00" if spec.vr == "UI" else " "
    values = [value.strip(strip) for value in raw_values]
    universal = Filter(field, keyword, MatchKind.UNIVERSAL, case_insensitive=spec.vr == "PN")
    if not any(values) or (len(values) == 1 and set(values[0]) == {"*"}):
        return [universal]
    if len(values) > 1 and spec.vr != "UI":
        raise InvalidQuery(MSG_MULTIPLE_VALUES, keyword, tag=spec.tag)
    if spec.vr == "UI":
        if not all(is_valid_uid(value) for value in values):
            raise InvalidQuery(MSG_INVALID_UID, keyword, tag=spec.tag)
        if len(values) > 1:
            return [Filter(field, keyword, MatchKind.LIST, values=tuple(values))]
        return [Filter(field, keyword, MatchKind.SINGLE, value=values[0])]
    value = values[0]
    if spec.vr == "DA":
        return [_date_filter(field, keyword, value, spec.tag)]
    if spec.vr == "TM":
        return [_time_filter(field, keyword, value, spec.tag)]
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise InvalidQuery(MSG_CONTROL_CHARACTER, keyword, tag=spec.tag)
    if spec.vr != "PN":
        return [_string_filter(field, keyword, value, case_insensitive=False)]
    groups = normalize_pn(value).split("=")
    filters = [
        replace(_string_filter(field, keyword, group, case_insensitive=True), pn_group=index)
        for index, group in enumerate(groups[:3])
        if group and set(group) != {"*"}
    ]
    return filters or [universal]


def _string_filter(field: str, keyword: str, value: str, *, case_insensitive: bool) -> Filter:
    kind = MatchKind.WILDCARD if "*" in value or "?" in value else MatchKind.SINGLE
    return Filter(field, keyword, kind, value=value, case_insensitive=case_insensitive)


def _split_range(value: str, keyword: str, tag: int) -> tuple[str, str] | None:
    """Split `a-b`, `-b` or `a-` into its ends; None for a single value."""
    if "-" not in value:
        return None
    parts = value.split("-")
    if len(parts) != 2 or not (parts[0].strip() or parts[1].strip()):
        raise InvalidQuery(MSG_INVALID_RANGE, keyword, tag=tag)
    return parts[0].strip(), parts[1].strip()


def _date_filter(field: str, keyword: str, value: str, tag: int) -> Filter:
    ends = _split_range(value, keyword, tag)
    try:
        if ends is None:
            return Filter(field, keyword, MatchKind.SINGLE, value=parse_da(value))
        start = parse_da(ends[0]) if ends[0] else None
        end = parse_da(ends[1]) if ends[1] else None
    except ValueError as exc:
        raise InvalidQuery(MSG_INVALID_DATE, keyword, tag=tag) from exc
    if start is not None and end is not None and start > end:
        raise InvalidQuery(MSG_REVERSED_RANGE, keyword, tag=tag)
    return Filter(field, keyword, MatchKind.RANGE, start=start, end=end)


def _time_filter(field: str, keyword: str, value: str, tag: int) -> Filter:
    """A TM filter; a range's order is checked by `_combine_sps_start`, as a combined range
    may run overnight."""
    ends = _split_range(value, keyword, tag)
    try:
        if ends is None:
            return Filter(field, keyword, MatchKind.SINGLE, value=parse_tm(value)[0])
        start = parse_tm(ends[0])[0] if ends[0] else None
        end = parse_tm(ends[1])[1] if ends[1] else None
    except ValueError as exc:
        raise InvalidQuery(MSG_INVALID_TIME, keyword, tag=tag) from exc
    return Filter(field, keyword, MatchKind.RANGE, start=start, end=end)


def _combine_sps_start(filters: list[Filter]) -> tuple[Filter, ...]:
    by_field = {f.field: f for f in filters}
    day = by_field.get("sps_start.date")
    clock = by_field.get("sps_start.time")
    combine = (
        day is not None
        and clock is not None
        and day.kind is not MatchKind.UNIVERSAL
        and clock.kind is MatchKind.RANGE
    )
    for f in filters:
        # A combined range may run overnight; a time range on its own may not (C.2.2.2.5.2).
        times = isinstance(f.start, time) and isinstance(f.end, time)
        if times and f.start > f.end and not (combine and f is clock):  # type: ignore[operator]
            raise InvalidQuery(MSG_REVERSED_RANGE, f.keyword)
    if not combine or day is None or clock is None:
        return tuple(filters)
    combined = _combined(day, clock)
    return tuple(combined if f is day else f for f in filters if f is not clock)


def _combined(day: Filter, clock: Filter) -> Filter:
    first_day = day.value if day.kind is MatchKind.SINGLE else day.start
    last_day = day.value if day.kind is MatchKind.SINGLE else day.end
    assert isinstance(clock.start, time | None) and isinstance(clock.end, time | None)
    start = (
        datetime.combine(first_day, clock.start or time.min)
        if isinstance(first_day, date)
        else None
    )
    end = datetime.combine(last_day, clock.end or time.max) if isinstance(last_day, date) else None
    if start is not None and end is not None and start > end:
        raise InvalidQuery(MSG_REVERSED_RANGE, f"{day.keyword}+Time")
    return Filter("sps_start", f"{day.keyword}+Time", MatchKind.RANGE, start=start, end=end)
