"""Specific Character Set (0008,0005) handling for identifiers in and out (PS3.5 6.1, PS3.3 C.12.1).

Incoming values are decoded strictly: a byte sequence that is invalid in the declared character
set raises `CharsetError` instead of turning into replacement characters, because a query or
MPPS with garbled names must fail visibly rather than match or store the wrong text. An element
that is absent from the identifier's character set falls back to the default repertoire (ASCII),
or to a charset the caller configured for a remote AE that omits (0008,0005).

Outgoing values are fitted to the character set configured for the remote AE. A character the
set cannot represent is transliterated (`Łukasz` -> `Lukasz` in ISO_IR 100); what still cannot
be represented becomes `?`, and ideographic/phonetic person-name groups that cannot be
represented are dropped. A modality that only understands ISO_IR 100 shows a transliterated
name correctly, whereas a silent switch to UTF-8 would show mojibake on its screen and in the
images it writes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.charset import CODES_TO_ENCODINGS, ESC, STAND_ALONE_ENCODINGS, handled_encodings
from pydicom.charset import python_encoding as PYTHON_ENCODINGS
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

DEFAULT_CHARSET = "ISO_IR 6"
LATIN1 = "ISO_IR 100"
UTF8 = "ISO_IR 192"

# Stand-alone sets that need no code extensions; irflow writes responses only in these.
RESPONSE_CHARSETS = (
    "ISO_IR 6",
    "ISO_IR 100",
    "ISO_IR 101",
    "ISO_IR 109",
    "ISO_IR 110",
    "ISO_IR 126",
    "ISO_IR 127",
    "ISO_IR 138",
    "ISO_IR 144",
    "ISO_IR 148",
    "ISO_IR 166",
    "ISO_IR 192",
)

MSG_UNSUPPORTED_CHARSET = "unsupported Specific Character Set"
MSG_UNDECODABLE = "bytes are invalid in the declared character set"

# VRs whose values may use the Specific Character Set (PS3.5 6.1.2.3); all others are ASCII.
CHARSET_VRS = frozenset({"SH", "LO", "ST", "LT", "UC", "UT", "PN"})
TEXT_VRS = CHARSET_VRS | frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"})
# Single-valued text VRs in which a backslash is an ordinary character (PS3.5 6.2).
_UNSPLIT_VRS = frozenset({"ST", "LT", "UT", "UR"})
# Delimiters that switch an ISO 2022 value back to its first character set (PS3.5 6.1.2.5.3).
_TEXT_DELIMITERS = frozenset({0x09, 0x0A, 0x0C, 0x0D, 0x5C})
_PN_DELIMITERS = frozenset({0x5C, 0x3D, 0x5E})
_ASCII_TERMS = frozenset({"", "ISO_IR 6", "ISO 2022 IR 6"})
_FRAGMENTS = re.compile(rb"(^[^\x1b]+|\x1b[^\x1b]*)")

# Letters that Unicode decomposition does not reduce to ASCII.
_TRANSLITERATIONS = {
    "Ł": "L",
    "ł": "l",
    "Ø": "O",
    "ø": "o",
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "ß": "ss",
    "ẞ": "SS",
    "Þ": "TH",
    "þ": "th",
    "Ħ": "H",
    "ħ": "h",
    "\u0131": "i",  # dotless i
    "Ŀ": "L",
    "ŀ": "l",
}


class CharsetError(ValueError):
    """A Specific Character Set that irflow cannot use, or bytes invalid in it."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CharacterSet:
    """The defined terms of a (0008,0005) value and the Python codecs that decode them."""

    terms: tuple[str, ...]
    encodings: tuple[str, ...]

    @property
    def is_default(self) -> bool:
        """True for the default repertoire (no (0008,0005) or ISO_IR 6)."""
        return self.terms in ((), ("",), (DEFAULT_CHARSET,))


def parse_charset(value: str | Sequence[str] | None) -> CharacterSet:
    """Parse a (0008,0005) value into a `CharacterSet`; raise `CharsetError` if unsupported."""
    if value is None or isinstance(value, str):
        terms = [value or ""]
    else:
        terms = [str(term) for term in value] or [""]
    terms = [term.strip() for term in terms]
    if len(terms) > 1 and any(term in STAND_ALONE_ENCODINGS for term in terms):
        raise CharsetError(MSG_UNSUPPORTED_CHARSET, "\\".join(terms))
    encodings = []
    for position, term in enumerate(terms):
        if term in _ASCII_TERMS:
            # Strict ASCII: pydicom decodes the default repertoire as Latin-1, which would
            # accept undeclared 8-bit text.
            encodings.append("ascii")
        elif term in PYTHON_ENCODINGS and (position == 0 or term.startswith("ISO 2022")):
            encodings.append(PYTHON_ENCODINGS[term])
        else:
            raise CharsetError(MSG_UNSUPPORTED_CHARSET, "\\".join(terms))
    return CharacterSet(terms=tuple(terms), encodings=tuple(encodings))


def read_charset(ds: Dataset, *, fallback: str | None = None) -> CharacterSet:
    """The character set of `ds`, or `fallback` (else ASCII) when (0008,0005) is absent."""
    values = read_values(ds, 0x00080005, parse_charset(None))
    if not values or not any(value.strip() for value in values):
        return parse_charset(fallback)
    return parse_charset(values)


def decode_text(raw: bytes, charset: CharacterSet, *, vr: str = "LO") -> str:
    """Decode one element's bytes strictly, honouring ISO 2022 escape sequences."""
    encodings = charset.encodings if vr in CHARSET_VRS else ("ascii",)
    delimiters = _PN_DELIMITERS if vr == "PN" else _TEXT_DELIMITERS
    try:
        if ESC not in raw:
            return raw.decode(encodings[0])
        return "".join(
            _decode_fragment(fragment, encodings, delimiters)
            for fragment in _FRAGMENTS.findall(raw)
        )
    except (UnicodeError, LookupError) as exc:
        raise CharsetError(MSG_UNDECODABLE, "\\".join(charset.terms)) from exc


def _decode_fragment(fragment: bytes, encodings: Sequence[str], delimiters: frozenset[int]) -> str:
    if not fragment.startswith(ESC):
        return fragment.decode(encodings[0])
    length = 4 if fragment.startswith((b"\x1b$(", b"\x1b$)")) else 3
    encoding = CODES_TO_ENCODINGS.get(fragment[:length])
    if encoding == CODES_TO_ENCODINGS[ESC + b"(B"]:
        encoding = "ascii"
    if encoding is None or (encoding not in encodings and encoding != "ascii"):
        raise CharsetError(MSG_UNDECODABLE, "unknown escape sequence")
    if encoding in handled_encodings:
        # Python's ISO 2022 codecs consume their own escape sequences.
        return fragment.decode(encoding)
    body = fragment[length:]
    cut = next((i for i, byte in enumerate(body) if byte in delimiters), len(body))
    return body[:cut].decode(encoding) + body[cut:].decode(encodings[0])


def read_values(ds: Dataset, tag: int, charset: CharacterSet) -> list[str] | None:
    """The string values of element `tag` in `ds` (None if absent), decoded strictly, with
    trailing padding removed.

    Elements still in their raw wire form are decoded here rather than by pydicom, which would
    replace undecodable bytes with U+FFFD and only warn.
    """
    elem = ds.get_item(BaseTag(tag))
    if elem is None:
        return None
    if isinstance(elem, RawDataElement):
        vr = elem.VR if elem.VR not in (None, "UN") else _dictionary_vr(tag)
        return decode_values(elem.value or b"", vr or "UN", charset)
    return _str_values(elem.value, elem.VR, charset)


def decode_values(raw: bytes, vr: str, charset: CharacterSet) -> list[str]:
    """Split and decode the raw bytes of a text element into its values, without padding."""
    if not raw:
        return []
    text = decode_text(raw, charset, vr=vr)
    values = [text] if vr in _UNSPLIT_VRS else text.split("\\")
    return [value.rstrip(" \x00") for value in values]


def _str_values(value: object, vr: str, charset: CharacterSet) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes):
        return decode_values(value, vr, charset)
    if isinstance(value, MultiValue | list | tuple):
        return [str(item) for item in value]
    text = str(value)
    return [text] if text or vr not in TEXT_VRS else []


def _dictionary_vr(tag: int) -> str | None:
    try:
        return dictionary_VR(tag)
    except KeyError:
        return None


def transliterate(text: str) -> str:
    """Reduce Latin letters to ASCII (`Łukasz` -> `Lukasz`); leave other scripts unchanged."""
    out = []
    for char in text:
        if char in _TRANSLITERATIONS:
            out.append(_TRANSLITERATIONS[char])
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        out.append(base or char)
    return "".join(out)


def can_encode(text: str, charset: str) -> bool:
    """True if `charset` (a response charset term) can represent `text` unchanged."""
    try:
        text.encode(_response_encoding(charset))
    except UnicodeEncodeError:
        return False
    return True


def fit_text(text: str, charset: str, *, vr: str = "LO") -> tuple[str, bool]:
    """Return `text` as `charset` can represent it, and whether anything had to change."""
    if vr not in CHARSET_VRS:
        return text, False
    if can_encode(text, charset):
        return text, False
    if vr == "PN":
        groups = text.split("=")
        kept = [_fit_chars(groups[0], charset)]
        # Ideographic and phonetic groups are all-or-nothing: half a kanji name is worse than none.
        for group in groups[1:]:
            if not can_encode(group, charset):
                break
            kept.append(group)
        return "=".join(kept).rstrip("="), True
    return _fit_chars(text, charset), True


def _fit_chars(text: str, charset: str) -> str:
    out = []
    for char in text:
        if can_encode(char, charset):
            out.append(char)
            continue
        replacement = transliterate(char)
        out.append(replacement if can_encode(replacement, charset) else "?")
    return "".join(out)


def response_charset_value(charset: str) -> str | None:
    """The (0008,0005) value to send for `charset`; None for the default repertoire."""
    _response_encoding(charset)
    return None if charset == DEFAULT_CHARSET else charset


def _response_encoding(charset: str) -> str:
    if charset not in RESPONSE_CHARSETS:
        raise CharsetError(MSG_UNSUPPORTED_CHARSET, charset)
    return "ascii" if charset == DEFAULT_CHARSET else PYTHON_ENCODINGS[charset]
