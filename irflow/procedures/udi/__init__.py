"""UDIs as barcode scanners type them, parsed into the device identifier, lot, serial and
dates (pure Python, no Django): GS1 (`gs1.py`) and HIBCC (`hibc.py`)."""

from __future__ import annotations

from datetime import date

from irflow.procedures.udi.common import GS, GS1, HIBCC, ISSUERS, Udi, UdiError, normalise
from irflow.procedures.udi.gs1 import gs1_raw, gtin_check_digit, parse_gs1
from irflow.procedures.udi.hibc import hibc_check_character, hibc_encode, parse_hibc

__all__ = [
    "GS",
    "GS1",
    "HIBCC",
    "ISSUERS",
    "Udi",
    "UdiError",
    "gs1_raw",
    "gtin_check_digit",
    "hibc_check_character",
    "hibc_encode",
    "normalise_product",
    "parse_udi",
]

MSG_EMPTY = "The UDI is empty: scan the barcode or type the string."
MSG_NOT_UDI = "This is not a UDI: a GS1 one starts with (01) or 01, a HIBC one with +."


def parse_udi(text: str, *, today: date | None = None) -> Udi:
    """Parse a GS1 or HIBC UDI as scanned or typed; raise UdiError naming the first problem."""
    text = normalise(text)
    if not text.strip():
        raise UdiError(MSG_EMPTY)
    if text.startswith("+"):
        try:
            return parse_hibc(text, today=today)
        except UdiError:
            if text == text.rstrip(" "):
                raise
            return parse_hibc(text.rstrip(" "), today=today)  # spaces typed after it
    text = text.rstrip(" ")
    if text.startswith("(") or text[:1].isdigit():
        return parse_gs1(text, today=today)
    raise UdiError(MSG_NOT_UDI)


def normalise_product(text: str) -> str:
    """A device identifier as typed into a search: a GTIN with or without its leading zeros
    (GTIN-8, -12, -13 or -14), or a HIBC product with or without its `+`."""
    value = "".join((text or "").split()).upper().lstrip("+")
    if value.isdigit() and len(value) in (8, 12, 13, 14):
        return value.zfill(14)
    return value
