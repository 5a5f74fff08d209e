"""The outbox and its delivery, against a real MLLP receiver on loopback: events become rows
(one per destination that wants them), rows go out strictly in order, an ACK that is not the
message's own is never credited, failures back off and get stuck, refusals move on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from irflow.audit.models import AccessLog, Channel
from irflow.hl7.parse import parse
from irflow.hl7server import outbox, sender, tasks
from irflow.hl7server.models import Destination, Outbound, OutboundMessage
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.reports import services as reports
from irflow.reports.outbound import OutboundEvent
from irflow.scheduling.services import booking_cancel, booking_reschedule
from irflow.testing.cases import booked, completed, next_weekday_at, past_weekday_at
from irflow.testing.mllp_receiver import MllpReceiver

pytestmark = pytest.mark.django_db

IMPRESSION = "Retrievable infrarenal IVC filter placed without complication."


@pytest.fixture
def receiver():
    with MllpReceiver() as r:
        yield r


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.IRFLOW_HL7_RETRY_BASE_S = 1
    settings.IRFLOW_HL7_RETRY_MAX_S = 4
    settings.IRFLOW_HL7_CONNECT_TIMEOUT_S = 2


def destination(port: int, name: str = "EHR", **kwargs) -> Destination:
    fields = {"host": "127.0.0.1", "port": port, "ack_timeout_s": 2, "max_attempts": 3}
    fields |= kwargs
    return Destination.objects.create(name=name, **fields)


def signed(attending, record):
    report = reports.report_start(actor=attending, procedure_id=record.pk)
    reports.report_update(
        actor=attending,
        report_id=report.pk,
        fields={"retrievable": "yes", "filter_position": "Infrarenal", "ivc_diameter_mm": "21"},
        sections={"impression": IMPRESSION},
    )
    return reports.report_sign(actor=attending, report_id=report.pk)


@pytest.fixture
def record(attending, patient, angio_room):
    return completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))


def queue(dest) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(destination=dest).order_by("id"))


def made_ready(*messages) -> None:
    """The backoff has passed (time is not waited for in tests: the row is moved)."""
    OutboundMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_signed_report_queues_one_oru_per_destination_that_wants_results(
    attending, record, patient
):
    results = destination(1, "Results")
    destination(2, "Schedules only", sends_results=False, sends_schedules=True)
    destination(3, "Off", active=False)
    report = signed(attending, record)
    made = outbox.report_signed(OutboundEvent(report_id=report.pk, event="signed"))
    assert [m.destination for m in made] == [results]
    message = made[0]
    assert (message.message_type, message.status, message.patient) == (
        "ORU^R01",
        Outbound.PENDING,
        patient,
    )
    msg = parse(message.text.encode("utf-8"))
    assert msg.header.control_id == message.control_id
    obr = msg.first("OBR")
    assert obr.get(3) == record.order.accession_number and obr.get(25) == "F"
    assert obr.get(32, 1, 2) == "Test" and obr.get(32, 1, 1) == "attending"
    lines = [o.get(5) for o in msg.all("OBX") if o.get(2) == "TX"]
    assert IMPRESSION in lines and "Filter apex position: Infrarenal" in lines
    assert lines[-1].startswith("Electronically signed by")
    assert msg.first("PID").get(5, 1) == patient.family_name
    # The task may run twice for one signature: no second message.
    assert outbox.report_signed(OutboundEvent(report_id=report.pk, event="signed")) == []
    assert OutboundMessage.objects.count() == 1
    log = AccessLog.objects.get(channel=Channel.HL7)
    assert log.patient_id == patient.pk and "ORU^R01 to Results" in log.what


def test_an_addendum_is_sent_as_a_correction_with_the_pdf_where_wanted(attending, record):
    dest = destination(1, include_pdf=True)
    report = signed(attending, record)
    addendum = reports.addendum_create(
        actor=attending, report_id=report.pk, text="Histology: benign.", sign=True
    )
    event = OutboundEvent(report_id=report.pk, event="addendum_signed", addendum_id=addendum.pk)
    (message,) = outbox.report_signed(event)
    msg = parse(message.text.encode())
    assert msg.first("OBR").get(25) == "C"
    assert message.event == f"addendum {addendum.pk} signed" and message.destination == dest
    rows = msg.all("OBX")
    assert [r.get(5) for r in rows if r.get(4) == "2"][-1] == "Histology: benign."
    (pdf,) = [r for r in rows if r.get(2) == "ED"]
    import base64

    assert base64.b64decode(pdf.get(5, 5)).startswith(b"%PDF")


def test_bookings_and_order_status_queue_siu_and_omi(attending, patient, angio_room):
    dest = destination(1, sends_results=False, sends_orders=True, sends_schedules=True)
    old = destination(2, "Old engine", version="2.3.1", charset="8859/1", sends_orders=True)
    booking = booked(attending, patient, angio_room, start=next_weekday_at(9))
    types = [m.message_type for m in queue(dest)]
    # Booking moves the order to scheduled (OMI), then the booking itself (SIU S12).
    assert types == ["OMI^O23", "SIU^S12"]
    first = parse(queue(dest)[0].text.encode())
    assert first.first("ORC").get(1) == "SN" and first.first("ORC").get(5) == "SC"
    assert first.first("IPC").get(4) == booking.sps_id
    assert [m.message_type for m in queue(old)] == ["ORM^O01"]
    booking_reschedule(
        actor=attending,
        booking_id=booking.pk,
        start=booking.start + timedelta(days=1),
        reason="equipment",
    )
    booking_cancel(actor=attending, booking_id=booking.pk, reason="patient_unwell", note="Flu")
    types = [m.message_type for m in queue(dest)]
    assert types == ["OMI^O23", "SIU^S12", "SIU^S13", "OMI^O23", "SIU^S15"]
    s15 = parse(queue(dest)[-1].text.encode())
    assert s15.first("SCH").get(6, 2) == "Patient unwell: Flu"
    back = parse(queue(dest)[3].text.encode()).first("ORC")
    assert (back.get(1), back.get(5)) == ("SC", "IP")  # later messages about it: SC
    assert parse(queue(old)[0].text.encode("latin-1")).first("ZDS") is not None


def test_delivery_sends_in_order_over_one_connection(attending, patient, angio_room, receiver):
    dest = destination(receiver.port, sends_orders=True, sends_schedules=True)
    booking = booked(attending, patient, angio_room, start=next_weekday_at(9))
    booking_cancel(actor=attending, booking_id=booking.pk, reason="patient_unwell")
    waiting = queue(dest)
    result = sender.deliver(dest.pk)
    assert (result.sent, result.failed, result.busy) == (len(waiting), 0, False)
    assert receiver.control_ids() == [m.control_id for m in waiting]
    for message in queue(dest):
        assert message.status == Outbound.SENT and message.attempts == 1
        assert parse(message.ack.encode()).first("MSA").get(2) == message.control_id
    dest.refresh_from_db()
    assert dest.lease_owner == "" and dest.lease_until is None


def test_receiver_down_backs_off_gets_stuck_and_keeps_the_order(
    attending, patient, angio_room, settings
):
    probe = MllpReceiver().start()
    port = probe.port
    probe.stop()  # nobody listens: connection refused
    dest = destination(port, sends_orders=True, sends_schedules=True, max_attempts=2)
    booked(attending, patient, angio_room, start=next_weekday_at(9))
    first, second = queue(dest)
    before = timezone.now()
    result = sender.deliver(dest.pk)
    assert (result.sent, result.failed) == (0, 1)
    first.refresh_from_db()
    assert first.status == Outbound.PENDING and first.attempts == 1
    assert "cannot connect" in first.last_error
    assert before + timedelta(seconds=1) <= first.next_attempt_at
    assert result.retry_at == first.next_attempt_at
    # Not due yet: nothing is tried.
    assert sender.deliver(dest.pk).failed == 0
    made_ready(first)
    sender.deliver(dest.pk)
    first.refresh_from_db()
    assert first.status == Outbound.STUCK and first.attempts == 2
    # The backoff doubles (1 s, 2 s, … capped at IRFLOW_HL7_RETRY_MAX_S).
    assert [sender.backoff(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [1, 2, 4, 4, 4]
    second.refresh_from_db()
    assert second.status == Outbound.PENDING and second.attempts == 0  # waits behind
    # The receiver comes back: the stuck message is still retried, then the next one.
    with MllpReceiver(port=port) as back:
        made_ready(first)
        assert sender.deliver(dest.pk).sent == 2
        assert back.control_ids() == [first.control_id, second.control_id]
    assert {m.status for m in queue(dest)} == {Outbound.SENT}


def test_an_ack_for_another_message_is_never_credited(attending, patient, angio_room, receiver):
    receiver.mode = "wrong-id"
    dest = destination(receiver.port, sends_schedules=True, ack_timeout_s=1)
    booked(attending, patient, angio_room, start=next_weekday_at(9))
    (message,) = queue(dest)
    result = sender.deliver(dest.pk)
    assert (result.sent, result.failed) == (0, 1)
    receiver.wait_for(1, timeout=5)
    message.refresh_from_db()
    assert message.status == Outbound.PENDING and message.ack == ""
    assert "no acknowledgement in time" in message.last_error
    # The same message, once the receiver answers properly, is credited.
    receiver.mode = "AA"
    made_ready(message)
    assert sender.deliver(dest.pk).sent == 1
    assert receiver.control_ids() == [message.control_id] * 2


def test_a_stray_ack_is_skipped_and_the_right_one_credited(
    attending, patient, angio_room, receiver
):
    receiver.mode = "late-then-AA"
    dest = destination(receiver.port, sends_orders=True, sends_schedules=True)
    booked(attending, patient, angio_room, start=next_weekday_at(9))
    assert sender.deliver(dest.pk).sent == 2
    for message in queue(dest):
        assert parse(message.ack.encode()).first("MSA").get(2) == message.control_id


def test_no_answer_at_all_is_a_failed_attempt(attending, patient, angio_room, receiver):
    receiver.mode = "silent"
    dest = destination(receiver.port, sends_schedules=True, ack_timeout_s=1)
    booked(attending, patient, angio_room, start=next_weekday_at(9))
    assert sender.deliver(dest.pk).failed == 1
    assert queue(dest)[0].attempts == 1 and queue(dest)[0].status == Outbound.PENDING


def test_a_refused_message_is_kept_and_the_queue_moves_on(attending, patient, angio_room, receiver):
    receiver.mode = "AE"
    dest = destination(receiver.port, sends_orders=True, sends_schedules=True)
    booked(attending, patient, angio_room, start=next_weekday_at(9))
    result = sender.deliver(dest.pk)
    assert (result.sent, result.refused) == (0, 2)
    for message in queue(dest):
        assert message.status == Outbound.REFUSED
        assert message.last_error == "AE: Refused by the test receiver."


def test_one_sender_per_destination(attending, patient, angio_room, receiver):
    dest = destination(receiver.port, sends_schedules=True)
    booked(attending, patient, angio_room, start=next_weekday_at(9))
    assert sender.lease_take(dest.pk, "other-worker", 60)
    assert not sender.lease_take(dest.pk, "me", 60)
    assert sender.deliver(dest.pk).busy
    assert receiver.messages == []
    # An expired lease (its holder died) is taken over.
    Destination.objects.filter(pk=dest.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert sender.deliver(dest.pk).sent == 1


def test_the_task_defers_a_retry_and_the_sweep_requeues(
    attending, patient, angio_room, django_capture_on_commit_callbacks
):
    probe = MllpReceiver().start()
    port = probe.port
    probe.stop()
    dest = destination(port, sends_schedules=True)
    with django_capture_on_commit_callbacks(execute=True):
        booked(attending, patient, angio_room, start=next_weekday_at(9))
    path = tasks.deliver_task.module_path
    assert DBTaskResult.objects.filter(task_path=path).count() == 1  # queued on commit
    DBTaskResult.objects.filter(task_path=path).update(status="SUCCESSFUL")  # as if run
    tasks.deliver_task.call(dest.pk)  # the receiver is down
    (message,) = queue(dest)
    waiting = DBTaskResult.objects.filter(task_path=path, status="READY")
    (deferred,) = waiting
    assert deferred.run_after == message.next_attempt_at
    tasks.deliver_task.call(dest.pk)  # another run meanwhile: the head still waits
    assert waiting.count() == 1  # no second deferred delivery
    assert tasks.outbox_requeue() == 0  # its head waits for its next attempt
    made_ready(message)
    waiting.update(run_after=timezone.now())
    assert tasks.outbox_requeue() == 0  # its delivery is queued already
    waiting.update(status="SUCCESSFUL")
    assert tasks.outbox_requeue() == 1  # lost (a worker killed): queued again
    assert tasks.outbox_requeue() == 0
    # A destination switched off keeps its messages and is not delivered to.
    DBTaskResult.objects.filter(task_path=path).update(status="SUCCESSFUL")
    Destination.objects.filter(pk=dest.pk).update(active=False)
    assert tasks.deliver_task.call(dest.pk) == "sent 0, refused 0, failed 0"
    assert not waiting.exists() and tasks.outbox_requeue() == 0
    assert queue(dest)[0].status == Outbound.PENDING


def test_resend_and_cancel_are_for_administrators_with_history(
    personas, attending, patient, angio_room, receiver
):
    admin = personas["admin"]
    dest = destination(receiver.port, sends_orders=True, sends_schedules=True)
    booked(attending, patient, angio_room, start=next_weekday_at(9))
    first, second = queue(dest)
    with pytest.raises(Forbidden):
        outbox.cancel(actor=attending, message_id=first.pk, reason="Not wanted.")
    with pytest.raises(ValidationFailed, match="why"):
        outbox.cancel(actor=admin, message_id=first.pk, reason=" ")
    cancelled = outbox.cancel(actor=admin, message_id=first.pk, reason="Duplicate order.")
    assert cancelled.status == Outbound.CANCELLED and "Duplicate order." in cancelled.last_error
    assert LogEntry.objects.get_for_object(cancelled).filter(actor=admin).exists()
    with pytest.raises(Conflict):
        outbox.cancel(actor=admin, message_id=first.pk, reason="Again.")
    assert sender.deliver(dest.pk).sent == 1  # the cancelled one is skipped
    assert receiver.control_ids() == [second.control_id]
    with pytest.raises(Forbidden):
        outbox.resend(actor=attending, message_id=second.pk)
    again = outbox.resend(actor=admin, message_id=second.pk)
    assert again.pk != second.pk and again.control_id != second.control_id
    assert again.text.replace(again.control_id, second.control_id) == second.text
    assert again.event == f"resend of {second.control_id}"
    assert sender.deliver(dest.pk).sent == 1
    assert receiver.control_ids() == [second.control_id, again.control_id]


def test_the_sweep_queues_the_results_of_a_signature_whose_task_was_lost(attending, record):
    """The report is signed and committed, but its outbound task never ran (the process died
    before queueing it): the worker's sweep finds it once the grace period has passed."""
    dest = destination(1)
    Destination.objects.filter(pk=dest.pk).update(created_at=timezone.now() - timedelta(days=1))
    report = signed(attending, record)  # the test runs no task: nothing is queued
    assert queue(dest) == []
    assert outbox.results_missing() == 0  # within the grace period: its task may still run
    later = timezone.now() + outbox.RESULTS_GRACE + timedelta(minutes=1)
    assert outbox.results_missing(now=later) == 1
    [message] = queue(dest)
    assert message.message_type == "ORU^R01" and message.event == f"report {report.pk} signed"
    assert outbox.results_missing(now=later) == 0  # once
    # A destination added after the signature does not get old results from the sweep.
    destination(2, "New")
    assert outbox.results_missing(now=later) == 0
