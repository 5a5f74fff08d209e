"""The generated parts of docs/hl7-interface.md: the message types and trigger events irflow
receives and sends, the fields it reads and writes, the character sets, the acknowledgement
codes and the states of a message.

They come from the lists that sit next to the code that reads and writes the messages
(`irflow.hl7.inbound` and `irflow.hl7.outbound`: EVENTS and FIELDS), the reader's character
sets (`irflow.hl7.parse.CHARSETS`), the ERR codes of `irflow.hl7.ack` and the models'
statuses, so the document says what the code does; `irflow docs --check` (and
tests/test_docs.py) fail when it is out of date.
"""

from __future__ import annotations

from collections.abc import Iterable

from irflow.hl7 import ack, inbound, outbound
from irflow.hl7.fields import EventUse, FieldUse
from irflow.hl7.parse import CHARSETS
from irflow.hl7server.models import Inbound, Outbound
from irflow.lib.docblocks import DOCS

DOC = DOCS / "hl7-interface.md"
MARKERS = {
    "hl7-events-received": "message types and triggers received",
    "hl7-events-sent": "message types and triggers sent",
    "hl7-fields-read": "fields read",
    "hl7-fields-written": "fields written",
    "hl7-charsets": "character sets",
    "hl7-ack-codes": "acknowledgement codes",
    "hl7-error-codes": "error codes (ERR)",
    "hl7-inbound-states": "states of a message received",
    "hl7-outbound-states": "states of a message sent",
}

# What the sender is answered for a message in each state (every state must be here).
ACK_BY_STATE = {
    Inbound.RECEIVED: "— (stored, not yet applied: a crash came between storing and applying; "
    "re-processed from the interface page)",
    Inbound.APPLIED: "AA",
    Inbound.IGNORED: "AA",
    Inbound.ERROR: "AE, with ERR naming the segment and field and why",
    Inbound.REJECTED: "AR, with ERR",
    Inbound.FAILED: "AE, with ERR: irflow failed applying it; kept for re-processing",
}
ACK_CODES = [
    ("AA", "Application accept: the message is applied, or it is a valid event irflow does "
     "not act on (recorded as ignored)."),
    ("AE", "Application error: its content is wrong (the ERR segment names the segment, the "
     "field and the reason); nothing of it is applied, the raw message is kept."),
    ("AR", "Application reject: an unknown or unsupported message type, trigger, version or "
     "character set, or no readable MSH."),
]  # fmt: skip
NONE_YET = "*(none yet)*"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or "—"


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    body = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if not body:
        body = ["| " + " | ".join([NONE_YET] + [""] * (len(header) - 1)) + " |"]
    return "\n".join(lines + body)


def events_markdown(events: list[EventUse], action: str) -> str:
    return _table(
        ("message", "versions", action),
        ((f"`{e.message_type}`", e.versions, e.irflow) for e in events),
    )


def fields_markdown(fields: list[FieldUse], action: str) -> str:
    return _table(
        ("field", "name", "in", action),
        ((f"`{f.field}`", f.meaning, f.messages, f.irflow) for f in fields),
    )


CODEC_NAMES = {"ascii": "US-ASCII", "latin-1": "ISO 8859-1", "iso8859-15": "ISO 8859-15"}


def charsets_markdown() -> str:
    return _table(
        ("MSH-18", "read as"),
        [(f"`{name}`", CODEC_NAMES.get(codec, codec.upper())) for name, codec in CHARSETS.items()]
        + [("(empty)", "UTF-8 when the bytes are UTF-8, else ISO 8859-1")],
    )


def error_codes_markdown() -> str:
    names = getattr(ack, "ERROR_NAMES", None) or ack._ERROR_NAMES
    return _table(("code (HL7 table 0357)", "meaning"), ((f"`{c}`", n) for c, n in names.items()))


def inbound_states_markdown() -> str:
    return _table(
        ("state", "the sender was answered"),
        ((label, ACK_BY_STATE[Inbound(value)]) for value, label in Inbound.choices),
    )


def outbound_states_markdown() -> str:
    return _table(("state", "meaning"), ((f"`{v}`", label) for v, label in Outbound.choices))


def generated() -> dict[str, str]:
    return {
        "hl7-events-received": events_markdown(inbound.EVENTS, "what irflow does"),
        "hl7-events-sent": events_markdown(outbound.EVENTS, "when irflow sends it"),
        "hl7-fields-read": fields_markdown(inbound.FIELDS, "what irflow does with it"),
        "hl7-fields-written": fields_markdown(outbound.FIELDS, "where the value comes from"),
        "hl7-charsets": charsets_markdown(),
        "hl7-ack-codes": _table(("code", "when"), ((f"`{c}`", w) for c, w in ACK_CODES)),
        "hl7-error-codes": error_codes_markdown(),
        "hl7-inbound-states": inbound_states_markdown(),
        "hl7-outbound-states": outbound_states_markdown(),
    }
