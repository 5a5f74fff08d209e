"""What both UDI issuers' parsers share: the result, the error, and the reading of dates."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

GS1 = "GS1"
HIBCC = "HIBCC"
ISSUERS = (GS1, HIBCC)

GS = "\x1d"
# How scanners in keyboard mode, and people, write the GS separator.
GS_SPELLINGS = ("<GS>", "{GS}", "\u241d", "^]")
# The AIM symbology identifier a scanner may put first (]d2 Data Matrix, ]C1 GS1-128, …).
SYMBOLOGY_PREFIX = re.compile(r"^\][A-Za-z][0-9]")


class UdiError(ValueError):
    """A malformed UDI; the message says what is wrong, for the person holding the scanner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Udi:
    """A parsed UDI: who issued it, the device identifier (UDI-DI) and the production
    identifiers (UDI-PI: lot, serial, expiry, production date)."""

    issuer: str
    # GS1: the GTIN-14. HIBCC: labeler code + product number + unit of measure.
    device_identifier: str
    expiry: date | None = None
    lot: str = ""
    serial: str = ""
    production_date: date | None = None
    # HIBCC: the string as scanned (its own human-readable form); GS1 writes its own.
    text: str = ""

    @property
    def gtin(self) -> str:
        return self.device_identifier if self.issuer == GS1 else ""

    @property
    def human_readable(self) -> str:
        """GS1: the parentheses form, identifiers in the usual label order. HIBCC: as scanned."""
        if self.issuer == HIBCC:
            return self.text
        parts = [f"(01){self.device_identifier}"]
        if self.expiry is not None:
            parts.append(f"(17){self.expiry:%y%m%d}")
        if self.production_date is not None:
            parts.append(f"(11){self.production_date:%y%m%d}")
        if self.lot:
            parts.append(f"(10){self.lot}")
        if self.serial:
            parts.append(f"(21){self.serial}")
        return "".join(parts)


def normalise(text: str) -> str:
    """Trim what scanners and people add: line ends, the symbology identifier, the spelled-out
    GS separator, the asterisks printed around a HIBC string."""
    # Spaces at the end stay: a HIBC check character may be a space.
    text = (text or "").lstrip().replace("\r", "").replace("\n", "").replace("\t", "")
    for spelling in GS_SPELLINGS:
        text = text.replace(spelling, GS)
    text = SYMBOLOGY_PREFIX.sub("", text)
    text = text.strip(GS)
    if len(text) > 2 and text.startswith("*") and text.endswith("*"):
        text = text[1:-1]
    return text


def full_year(yy: int, today: date) -> int:
    """A two-digit year in GS1's sliding window: up to 50 years ahead, else the past 49."""
    century = today.year // 100 * 100
    difference = yy - today.year % 100
    if difference >= 51:
        century -= 100
    elif difference <= -50:
        century += 100
    return century + yy


def last_day(year: int, month: int) -> int:
    return monthrange(year, month)[1]
