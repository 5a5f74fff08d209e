"""docs/hl7-interface.md says what the code does: its generated tables are current, and every
message type and field the reader and the writer declare (irflow.hl7.inbound/outbound EVENTS
and FIELDS) is in it."""

from __future__ import annotations

from django.core.management import call_command

from irflow.hl7 import ack, inbound, outbound
from irflow.hl7.fields import EventUse, FieldUse
from irflow.hl7.parse import CHARSETS
from irflow.hl7server import docs
from irflow.hl7server.models import Inbound, Outbound
from irflow.lib import docblocks

SAMPLE_EVENTS = [
    EventUse("ADT^A40", "2.3.1, 2.5.1", "Merges MRG-1 into PID-3 | through the merge service."),
    EventUse("ORM^O01", "2.3.1", "Creates the order."),
]
SAMPLE_FIELDS = [
    FieldUse("ADT A01/A04", "PID-3", "Patient identifier list", "Identifiers with authority."),
    FieldUse("ORM^O01", "OBR-4", "Universal service identifier", "Mapped to the catalogue."),
]


def _doc() -> str:
    return docs.DOC.read_text(encoding="utf-8")


def test_the_generated_tables_of_the_document_are_current():
    for name, body in docs.generated().items():
        assert docblocks.current(docs.DOC, name, body), f"{name}: run irflow docs"
    call_command("docs", "--check")


def test_every_event_and_field_the_code_declares_is_in_the_document():
    text = _doc()
    for event in inbound.EVENTS + outbound.EVENTS:
        assert f"`{event.message_type}`" in text, event
    for use in inbound.FIELDS + outbound.FIELDS:
        row = f"| `{use.field}` | {docs._cell(use.meaning)} | {docs._cell(use.messages)} |"
        assert row in text, use


def test_declared_events_and_fields_become_rows_with_their_words(monkeypatch):
    monkeypatch.setattr(inbound, "EVENTS", SAMPLE_EVENTS)
    monkeypatch.setattr(inbound, "FIELDS", SAMPLE_FIELDS)
    monkeypatch.setattr(outbound, "EVENTS", SAMPLE_EVENTS[:1])
    monkeypatch.setattr(outbound, "FIELDS", SAMPLE_FIELDS[1:])
    blocks = docs.generated()
    received = blocks["hl7-events-received"].splitlines()
    assert received[2:] == [
        "| `ADT^A40` | 2.3.1, 2.5.1 | Merges MRG-1 into PID-3 \\| through the merge service. |",
        "| `ORM^O01` | 2.3.1 | Creates the order. |",
    ]
    assert (
        "| `PID-3` | Patient identifier list | ADT A01/A04 | Identifiers with authority. |"
        in (blocks["hl7-fields-read"])
    )
    assert blocks["hl7-fields-written"].count("\n| `") == 1
    assert "`ADT^A40`" in blocks["hl7-events-sent"]


def test_empty_lists_read_as_none_yet(monkeypatch):
    monkeypatch.setattr(inbound, "EVENTS", [])
    assert (
        docs.generated()["hl7-events-received"].splitlines()[2].startswith(f"| {docs.NONE_YET} |")
    )


def test_character_sets_error_codes_and_states_come_from_the_code():
    blocks = docs.generated()
    for name in CHARSETS:
        assert f"`{name}`" in blocks["hl7-charsets"]
    names = getattr(ack, "ERROR_NAMES", None) or ack._ERROR_NAMES
    for code, meaning in names.items():
        assert f"| `{code}` | {meaning} |" in blocks["hl7-error-codes"]
    for _, label in Inbound.choices:  # every state says what the sender was answered
        assert f"| {label} |" in blocks["hl7-inbound-states"]
    for value, _ in Outbound.choices:
        assert f"`{value}`" in blocks["hl7-outbound-states"]


def test_the_document_is_linked_from_the_readme():
    readme = (docs.DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "(docs/hl7-interface.md)" in readme
