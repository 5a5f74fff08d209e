"""The reference matcher: what a `WorklistQuery` means for one item, in plain Python.

It is the oracle that tests hold the database translation to; the SCP itself filters in the
database and never loops over rows with it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from irflow.dicom.worklist.items import WorklistItem, resolve
from irflow.dicom.worklist.query import Filter, MatchKind, WorklistQuery
from irflow.dicom.worklist.values import fold_case, pn_group


def matches(query: WorklistQuery, item: WorklistItem) -> bool:
    """True if `item` satisfies every filter of `query`."""
    return all(filter_matches(f, item) for f in query.filters)


def filter_matches(f: Filter, item: WorklistItem) -> bool:
    """True if `item` satisfies one filter."""
    if f.kind is MatchKind.UNIVERSAL:
        return True
    stored = resolve(item, f.field)
    if stored is None or stored == "":
        # An unknown value fails to match any matching key value (K.2.2.1.1.1).
        return False
    if f.kind is MatchKind.RANGE:
        return _in_range(stored, f)
    if isinstance(stored, date | time):
        return stored == f.value
    text = str(stored)
    if f.case_insensitive:
        text = fold_case(pn_group(text, f.pn_group))
        if not text:
            return False
    if f.kind is MatchKind.LIST:
        return text in f.values
    if f.kind is MatchKind.WILDCARD:
        return wildcard_regex(f.match_value).fullmatch(text) is not None
    return text == f.match_value


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """Compile a DICOM wildcard pattern (`*` any run, `?` one character) to a regex."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _in_range(stored: object, f: Filter) -> bool:
    if isinstance(f.start, datetime) or isinstance(f.end, datetime):
        # Only the combined SPS start compares datetimes; a date would compare unequal types.
        return isinstance(stored, datetime) and _between(stored, f)
    return _between(stored, f)


def _between(stored: object, f: Filter) -> bool:
    if f.start is not None and stored < f.start:  # type: ignore[operator]
        return False
    return f.end is None or stored <= f.end  # type: ignore[operator]
