"""Text that people and machines type into irflow: what it may hold (`clean_text`), and sizes
as people read them (`human_size`).

Names, codes and short reasons are single-line: a line break in a name splits an HL7 segment
and a PDF line, so CR and LF are refused there, as is every other control character. Free
text (notes, findings, histories) keeps its line breaks (CR LF and CR become LF, U+2028/U+2029
too) and tabs, and refuses the other control characters. Everywhere, the invisible characters
that reorder or hide what is shown (bidirectional embeddings, overrides and isolates,
zero-width spaces and joiners, the byte-order mark, the soft hyphen) are removed, unless a
field allows them: "ADMIN" + U+202E + "NIMDA" must not read differently on screen, in a
letter and in a message to another system.

The API applies this to every text field (irflow.api; a field is free text when its
`max_length` is at least MULTILINE_MIN_LENGTH, or unbounded, or marked `x-multiline`), the
web forms to every CharField (irflow.lib.forms.TextForm; free text is a Textarea).
"""

from __future__ import annotations

import unicodedata

# A text field allowing this many characters or more is free text (notes, histories).
MULTILINE_MIN_LENGTH = 500

# Characters that reorder or hide text and show nothing themselves.
INVISIBLE = frozenset(
    "\u00ad"  # soft hyphen
    "\u061c"  # Arabic letter mark
    "\u180e"  # Mongolian vowel separator
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space, non-joiner, joiner; LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # bidirectional embeddings and overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # bidirectional isolates
    "\ufeff"  # zero-width no-break space (byte-order mark)
)
LINE_BREAKS = frozenset("\r\n\u2028\u2029\x0b\x0c\x85")

MSG_LINE_BREAK = "Line breaks are not allowed here; keep it to one line."
MSG_CONTROL = "Control characters are not allowed ({codepoint})."


class TextRefused(ValueError):
    """The text holds a character the field does not take; the message says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


# GS1's FNC1 as a barcode scanner types it: the separator between a UDI's variable-length
# parts (lot, serial). A field that takes a scanned barcode keeps it (`barcode`).
GROUP_SEPARATOR = "\x1d"


def clean_text(
    value: str, *, multiline: bool = False, invisible_allowed: bool = False, barcode: bool = False
) -> str:
    """`value` as irflow keeps it, or TextRefused.

    Single-line: any line break or control character (tab included) is refused. Multi-line:
    CR LF, CR and the Unicode line and paragraph separators become LF; LF and tab stay; other
    control characters are refused. Invisible characters (INVISIBLE) are removed unless
    `invisible_allowed`. A `barcode` field keeps the GS1 group separator.
    """
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = value.replace("\u2028", "\n").replace("\u2029", "\n")
    for char in value:
        if multiline and char in "\n\t":
            continue
        if barcode and char == GROUP_SEPARATOR:
            continue
        if not multiline and char in LINE_BREAKS:
            raise TextRefused(MSG_LINE_BREAK)
        if _is_control(char):
            raise TextRefused(MSG_CONTROL.format(codepoint=f"U+{ord(char):04X}"))
    if not invisible_allowed and any(char in INVISIBLE for char in value):
        value = "".join(char for char in value if char not in INVISIBLE)
    return value


def human_size(n: int) -> str:
    """'10 MB', '1.5 MB', '300 KB', '12 bytes'."""
    for size, unit in ((1024 * 1024, "MB"), (1024, "KB")):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"
