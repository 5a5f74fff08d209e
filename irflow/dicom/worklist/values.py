"""DICOM value helpers shared by the worklist and MPPS cores: codes, dates, times, names, UIDs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_TIME = re.compile(r"(\d\d)(\d\d)?(\d\d)?(?:\.(\d{1,6}))?")
_ONE_MICROSECOND = timedelta(microseconds=1)
MAX_UID_LENGTH = 64


@dataclass(frozen=True)
class Code:
    """A coded entry (PS3.3 Table 8.8-1a): code value, coding scheme designator, meaning."""

    value: str
    scheme: str
    meaning: str = ""


def fold_case(text: str) -> str:
    """Case folding used for case-insensitive PN matching; store it beside indexed names."""
    return text.lower()


def normalize_pn(text: str) -> str:
    """Drop padding and trailing empty components and groups (PS3.5 6.2.1.1)."""
    groups = [group.strip(" ").rstrip("^").rstrip(" ") for group in text.strip(" ").split("=")]
    return "=".join(groups).rstrip("=")


def pn_group(text: str, index: int) -> str:
    """Component group `index` (0 alphabetic, 1 ideographic, 2 phonetic) of a normalized PN."""
    groups = normalize_pn(text).split("=")
    return groups[index] if index < len(groups) else ""


def parse_da(text: str) -> date:
    """Parse a DA value (`YYYYMMDD`, or ACR-NEMA `YYYY.MM.DD`); raise ValueError if invalid."""
    digits = text.replace(".", "") if len(text) == 10 and text[4::3] == ".." else text
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(text)
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def parse_tm(text: str) -> tuple[time, time]:
    """Parse a TM value into the first and last instant it denotes (`10` -> 10:00-10:59:59.999999).

    Partial times name a period (PS3.5 6.2, TM); ACR-NEMA colons (`10:30:15`) are accepted.
    """
    if text.count(":") <= 2 and len(text) >= 5 and text[2:3] == ":":
        text = text.replace(":", "")
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(text)
    hour, minute, second, fraction = match.groups()
    if fraction is not None and second is None:
        raise ValueError(text)
    if int(hour) > 23 or int(minute or 0) > 59 or int(second or 0) > 60:
        raise ValueError(text)
    # A leap second (60) has no Python time; it sorts as the last microsecond of the minute.
    leap = int(second or 0) == 60
    start = datetime(
        2000,
        1,
        1,
        int(hour),
        int(minute or 0),
        59 if leap else int(second or 0),
        999999 if leap else int((fraction or "0").ljust(6, "0")),
    )
    if fraction is not None:
        step = timedelta(microseconds=10 ** (6 - len(fraction)))
    elif second is not None:
        step = timedelta(seconds=1)
    elif minute is not None:
        step = timedelta(minutes=1)
    else:
        step = timedelta(hours=1)
    end = min(start + step - _ONE_MICROSECOND, datetime(2000, 1, 1, 23, 59, 59, 999999))
    return start.time(), end.time()


def format_da(value: date) -> str:
    """Format a date as DA."""
    return value.strftime("%Y%m%d")


def format_tm(value: time) -> str:
    """Format a time as TM, with fractional seconds only when present."""
    text = value.strftime("%H%M%S")
    return f"{text}.{value.microsecond:06d}" if value.microsecond else text


def is_valid_uid(text: str) -> bool:
    """True for a dotted-decimal UID of at most 64 characters (PS3.5 9.1)."""
    return len(text) <= MAX_UID_LENGTH and _UID.fullmatch(text) is not None
