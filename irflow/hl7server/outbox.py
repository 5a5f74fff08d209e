"""The outbox: irflow's events turned into HL7 messages, one row per destination that wants
them, built when the event happens (the text is stored; what was sent is what was built).

- A report signed, an addendum signed → ORU^R01 (the reports app's outbound hook, called by
  its background task after the signature committed).
- A booking made, moved, cancelled → SIU^S12/S13/S15; an order's status changing → ORM^O01 or
  OMI^O23 (the scheduling and orders apps' signals, inside the transaction that made the
  change: the row commits with the change or not at all).

The row is the record: a process that dies between the event and the send leaves the row
PENDING, and the next delivery (or the worker's sweep) sends it. Each message written is
also an access-log entry (channel HL7): which patient's data went to which destination.

Administrators act on rows from the interface page: `resend` and `cancel` (hl7.manage, with
history).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.audit.models import Channel
from irflow.audit.services import access_log_record_machine
from irflow.hl7 import outbound
from irflow.hl7server.models import Destination, Outbound, OutboundMessage
from irflow.hl7server.tasks import delivery_enqueue, delivery_on_commit
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.orders.models import Order
from irflow.patients.models import IdentifierKind, Patient
from irflow.reports import structure
from irflow.reports.models import Addendum as AddendumModel
from irflow.reports.models import Report, ReportStatus
from irflow.reports.outbound import OutboundEvent
from irflow.scheduling.models import Booking, CancelReason

log = logging.getLogger("irflow.hl7.outbox")

MSG_NOT_FOUND = "No such outbound message."
MSG_CANCEL_REASON = "Say why the message is cancelled."
MSG_NOT_CANCELLABLE = "Only a message still waiting to be sent can be cancelled (this one is {}). "
MSG_RESEND_INACTIVE = "The destination {} is switched off: switch it on before resending."

# Which destination flag wants which kind of message.
RESULTS, ORDERS, SCHEDULES = "sends_results", "sends_orders", "sends_schedules"


def new_control_id() -> str:
    """A message control id (MSH-10) unique to this message: 20 characters at most."""
    return "IRF" + uuid.uuid4().hex[:17].upper()


# irflow's records as the builders' plain data.


def target_for(destination: Destination) -> outbound.Target:
    return outbound.Target(
        version=destination.version,
        charset=destination.charset,
        receiving_application=destination.receiving_application,
        receiving_facility=destination.receiving_facility,
        sending_facility=settings.IRFLOW_SITE_NAME,
    )


def patient_data(patient: Patient) -> outbound.PatientData:
    idents = sorted(
        patient.identifiers.all(),
        key=lambda i: (
            i.kind != IdentifierKind.MRN,
            i.issuer != settings.IRFLOW_MRN_ISSUER,
            i.pk,
        ),
    )
    return outbound.PatientData(
        identifiers=[outbound.Identifier(i.value, i.issuer, i.kind) for i in idents],
        family_name=patient.family_name,
        given_name=patient.given_name,
        birth_date=patient.birth_date,
        sex=patient.sex,
        address=patient.address,
        phone=patient.phone,
    )


def person_data(user: User) -> outbound.Person:
    profile = getattr(user, "profile", None)
    number = getattr(profile, "registration_number", "") if profile is not None else ""
    family = user.last_name or user.display_name or user.username
    return outbound.Person(
        id=number or user.username, family_name=family, given_name=user.first_name
    )


def order_data(order: Order) -> outbound.OrderData:
    procedure = order.procedure_type
    modalities = procedure.modalities or []
    return outbound.OrderData(
        placer_order_number=order.placer_order_number,
        accession_number=order.accession_number,
        requested_procedure_id=order.requested_procedure_id,
        study_instance_uid=order.study_instance_uid,
        procedure_code=procedure.code,
        procedure_text=procedure.name,
        priority=order.priority,
        status=order.status,
        modality=modalities[0] if modalities else "",
        ordered_at=order.created_at,
        clinical_indication=order.clinical_indication,
    )


def booking_data(
    booking: Booking, *, reason_code: str = "", note: str = ""
) -> outbound.BookingData:
    reason_text = ""
    if reason_code:
        labels = dict(CancelReason.choices)
        reason_text = labels.get(reason_code, reason_code)
        if note:
            reason_text = f"{reason_text}: {note}"
    return outbound.BookingData(
        sps_id=booking.sps_id,
        start=timezone.localtime(booking.start),
        end=timezone.localtime(booking.end),
        room_code=booking.room.code,
        room_name=booking.room.name,
        modality=booking.modality,
        station_ae_title=booking.station_ae_title,
        operator=person_data(booking.primary_operator) if booking.primary_operator else None,
        reason_code=reason_code,
        reason_text=reason_text,
    )


def report_text(report: Report) -> str:
    """The signed report as text: its fields, then its sections, then who signed it."""
    spec = structure.normalised(report.template)
    lines: list[str] = []
    for f in spec["fields"]:
        value = report.fields.get(f["key"], "")
        if value not in (None, ""):
            lines.append(f"{f['label']}: {structure.display_value(f, value)}")
    for s in spec["sections"]:
        text = (report.sections.get(s["key"]) or "").strip()
        if text:
            if lines:
                lines.append("")
            lines.append(f"{s['label']}:")
            lines.extend(text.splitlines())
    if report.signed_by is not None and report.signed_at is not None:
        lines += [
            "",
            f"Electronically signed by {report.signed_by} on "
            f"{timezone.localtime(report.signed_at):%Y-%m-%d %H:%M}.",
        ]
    return "\n".join(lines)


# Queueing.


def destinations(flag: str) -> list[Destination]:
    return list(Destination.objects.filter(active=True, **{flag: True}).order_by("pk"))


def _queue(
    destination: Destination,
    build: Callable[..., outbound.Built],
    *,
    event: str,
    patient: Patient,
) -> OutboundMessage | None:
    """Build one message for `destination` and store it; its delivery is queued on commit.

    A message that cannot be built never stops the clinical change that made it: the failure
    is logged (with the event) and the change goes on."""
    try:
        with transaction.atomic():
            built = build(target=target_for(destination), control_id=new_control_id())
            message = OutboundMessage.objects.create(
                destination=destination,
                message_type=built.message_type,
                control_id=built.control_id,
                event=event[:60],
                text=built.text,
                patient=patient,
            )
            access_log_record_machine(
                calling=f"HL7 {destination.name}",
                address=f"{destination.host}:{destination.port}",
                patients={patient.pk: str(patient)},
                what=f"{built.message_type} to {destination.name}",
                channel=Channel.HL7,
            )
    except Exception:
        log.exception("hl7: could not build the message for %s to %s", event, destination.name)
        return None
    delivery_on_commit(destination.pk)
    return message


def _already(destination: Destination, event: str) -> bool:
    return OutboundMessage.objects.filter(destination=destination, event=event).exists()


def report_signed_hook(event: OutboundEvent) -> None:
    """Registered with irflow.reports.outbound (see apps.py)."""
    report_signed(event)


def report_signed(event: OutboundEvent) -> list[OutboundMessage]:
    """The reports app's outbound hook: an ORU^R01 per destination that sends results.

    The hook may run twice for one signature (a task retried): a destination that already
    has the message for this event does not get a second one."""
    report = (
        Report.objects.select_related(
            "record__order__procedure_type", "record__patient", "signed_by__profile"
        )
        .filter(pk=event.report_id)
        .first()
    )
    if report is None or not report.is_final:
        return []
    addenda = list(
        report.addenda.filter(signed_at__isnull=False)
        .select_related("signed_by__profile")
        .order_by("signed_at", "pk")
    )
    if event.event == "addendum_signed":
        key = f"addendum {event.addendum_id} signed"
        upto = next((a for a in addenda if a.pk == event.addendum_id), None)
        if upto is None:
            return []
        addenda = [a for a in addenda if (a.signed_at, a.pk) <= (upto.signed_at, upto.pk)]
    else:
        key, addenda = f"report {report.pk} signed", []
    wanted = [d for d in destinations(RESULTS) if not _already(d, key)]
    if not wanted:
        return []
    record = report.record
    assert report.signed_by is not None and report.signed_at is not None  # final
    pdf = None
    if any(d.include_pdf for d in wanted):
        from irflow.reports.pdf import report_pdf  # WeasyPrint: only when a destination wants it

        pdf = report_pdf(report)
    patient, order = patient_data(record.patient), order_data(record.order)
    now = timezone.now()
    signer, signed_at = person_data(report.signed_by), timezone.localtime(report.signed_at)

    def data(with_pdf: bool) -> outbound.ReportData:
        return outbound.ReportData(
            text=report_text(report),
            signed_by=signer,
            signed_at=signed_at,
            procedure_at=_local(record.started_at or record.in_room_at),
            addenda=[_addendum(a) for a in addenda],
            pdf=pdf if with_pdf else None,
        )

    queued = []
    with transaction.atomic():
        for destination in wanted:
            message = _queue(
                destination,
                partial(
                    outbound.oru_r01,
                    now=timezone.localtime(now),
                    patient=patient,
                    order=order,
                    report=data(destination.include_pdf),
                ),
                event=key,
                patient=record.patient,
            )
            if message is not None:
                queued.append(message)
    return queued


# A signature's outbound task is queued after its transaction commits: a process killed in
# between loses the task, not the signature. The worker's sweep finds such reports: signed
# within the window, long enough ago that their task has had its chance, and missing from a
# destination that already sent results when they were signed.
RESULTS_WINDOW = timedelta(days=3)
RESULTS_GRACE = timedelta(minutes=10)


def results_missing(*, now: datetime | None = None) -> int:
    """Queue the ORU^R01 of signed reports and addenda whose outbound task was lost; how many
    signatures were queued again."""
    now = now or timezone.now()
    wanted = destinations(RESULTS)
    if not wanted:
        return 0
    start, end = now - RESULTS_WINDOW, now - RESULTS_GRACE
    signatures: list[tuple[datetime, OutboundEvent, str]] = [
        (signed_at, OutboundEvent(report_id=pk, event="signed"), f"report {pk} signed")
        for pk, signed_at in Report.objects.filter(
            status=ReportStatus.FINAL, signed_at__range=(start, end)
        ).values_list("pk", "signed_at")
        if signed_at is not None
    ] + [
        (
            signed_at,
            OutboundEvent(report_id=report_id, event="addendum_signed", addendum_id=pk),
            f"addendum {pk} signed",
        )
        for pk, report_id, signed_at in AddendumModel.objects.filter(
            signed_at__range=(start, end)
        ).values_list("pk", "report_id", "signed_at")
        if signed_at is not None
    ]
    if not signatures:
        return 0
    sent = set(
        OutboundMessage.objects.filter(
            destination__in=wanted, event__in=[key for _, _, key in signatures]
        ).values_list("destination_id", "event")
    )
    queued = 0
    for signed_at, event, key in sorted(signatures, key=lambda s: s[0]):
        if any(d.created_at <= signed_at and (d.pk, key) not in sent for d in wanted):
            log.warning("queued the results of %s again: its outbound task was lost", key)
            report_signed(event)
            queued += 1
    return queued


def _addendum(addendum: AddendumModel) -> outbound.Addendum:
    assert addendum.signed_by is not None and addendum.signed_at is not None  # signed
    return outbound.Addendum(
        addendum.text, person_data(addendum.signed_by), timezone.localtime(addendum.signed_at)
    )


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value) if value is not None else None


def order_status_changed(sender, order: Order, previous: str, **kwargs) -> None:
    """orders.signals.order_status_changed: ORM^O01 / OMI^O23 to destinations of orders."""
    wanted = destinations(ORDERS)
    if not wanted:
        return
    order = Order.objects.select_related("procedure_type", "patient").get(pk=order.pk)
    booking = order.bookings.filter(active=True).select_related("room", "primary_operator").first()
    patient, data = patient_data(order.patient), order_data(order)
    slot = booking_data(booking) if booking is not None else None
    now = timezone.localtime()
    for destination in wanted:
        first = not OutboundMessage.objects.filter(
            destination=destination, event__startswith=f"order {order.pk} "
        ).exists()
        _queue(
            destination,
            partial(
                outbound.order_status,
                now=now,
                patient=patient,
                order=data,
                booking=slot,
                first=first,
            ),
            event=f"order {order.pk} {previous} to {order.status}",
            patient=order.patient,
        )


def _booking_event(booking: Booking, event: str, *, reason: str = "", note: str = "") -> None:
    wanted = destinations(SCHEDULES)
    if not wanted:
        return
    booking = Booking.objects.select_related(
        "order__procedure_type", "patient", "room", "primary_operator"
    ).get(pk=booking.pk)
    patient, order = patient_data(booking.patient), order_data(booking.order)
    slot = booking_data(booking, reason_code=reason, note=note)
    now = timezone.localtime()
    for destination in wanted:
        _queue(
            destination,
            partial(
                outbound.siu,
                now=now,
                event=event,
                patient=patient,
                order=order,
                booking=slot,
            ),
            event=f"booking {booking.pk} {event}",
            patient=booking.patient,
        )


def booking_created(sender, booking: Booking, **kwargs) -> None:
    """scheduling.signals.booking_created: SIU^S12."""
    _booking_event(booking, "booked")


def booking_rescheduled(sender, booking: Booking, **kwargs) -> None:
    """scheduling.signals.booking_rescheduled: SIU^S13 (with the reason for the move)."""
    _booking_event(booking, "rescheduled", reason=booking.cancel_reason)


def booking_cancelled(sender, booking: Booking, **kwargs) -> None:
    """scheduling.signals.booking_cancelled: SIU^S15 (with the reason)."""
    _booking_event(booking, "cancelled", reason=booking.cancel_reason, note=booking.cancel_note)


# The interface page's actions.


def _message_for_update(message_id: int) -> OutboundMessage:
    message = (
        OutboundMessage.objects.select_for_update()
        .select_related("destination")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise NotFound(MSG_NOT_FOUND)
    return message


@transaction.atomic
def resend(*, actor: Actor, message_id: int) -> OutboundMessage:
    """Send a message again. One still waiting (pending, stuck) is tried at once, keeping its
    control id (the receiver may have it already: a repeat gets its original ACK). One sent,
    refused or cancelled is queued again as a new message — the same text with a new control
    id, at the end of the destination's queue; the original row stays as it was."""
    require(actor, "hl7.manage")
    message = _message_for_update(message_id)
    if not message.destination.active:
        raise Conflict(MSG_RESEND_INACTIVE.format(message.destination.name), code="inactive")
    with history_actor(actor):
        if message.status in (Outbound.PENDING, Outbound.STUCK):
            message.next_attempt_at = None
            message.save(update_fields=["next_attempt_at"])
            result = message
        else:
            control_id = new_control_id()
            result = OutboundMessage.objects.create(
                destination=message.destination,
                message_type=message.message_type,
                control_id=control_id,
                event=f"resend of {message.control_id}"[:60],
                text=_with_control_id(message.text, control_id),
                patient=message.patient,
            )
    transaction.on_commit(lambda: delivery_enqueue(message.destination_id))
    return result


def _with_control_id(text: str, control_id: str) -> str:
    """The message with MSH-10 replaced (irflow's messages use | and ^~\\&)."""
    msh, sep, rest = text.partition("\r")
    fields = msh.split("|")
    fields[9] = control_id
    return "|".join(fields) + sep + rest


@transaction.atomic
def cancel(*, actor: Actor, message_id: int, reason: str) -> OutboundMessage:
    """Withdraw a message not sent yet (pending or stuck): it will not be sent, and the
    messages behind it move on. The reason is kept with the message and its history."""
    require(actor, "hl7.manage")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": MSG_CANCEL_REASON})
    message = _message_for_update(message_id)
    if message.status not in (Outbound.PENDING, Outbound.STUCK):
        raise Conflict(
            MSG_NOT_CANCELLABLE.format(message.get_status_display().lower()).strip(),
            code="not_cancellable",
        )
    message.status = Outbound.CANCELLED
    message.last_error = f"Cancelled by {actor}: {reason}"[:2000]
    message.next_attempt_at = None
    with history_actor(actor):
        message.save(update_fields=["status", "last_error", "next_attempt_at"])
    transaction.on_commit(lambda: delivery_enqueue(message.destination_id))
    return message
