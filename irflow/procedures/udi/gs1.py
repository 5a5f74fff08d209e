"""GS1 UDIs, as a barcode scanner types them (pure Python).

Two spellings are read:
- human-readable, with the application identifiers in parentheses:
  ``(01)00884838035683(17)271231(10)LOT42(21)SN7``;
- raw, as the symbol holds it: the identifiers run together and a variable-length field
  (lot, serial) ends at an FNC1 / GS separator (ASCII 29) unless it is last:
  ``01008848380356831727123110LOT42<GS>21SN7`` (a leading symbology identifier such as
  ``]d2``, ``]C1``, ``]Q3`` or ``]e0`` is dropped).

Only the identifiers a device label carries are accepted: (01) GTIN-14 with its check digit,
(17) expiry and (11) production date as YYMMDD (DD 00: the last day of the month), (10) lot
and (21) serial. Anything else is refused with a message that names the problem.
Source: GS1 General Specifications (AI definitions, character set 82, the mod-10 check digit,
the two-digit-year window and day 00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from irflow.procedures.udi.common import GS, GS1, Udi, UdiError, full_year, last_day

# GS1 General Specifications, character set 82 (lot and serial numbers).
CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$")

MSG_UNKNOWN_AI = "({ai}) is not an identifier a device UDI uses here (known: {known})."
MSG_GTIN_DIGITS = "(01) GTIN must be 14 digits, got “{value}”."
MSG_GTIN_CHECK = "(01) GTIN {value} has a wrong check digit: expected {expected}, got {got}."
MSG_DATE = "({ai}) {label} “{value}” is not a date in YYMMDD form."
MSG_FIXED_LENGTH = "({ai}) {label} must be {length} characters, got “{value}”."
MSG_VARIABLE_EMPTY = "({ai}) {label} is empty."
MSG_VARIABLE_TOO_LONG = (
    "({ai}) {label} is longer than {length} characters (“{value}”): a separator (GS) "
    "is probably missing after it."
)
MSG_CHARACTERS = "({ai}) {label} “{value}” contains characters a GS1 barcode cannot hold."
MSG_REPEATED = "({ai}) appears twice."
MSG_NO_GTIN = "The UDI has no (01) GTIN: the device identifier is required."
MSG_TRAILING = "Unreadable text after the identifiers: “{value}”."


@dataclass(frozen=True)
class AI:
    code: str
    label: str
    length: int  # the fixed length, or the maximum for a variable field
    fixed: bool
    kind: str  # "gtin", "date", "text"


AIS: dict[str, AI] = {
    "01": AI("01", "GTIN", 14, True, "gtin"),
    "11": AI("11", "production date", 6, True, "date"),
    "17": AI("17", "expiry date", 6, True, "date"),
    "10": AI("10", "lot", 20, False, "text"),
    "21": AI("21", "serial number", 20, False, "text"),
}
FIELD_NAMES = {"01": "gtin", "11": "production_date", "17": "expiry", "10": "lot", "21": "serial"}


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it (weights 3, 1, 3, … from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gs1_date(value: str, *, ai: str, label: str, today: date | None = None) -> date:
    """YYMMDD with GS1's century rule (a 50-year window around today); DD 00 = last day."""
    if not re.fullmatch(r"\d{6}", value):
        raise UdiError(MSG_DATE.format(ai=ai, label=label, value=value))
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    year = full_year(yy, today or date.today())
    if not 1 <= mm <= 12:
        raise UdiError(MSG_DATE.format(ai=ai, label=label, value=value))
    if dd == 0:
        dd = last_day(year, mm)
    try:
        return date(year, mm, dd)
    except ValueError as exc:
        raise UdiError(MSG_DATE.format(ai=ai, label=label, value=value)) from exc


def _known() -> str:
    return ", ".join(f"({code})" for code in AIS)


def _pairs_parenthesised(text: str) -> list[tuple[str, str]]:
    pairs = []
    position = 0
    for match in re.finditer(r"\((\d{2,4})\)([^()]*)", text):
        if match.start() != position:
            raise UdiError(MSG_TRAILING.format(value=text[position : match.start()]))
        pairs.append((match.group(1), match.group(2).replace(GS, "")))
        position = match.end()
    if position != len(text):
        raise UdiError(MSG_TRAILING.format(value=text[position:]))
    return pairs


def _pairs_raw(text: str) -> list[tuple[str, str]]:
    pairs = []
    position = 0
    while position < len(text):
        if text[position] == GS:
            position += 1
            continue
        code = text[position : position + 2]
        if not re.fullmatch(r"\d{2}", code):
            raise UdiError(MSG_TRAILING.format(value=text[position:]))
        if code not in AIS:
            raise UdiError(MSG_UNKNOWN_AI.format(ai=code, known=_known()))
        ai = AIS[code]
        position += 2
        if ai.fixed:
            value = text[position : position + ai.length]
            position += ai.length
        else:
            end = text.find(GS, position)
            end = len(text) if end == -1 else end
            value = text[position:end]
            position = end
        pairs.append((code, value))
    return pairs


def parse_gs1(text: str, *, today: date | None = None) -> Udi:
    """Parse a normalised GS1 UDI (parentheses or raw); raise UdiError naming the first
    problem."""
    pairs = _pairs_parenthesised(text) if text.startswith("(") else _pairs_raw(text)
    fields: dict[str, object] = {}
    for code, value in pairs:
        ai = AIS.get(code)
        if ai is None:
            raise UdiError(MSG_UNKNOWN_AI.format(ai=code, known=_known()))
        name = FIELD_NAMES[code]
        if name in fields:
            raise UdiError(MSG_REPEATED.format(ai=code))
        fields[name] = _value(ai, value, today=today)
    if "gtin" not in fields:
        raise UdiError(MSG_NO_GTIN)
    gtin = str(fields.pop("gtin"))
    return Udi(issuer=GS1, device_identifier=gtin, **fields)  # type: ignore[arg-type]


def gs1_raw(udi: Udi) -> str:
    """The UDI as a GS1 symbol holds it: fixed-length fields first, a GS after each
    variable-length field but the last."""
    fixed = f"01{udi.device_identifier}"
    if udi.expiry is not None:
        fixed += f"17{udi.expiry:%y%m%d}"
    if udi.production_date is not None:
        fixed += f"11{udi.production_date:%y%m%d}"
    variable = [f"{ai}{value}" for ai, value in (("10", udi.lot), ("21", udi.serial)) if value]
    return fixed + GS.join(variable)


def _value(ai: AI, value: str, *, today: date | None) -> object:
    if ai.kind == "gtin":
        if not re.fullmatch(r"\d{14}", value):
            raise UdiError(MSG_GTIN_DIGITS.format(value=value))
        expected = gtin_check_digit(value[:13])
        if int(value[13]) != expected:
            raise UdiError(MSG_GTIN_CHECK.format(value=value, expected=expected, got=value[13]))
        return value
    if ai.kind == "date":
        if len(value) != ai.length:
            raise UdiError(
                MSG_FIXED_LENGTH.format(ai=ai.code, label=ai.label, length=ai.length, value=value)
            )
        return gs1_date(value, ai=ai.code, label=ai.label, today=today)
    if not value:
        raise UdiError(MSG_VARIABLE_EMPTY.format(ai=ai.code, label=ai.label))
    if len(value) > ai.length:
        raise UdiError(
            MSG_VARIABLE_TOO_LONG.format(ai=ai.code, label=ai.label, length=ai.length, value=value)
        )
    if not CSET82.match(value):
        raise UdiError(MSG_CHARACTERS.format(ai=ai.code, label=ai.label, value=value))
    return value
