"""Reading an HL7 v2 message: bytes in, decoded segments and fields out.

python-hl7 splits the message into segments, fields, repetitions and components; this module
decides the text first (MSH-18's character set, `\\r`, `\\n` or `\\r\\n` segment ends) and
decodes the HL7 escapes of each value on the way out (`\\F\\ \\S\\ \\T\\ \\R\\ \\E\\`,
`\\Xhh…\\` in the message's character set, `\\.br\\` as a new line).

Values are addressed the way the standard writes them: `msg.first("PID").get(3, 1)` is
PID-3.1, the first component of the first repetition. Fields are numbered as in the standard
also for MSH (MSH-1 is the field separator, MSH-2 the encoding characters).

Errors are `HL7Error`s carrying what the acknowledgement needs: the ACK code (AE for content,
AR for a message that cannot be taken at all), the location (`PID-7`), the HL7 error code
(table 0357) and a sentence for a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import hl7

# MSH-18 values irflow understands, and the Python codec for each. Empty: ASCII by the
# standard, but senders that leave it empty often send Latin-1 or UTF-8 (see `decode`).
CHARSETS: dict[str, str] = {
    "ASCII": "ascii",
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": "utf-8",
}

# Table 0357, the error codes an ERR segment carries.
SEGMENT_SEQUENCE_ERROR = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
TABLE_VALUE_NOT_FOUND = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT_CODE = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNSUPPORTED_VERSION_ID = "203"
UNKNOWN_KEY_IDENTIFIER = "204"
DUPLICATE_KEY_IDENTIFIER = "205"
APPLICATION_RECORD_LOCKED = "206"
APPLICATION_INTERNAL_ERROR = "207"


class HL7Error(Exception):
    """Why a message is not applied: AE (its content) or AR (the message as a whole)."""

    def __init__(
        self,
        reason: str,
        *,
        location: str = "",
        ack_code: str = "AE",
        error_code: str = APPLICATION_INTERNAL_ERROR,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.location = location
        self.ack_code = ack_code
        self.error_code = error_code

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}" if self.location else self.reason


def rejected(reason: str, *, location: str = "", error_code: str = UNSUPPORTED_MESSAGE_TYPE):
    """An AR error: the message cannot be taken at all."""
    return HL7Error(reason, location=location, ack_code="AR", error_code=error_code)


@dataclass(frozen=True)
class Header:
    """MSH, decoded."""

    field_separator: str
    encoding_characters: str
    sending_application: str  # MSH-3 as sent (components joined with ^)
    sending_facility: str  # MSH-4
    receiving_application: str  # MSH-5
    receiving_facility: str  # MSH-6
    timestamp: str  # MSH-7
    message_code: str  # MSH-9.1, e.g. ADT
    trigger: str  # MSH-9.2, e.g. A08
    structure: str  # MSH-9.3, e.g. ADT_A01 (often empty)
    control_id: str  # MSH-10
    processing_id: str  # MSH-11.1
    version: str  # MSH-12.1
    charset: str  # MSH-18 as sent (first repetition)

    @property
    def message_type(self) -> str:
        return f"{self.message_code}^{self.trigger}" if self.trigger else self.message_code


_HEX = re.compile(r"^[0-9A-Fa-f]*$")


class Segment:
    """One segment; `get` returns decoded text, "" for anything absent."""

    def __init__(self, segment: hl7.Segment, message: Message) -> None:
        self._segment = segment
        self._message = message
        self.name = str(segment[0])

    def _field(self, field: int):
        # python-hl7 keeps MSH-1 (the separator) at index 1 as well, so its indexes are the
        # standard's numbers for every segment.
        if field < 1 or field >= len(self._segment):
            return None
        return self._segment[field]

    def raw(self, field: int) -> str:
        """The field as sent (still escaped), every repetition."""
        value = self._field(field)
        return "" if value is None else str(value)

    def repetitions(self, field: int) -> int:
        value = self._field(field)
        if value is None or str(value) == "":
            return 0
        if self.name == "MSH" and field <= 2:
            return 1
        return len(value)

    def get(
        self, field: int, component: int = 1, subcomponent: int = 1, repetition: int = 0
    ) -> str:
        """FIELD.COMPONENT.SUBCOMPONENT of one repetition (0 = the first), decoded."""
        value = self._field(field)
        if value is None:
            return ""
        if self.name == "MSH" and field <= 2:
            return str(value)
        text = _pick(value, repetition, component, subcomponent)
        return self._message.unescape(text)

    def field_text(self, field: int, repetition: int = 0) -> str:
        """A whole repetition, components still joined by ^ (escapes decoded within each)."""
        value = self._field(field)
        if value is None:
            return ""
        if self.name == "MSH" and field <= 2:
            return str(value)
        try:
            rep = value[repetition]
        except IndexError:
            return ""
        components = (
            [str(c) for c in rep] if isinstance(rep, hl7.containers.Container) else [str(rep)]
        )
        sep = self._message.separators.component
        return sep.join(self._message.unescape(c) for c in components).rstrip(sep)

    def __repr__(self) -> str:
        return f"<Segment {self.name}>"


def _pick(value, repetition: int, component: int, subcomponent: int) -> str:
    """Walk python-hl7's containers: Field → Repetition → Component → subcomponent strings."""
    try:
        rep = value[repetition]
    except (IndexError, TypeError):
        return ""
    if not isinstance(rep, hl7.containers.Container):
        return str(rep) if component == 1 and subcomponent == 1 else ""
    try:
        comp = rep[component - 1]
    except IndexError:
        return ""
    if not isinstance(comp, hl7.containers.Container):
        return str(comp) if subcomponent == 1 else ""
    try:
        return str(comp[subcomponent - 1])
    except IndexError:
        return ""


@dataclass(frozen=True)
class Separators:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


class Message:
    """A parsed message: its header, its segments in order, its character set."""

    def __init__(self, text: str, *, codec: str, charset: str) -> None:
        self.text = text  # segments end with \r
        self.codec = codec
        self.charset = charset
        try:
            parsed = hl7.parse(text)
        except Exception as exc:  # python-hl7 raises plain exceptions on broken structure
            raise rejected(f"The message cannot be read: {exc}.", location="MSH") from exc
        msh = text[3:8]
        self.separators = Separators(
            msh[0], msh[1], msh[2], msh[3], msh[4] if len(msh) > 4 else "&"
        )
        self._parsed = parsed
        self.segments = [Segment(s, self) for s in parsed]
        self.header = _header(self.first("MSH"))

    def first(self, name: str) -> Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]

    def unescape(self, text: str) -> str:
        """HL7 escape sequences decoded (2.3.1 / 2.5.1 section 2.7)."""
        esc = self.separators.escape
        if not text or esc not in text:
            return text
        out: list[str] = []
        parts = text.split(esc)
        # Outside escapes at even indexes, escape bodies at odd ones (an unpaired escape
        # character at the end is kept as it is).
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(part)
                continue
            if i == len(parts) - 1:
                out.append(esc + part)
                break
            out.append(self._escape_body(part))
        return "".join(out)

    def _escape_body(self, body: str) -> str:
        s = self.separators
        simple = {
            "F": s.field,
            "S": s.component,
            "T": s.subcomponent,
            "R": s.repetition,
            "E": s.escape,
            ".br": "\n",
            "H": "",
            "N": "",
        }
        if body in simple:
            return simple[body]
        if body[:1] == "X" and _HEX.match(body[1:]) and len(body) % 2 == 1:
            try:
                return bytes.fromhex(body[1:]).decode(self.codec)
            except (UnicodeDecodeError, LookupError):
                return bytes.fromhex(body[1:]).decode("latin-1")
        # Unknown escapes (\Zxx\, \C..\, \M..\) are left as sent.
        return s.escape + body + s.escape


def _header(msh: Segment | None) -> Header:
    if msh is None:
        raise rejected("The message does not start with an MSH segment.", location="MSH")
    return Header(
        field_separator=msh.get(1),
        encoding_characters=msh.get(2),
        sending_application=msh.field_text(3),
        sending_facility=msh.field_text(4),
        receiving_application=msh.field_text(5),
        receiving_facility=msh.field_text(6),
        timestamp=msh.get(7),
        message_code=msh.get(9, 1),
        trigger=msh.get(9, 2),
        structure=msh.get(9, 3),
        control_id=msh.get(10),
        processing_id=msh.get(11),
        version=msh.get(12),
        charset=msh.get(18),
    )


_SEGMENT_ENDS = re.compile(r"\r\n|\n|\r")


def declared_charset(raw: bytes) -> str:
    """MSH-18 read straight from the bytes (the header is ASCII in every set irflow reads)."""
    first = raw.split(b"\r", 1)[0].split(b"\n", 1)[0]
    if not first.startswith(b"MSH") or len(first) < 4:
        return ""
    sep = first[3:4]
    fields = first.split(sep)
    # fields[0] is "MSH", fields[1] the encoding characters (MSH-2): MSH-n is fields[n - 1].
    if len(fields) < 18:
        return ""
    component_rep = fields[1][1:2] or b"~"
    return fields[17].split(component_rep, 1)[0].decode("ascii", "replace").strip()


def decode(raw: bytes) -> tuple[str, str, str]:
    """The message as text with `\\r` segment ends, the codec used, and MSH-18 as sent.

    MSH-18 decides. When it is empty, UTF-8 is tried first and Latin-1 taken when the bytes
    are not UTF-8 (senders that leave MSH-18 empty but send Latin-1 are common). An MSH-18
    irflow does not know is an AR.
    """
    charset = declared_charset(raw)
    if charset:
        codec = CHARSETS.get(charset.upper())
        if codec is None:
            raise rejected(
                f'Character set "{charset}" is not supported '
                "(ASCII, 8859/1, 8859/15, UNICODE UTF-8).",
                location="MSH-18",
                error_code=TABLE_VALUE_NOT_FOUND,
            )
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise HL7Error(
                f"The message is not valid {charset}: byte {exc.start}.",
                location="MSH-18",
                error_code=DATA_TYPE_ERROR,
            ) from exc
    else:
        try:
            text, codec = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, codec = raw.decode("latin-1"), "latin-1"
    return _SEGMENT_ENDS.sub("\r", text).strip("\r\n\x00 ") + "\r", codec, charset


def parse(raw: bytes) -> Message:
    """Bytes between the MLLP blocks → a Message, or an HL7Error (AR when there is no MSH)."""
    if not raw.lstrip().startswith(b"MSH") or len(raw.lstrip()) < 9:
        raise rejected("The message does not start with an MSH segment.", location="MSH")
    text, codec, charset = decode(raw.lstrip())
    return Message(text, codec=codec, charset=charset)
