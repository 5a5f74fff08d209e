"""`receive`: one transaction stores the message, applies it under a savepoint and keeps the
ACK; what cannot be stored is not acknowledged; `reprocess` applies a stored message again.

`apply` is replaced here by functions that fail on purpose (a content error, a bug) to show
what the savepoint keeps and what it rolls back; the listener tests use the real one.
"""

from __future__ import annotations

import threading
import time

import pytest
from auditlog.models import LogEntry

from irflow.accounts.roles import Role
from irflow.hl7.parse import HL7Error
from irflow.hl7server import apply as applying
from irflow.hl7server.models import Destination, Inbound, InboundMessage
from irflow.hl7server.receive import receive, reprocess
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.testing.fixtures import make_user
from irflow.testing.mllp_sender import Ack, adt_a04
from irflow.testing.outage import database_away


def _writes_then(error: Exception):
    def fake_apply(message, parsed):
        Destination.objects.create(name="written by apply", host="h", port=1)
        raise error

    return fake_apply


@pytest.mark.django_db
def test_stored_applied_and_acknowledged():
    answer = Ack.read(receive(adt_a04("M1", control_id="C1"), peer="10.0.0.1:5000"))
    assert answer.code == "AA" and answer.control_id == "C1"
    stored = InboundMessage.objects.get()
    assert stored.status == Inbound.APPLIED
    assert stored.patient is not None and stored.patient.mrn == "M1"
    assert stored.peer == "10.0.0.1:5000"
    assert (stored.sending_application, stored.sending_facility) == ("ENGINE", "HOSP")
    assert (stored.message_type, stored.version) == ("ADT^A04", "2.5.1")
    assert stored.patient_key == "M1^^^HOSP^MR"
    assert stored.ack_code == "AA" and stored.ack == answer.text


@pytest.mark.django_db
def test_a_content_error_rolls_back_what_apply_wrote(monkeypatch):
    error = HL7Error("Birth date 19601301 is not a date.", location="PID-7", error_code="102")
    monkeypatch.setattr(applying, "apply", _writes_then(error))
    answer = Ack.read(receive(adt_a04("M2", control_id="C2"), peer="p"))
    assert answer.code == "AE"
    assert "ERR||PID^1^7|102^Data type error^HL70357|E||||Birth date 19601301" in answer.text
    stored = InboundMessage.objects.get()
    assert stored.status == Inbound.ERROR and stored.error_location == "PID-7"
    assert not Destination.objects.exists()


@pytest.mark.django_db
def test_a_failure_of_irflow_is_kept_for_reprocessing(monkeypatch, caplog):
    monkeypatch.setattr(applying, "apply", _writes_then(RuntimeError("a bug")))
    answer = Ack.read(receive(adt_a04("M3", control_id="C3"), peer="p"))
    assert answer.code == "AE" and "207^Application internal error" in answer.text
    assert "kept and can be re-processed" in answer.text
    stored = InboundMessage.objects.get()
    assert stored.status == Inbound.FAILED and "RuntimeError: a bug" in stored.error
    assert not Destination.objects.exists()
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)

    monkeypatch.undo()
    admin = make_user("admin1", Role.ADMIN)
    with pytest.raises(Forbidden):
        reprocess(actor=make_user("nurse1", Role.NURSE), message_id=stored.pk)
    done = reprocess(actor=admin, message_id=stored.pk)
    assert done.status == Inbound.APPLIED and done.reprocessed == 1 and done.error == ""
    assert done.ack == stored.ack  # the ACK that was sent stays
    entry = LogEntry.objects.get_for_object(done).get()
    assert entry.actor == admin and "status" in entry.changes_dict
    with pytest.raises(ValidationFailed, match="this one is Applied"):
        reprocess(actor=admin, message_id=stored.pk)


@pytest.mark.django_db
def test_refused_messages_cannot_be_reprocessed():
    receive(adt_a04("M4", control_id="C4").replace(b"|2.5.1\r", b"|2.6\r", 1), peer="p")
    stored = InboundMessage.objects.get()
    assert stored.status == Inbound.REJECTED
    with pytest.raises(ValidationFailed):
        reprocess(actor=make_user("admin2", Role.ADMIN), message_id=stored.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "location", "code"),
    [
        ((b"|2.5.1\r", b"|2.6\r"), "MSH^1^12", "203"),
        ((b"|2.5.1\r", b"|2.2\r"), "MSH^1^12", "203"),
        ((b"|P|2.5.1", b"|T|2.5.1"), "MSH^1^11", "202"),
        ((b"|C5|", b"||"), "MSH^1^10", "101"),
    ],
)
def test_what_irflow_does_not_take_is_refused(change, location, code):
    raw = adt_a04("M5", control_id="C5").replace(*change, 1)
    answer = Ack.read(receive(raw, peer="p"))
    assert answer.code == "AR"
    assert location in answer.text
    assert f"|{code}^" in answer.text or f"^{code}&" in answer.text
    assert InboundMessage.objects.get().status == Inbound.REJECTED


@pytest.mark.django_db
def test_a_test_instance_takes_test_messages(settings):
    settings.IRFLOW_HL7_PROCESSING_IDS = "P,T"
    raw = adt_a04("M6", control_id="C6").replace(b"|P|2.5.1", b"|T|2.5.1", 1)
    assert Ack.read(receive(raw, peer="p")).code == "AA"


@pytest.mark.django_db(transaction=True)
def test_nothing_is_acknowledged_while_the_database_is_away():
    raw = adt_a04("M7", control_id="C7")
    with database_away():
        assert receive(raw, peer="p") == b""
    assert not InboundMessage.objects.exists()
    assert Ack.read(receive(raw, peer="p")).code == "AA"  # the sender's resend
    assert InboundMessage.objects.get().repeats == 0


@pytest.mark.django_db(transaction=True)
def test_the_same_message_received_twice_at_once_is_applied_once(monkeypatch):
    """Two listeners (threads here, each with its own connection) get the same message at
    the same moment: the second insert waits for the first transaction, then is a repeat."""
    calls: list[str] = []
    real = applying.apply

    def slow_apply(message, parsed):
        calls.append(message.control_id)
        time.sleep(0.5)
        return real(message, parsed)

    monkeypatch.setattr(applying, "apply", slow_apply)
    raw = adt_a04("M8", control_id="C8")
    answers: list[bytes] = []

    def one() -> None:
        from django.db import connection

        try:
            answers.append(receive(raw, peer="p"))
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 2 and answers[0] == answers[1] and answers[0]
    assert calls == ["C8"]
    stored = InboundMessage.objects.get()
    assert stored.repeats == 1


@pytest.mark.django_db
def test_nul_characters_do_not_stop_a_message_being_stored():
    raw = adt_a04("M\x009", control_id="C9").replace(b"ENGINE", b"ENG\x00INE")
    answer = Ack.read(receive(raw, peer="p"))
    assert answer.code == "AE" and answer.control_id == "C9"  # never applied without it
    assert "PID^1^3" in answer.text
    stored = InboundMessage.objects.get()
    assert bytes(stored.raw) == raw and stored.sending_application == "ENGINE"
    assert stored.status == Inbound.ERROR and stored.error_location == "PID-3"


@pytest.mark.django_db
def test_garbage_with_nul_bytes_is_stored_and_refused():
    raw = b"MSH|\x00\x00\x00" + bytes(range(1, 256)) * 3
    answer = receive(raw, peer="p")
    assert Ack.read(answer).code == "AR"
    assert bytes(InboundMessage.objects.get().raw) == raw


@pytest.mark.django_db
def test_a_message_irflow_fails_to_store_as_usual_is_kept_raw_and_answered_ae(monkeypatch):
    from irflow.hl7server import receive as receiving

    def broken(parsed):
        raise RuntimeError("a bug reading PID-3")

    monkeypatch.setattr(receiving, "_patient_key", broken)
    raw = adt_a04("M10", control_id="C10")
    answer = Ack.read(receive(raw, peer="p"))
    assert answer.code == "AE" and answer.control_id == "C10"
    stored = InboundMessage.objects.get()
    assert bytes(stored.raw) == raw and stored.status == Inbound.FAILED
    assert "a bug reading PID-3" in stored.error and stored.ack == answer.text


@pytest.mark.django_db
def test_what_a_message_changes_has_its_history_the_message_itself_none():
    answer = Ack.read(receive(adt_a04("H1", control_id="H1"), peer="p"))
    assert answer.code == "AA"
    stored = InboundMessage.objects.get()
    patient = stored.patient
    assert patient is not None
    entries = LogEntry.objects.get_for_object(patient)
    assert entries.count() == 1 and entries.get().actor_email == "system"
    assert not LogEntry.objects.get_for_object(stored).exists()
