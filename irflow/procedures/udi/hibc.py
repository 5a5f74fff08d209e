"""HIBCC UDIs: the Health Industry Bar Code supplier labelling standard (pure Python).

A HIBC label carries a **primary** part — ``+`` then the labeler identification code (LIC: a
letter and three letters or digits), the labeler's product or catalogue number (1–18 letters
or digits) and a unit-of-measure digit — and a **secondary** part with the lot or serial
number and the expiry. A check character (modulo 43 over every character before it, the
leading ``+`` included) ends each symbol. Scanners send either

- one symbol holding both (2D codes, concatenated): ``+A123BJC5D6E71/$$3271231LOT42I``
  with one check character at the end; or
- two linear symbols read one after the other: the primary with its check character, then
  the secondary, ``+`` data, the **link character** (the primary's check character, so that a
  lot barcode cannot be paired with another product) and its own check character.

Secondary lines read here: ``$`` lot; ``$+`` serial; ``$$`` (lot) or ``$$+`` (serial)
followed by the expiry in one of the standard forms — a first digit 0 or 1 starts MMYY,
2 MMDDYY, 3 YYMMDD, 4 YYMMDDHH, 5 YYJJJ, 6 YYJJJHH, 7 no date — with ``$$8`` (two-digit)
and ``$$9`` (five-digit) quantities before the date flag, which is optional there (a date is
read after a quantity only where one parses); the older line that starts with
a Julian date YYJJJ then the lot. Supplementary data after a ``/``: ``14D`` expiry and
``16D`` production date as YYYYMMDD, ``S`` serial, ``Q`` quantity.

An expiry given as a month (MMYY) is read as the last day of that month, as GS1 reads
day 00. Two-digit years use the GS1 window (up to 50 years ahead, else the past 49).
Provider (hospital) HIBC codes (``+/``) are not device UDIs and are refused.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from irflow.procedures.udi.common import HIBCC, Udi, UdiError, full_year, last_day

CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
VALUES = {c: i for i, c in enumerate(CHARACTERS)}
PRIMARY = re.compile(r"[A-Z][A-Z0-9]{3}[A-Z0-9]{1,18}[0-9]")
LOT = re.compile(r"[A-Z0-9\-.]+")
LOT_LENGTH = 18
JULIAN_LOT_LENGTH = 13

# The date forms of a `$$` line, by their flag digit (MMYY has none: its first digit is 0/1).
DATE_FORMS = {"2": "MMDDYY", "3": "YYMMDD", "4": "YYMMDDHH", "5": "YYJJJ", "6": "YYJJJHH"}
NO_DATE = "7"
QUANTITY_DIGITS = {"8": 2, "9": 5}

MSG_CHARACTER = (
    "“{char}” is not a character a HIBC barcode can hold (digits, capital letters, "
    "- . space $ / + %)."
)
MSG_CHECK = (
    "The HIBC check character{part} is wrong: expected “{expected}”, got “{got}”. "
    "Scan again, or type the string exactly."
)
MSG_PRIMARY = (
    "The HIBC product part “{value}” must be a labeler code (a letter and 3 letters or "
    "digits), a product number of 1–18 letters or digits and a unit-of-measure digit."
)
MSG_SECONDARY_ALONE = (
    "This is a HIBC lot/expiry barcode on its own: scan the product barcode first, then this one."
)
MSG_LINK = (
    "The lot/expiry barcode belongs to another product (its link character “{link}” is not "
    "the product's check character “{check}”): scan both barcodes from the same label."
)
MSG_PROVIDER = "This is a HIBC provider (hospital) barcode, not a device's UDI."
MSG_DATE_FLAG = "After “$$” a date format digit (0–7) is expected, got “{value}”."
MSG_DATE = "The HIBC {label} “{value}” is not a date in {form} form."
MSG_TEXT = "The HIBC {label} “{value}” must be 1–{length} capital letters, digits, “-” or “.”."
MSG_EMPTY = "The HIBC {label} is empty."
MSG_QUANTITY = "The HIBC quantity after “$${flag}” must be {length} digits, got “{value}”."
MSG_UNKNOWN = (
    "Unreadable HIBC data “{value}” (known after “/”: a line starting with $, a date YYJJJ, "
    "14D expiry, 16D production date, S serial, Q quantity)."
)
MSG_REPEATED = "The HIBC {label} appears twice."

LOT_SYMBOL = " of the lot/expiry barcode"
LABELS = {"lot": "lot", "serial": "serial number", "expiry": "expiry date"}


def hibc_check_character(data: str) -> str:
    """The modulo-43 check character of `data` (every character before it, `+` included)."""
    return CHARACTERS[sum(VALUES[c] for c in data) % 43]


def parse_hibc(text: str, *, today: date | None = None) -> Udi:
    """Parse a normalised HIBC string (one symbol, or the primary and secondary symbols read
    one after the other); raise UdiError naming the first problem."""
    today = today or date.today()
    bad = next((c for c in text if c not in VALUES), None)
    if bad is not None:
        raise UdiError(MSG_CHARACTER.format(char=bad))
    second = text[1:2]
    if second == "/":
        raise UdiError(MSG_PROVIDER)
    if second == "$" or second.isdigit():
        raise UdiError(MSG_SECONDARY_ALONE)
    try:
        return _one_symbol(text, today)
    except UdiError as single_error:
        # Two linear symbols read one after the other: split where the first one's check
        # character holds (the check character may itself be a `+`).
        for i in range(3, len(text)):
            first = text[:i]
            primary_ends = text[i] == "+" and "/" not in first[:-1]
            if primary_ends and hibc_check_character(first[:-1]) == first[-1]:
                return _two_symbols(first, text[i:], today)
        raise single_error from None


def _one_symbol(text: str, today: date) -> Udi:
    body, check = text[:-1], text[-1:]
    expected = hibc_check_character(body) if body else ""
    if len(text) < 3 or check != expected:
        raise UdiError(MSG_CHECK.format(part="", expected=expected, got=check))
    primary, *rest = body[1:].split("/")
    fields: dict[str, object] = {}
    for segment in rest:
        _segment(segment, fields, today)
    return _udi(primary, fields, text)


def _two_symbols(first: str, rest: str, today: date) -> Udi:
    """The primary symbol, then secondary (and supplementary) symbols each ending with the
    link character and its own check character."""
    link = first[-1]
    fields: dict[str, object] = {}
    for body in _linked_symbols(rest, link):
        for segment in body.split("/"):
            _segment(segment, fields, today)
    return _udi(first[1:-1], fields, first + rest)


def _linked_symbols(rest: str, link: str) -> list[str]:
    """Split `rest` into symbols `+ data link check`; return their data. The error, when no
    split holds, is the one of `rest` read as one symbol."""
    for end in range(4, len(rest) + 1):
        symbol = rest[:end]
        ends_here = end == len(rest) or rest[end] == "+"
        if ends_here and symbol[-2] == link and hibc_check_character(symbol[:-1]) == symbol[-1]:
            if end == len(rest):
                return [symbol[1:-2]]
            try:
                return [symbol[1:-2], *_linked_symbols(rest[end:], link)]
            except UdiError:
                continue
    if len(rest) < 4:
        raise UdiError(MSG_CHECK.format(part=LOT_SYMBOL, expected="?", got=rest[-1:]))
    expected = hibc_check_character(rest[:-1])
    if rest[-1] != expected:
        raise UdiError(MSG_CHECK.format(part=LOT_SYMBOL, expected=expected, got=rest[-1]))
    raise UdiError(MSG_LINK.format(link=rest[-2], check=link))


def _udi(primary: str, fields: dict[str, object], text: str) -> Udi:
    if not PRIMARY.fullmatch(primary):
        raise UdiError(MSG_PRIMARY.format(value=primary))
    return Udi(issuer=HIBCC, device_identifier=primary, text=text, **fields)  # type: ignore[arg-type]


def _segment(segment: str, fields: dict[str, object], today: date) -> None:
    if segment.startswith("$"):
        _dollar_line(segment, fields, today)
    elif segment.startswith("14D"):
        _set_date(fields, "expiry", _date("YYYYMMDD", segment[3:], today, "expiry date"))
    elif segment.startswith("16D"):
        _set_date(
            fields,
            "production_date",
            _date("YYYYMMDD", segment[3:], today, "production date"),
        )
    elif segment.startswith("S"):
        _set_text(fields, "serial", segment[1:])
    elif segment.startswith("Q") and segment[1:].isdigit():
        pass  # a quantity: not kept on the record
    elif len(segment) >= 5 and segment[:5].isdigit():
        _set_date(fields, "expiry", _date("YYJJJ", segment[:5], today, "expiry date"))
        if segment[5:]:
            _set_text(fields, "lot", segment[5:], length=JULIAN_LOT_LENGTH)
    else:
        raise UdiError(MSG_UNKNOWN.format(value=segment))


def _dollar_line(segment: str, fields: dict[str, object], today: date) -> None:
    if not segment.startswith("$$"):
        name, value = ("serial", segment[2:]) if segment.startswith("$+") else ("lot", segment[1:])
        _set_text(fields, name, value)
        return
    rest = segment[2:]
    name = "lot"
    if rest.startswith("+"):
        name, rest = "serial", rest[1:]
    dated = False
    if rest[:1] in QUANTITY_DIGITS:
        flag = rest[0]
        length = QUANTITY_DIGITS[flag]
        quantity = rest[1 : 1 + length]
        if len(quantity) != length or not quantity.isdigit():
            raise UdiError(MSG_QUANTITY.format(flag=flag, length=length, value=quantity))
        rest = rest[1 + length :]
        # A date may follow the quantity, or the lot directly: a date is read only where
        # one parses (labels that need a lot starting like a date put the expiry in 14D).
        tried = dict(fields)
        try:
            rest, dated = _dated(rest, tried, today)
        except UdiError:
            pass
        else:
            fields.update(tried)
    else:
        rest, dated = _dated(rest, fields, today)
    if rest or not dated:
        _set_text(fields, name, rest)


def _dated(rest: str, fields: dict[str, object], today: date) -> tuple[str, bool]:
    """Read the date a `$$` line starts with; return what follows and whether a date was read."""
    flag = rest[:1]
    if flag in ("0", "1"):
        _set_date(fields, "expiry", _date("MMYY", rest[:4], today, "expiry date"))
        return rest[4:], True
    if flag in DATE_FORMS:
        form = DATE_FORMS[flag]
        value = rest[1 : 1 + len(form)]
        _set_date(fields, "expiry", _date(form, value, today, "expiry date"))
        return rest[1 + len(form) :], True
    if flag == NO_DATE:
        return rest[1:], False
    raise UdiError(MSG_DATE_FLAG.format(value=flag or "nothing"))


def _date(form: str, value: str, today: date, label: str) -> date:
    error = UdiError(MSG_DATE.format(label=label, value=value, form=form))
    if len(value) != len(form) or not value.isdigit():
        raise error
    if form == "YYYYMMDD":
        year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    elif form.startswith("YY"):
        year = full_year(int(value[:2]), today)
        if "JJJ" in form:
            day_of_year = int(value[2:5])
            hour = value[5:7]
            if not 1 <= day_of_year <= (366 if last_day(year, 2) == 29 else 365):
                raise error
            if hour and int(hour) > 23:
                raise error
            return date(year, 1, 1) + timedelta(days=day_of_year - 1)
        month, day = int(value[2:4]), int(value[4:6])
        if value[6:8] and int(value[6:8]) > 23:
            raise error
    elif form == "MMYY":
        month, year = int(value[:2]), full_year(int(value[2:4]), today)
        if not 1 <= month <= 12:
            raise error
        day = last_day(year, month)
    else:  # MMDDYY
        month, day, year = int(value[:2]), int(value[2:4]), full_year(int(value[4:6]), today)
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise error from exc


def _set_date(fields: dict[str, object], name: str, value: date) -> None:
    if name in fields:
        raise UdiError(MSG_REPEATED.format(label=LABELS.get(name, "production date")))
    fields[name] = value


def _set_text(fields: dict[str, object], name: str, value: str, length: int = LOT_LENGTH) -> None:
    label = LABELS[name]
    if name in fields:
        raise UdiError(MSG_REPEATED.format(label=label))
    if not value:
        raise UdiError(MSG_EMPTY.format(label=label))
    if len(value) > length or not LOT.fullmatch(value):
        raise UdiError(MSG_TEXT.format(label=label, value=value, length=length))
    fields[name] = value


def hibc_encode(
    product: str,
    *,
    lot: str = "",
    serial: str = "",
    expiry: date | None = None,
    date_form: str = "3",
    production_date: date | None = None,
    two_symbols: bool = False,
) -> str:
    """A HIBC string for `product` (LIC + product number + unit of measure): the secondary
    line carries the lot (or the serial when there is no lot) with the expiry in
    `date_form` ("MMYY", or a flag 2–6); a serial beside a lot, and a production date, go as
    supplementary data. One symbol, or the primary and secondary symbols one after the other."""
    primary = "+" + product
    segments: list[str] = []
    if lot or serial or expiry is not None:
        line = "$$" + ("" if lot or not serial else "+")
        if expiry is None:
            line += NO_DATE
        elif date_form == "MMYY":
            line += f"{expiry:%m%y}"
        else:
            line += date_form + _format(DATE_FORMS[date_form], expiry)
        segments.append(line + (lot or serial))
        if lot and serial:
            segments.append("S" + serial)
    if production_date is not None:
        segments.append(f"16D{production_date:%Y%m%d}")
    if not two_symbols or not segments:
        text = "/".join([primary, *segments]) if segments else primary
        return text + hibc_check_character(text)
    first = primary + hibc_check_character(primary)
    second = "+" + "/".join(segments) + first[-1]
    return first + second + hibc_check_character(second)


def _format(form: str, value: date) -> str:
    julian = f"{value:%y}{value.timetuple().tm_yday:03d}"
    return {
        "MMDDYY": f"{value:%m%d%y}",
        "YYMMDD": f"{value:%y%m%d}",
        "YYMMDDHH": f"{value:%y%m%d}00",
        "YYJJJ": julian,
        "YYJJJHH": julian + "00",
    }[form]
