"""Writes of performed procedure steps: what modalities report over MPPS, and reconciliation.

A step that names a booking (by SPS ID, else accession number, requested procedure ID or
Study Instance UID) moves it along the day through the day-of-case layer: IN PROGRESS puts the
patient in the room (the room is busy on the department board), COMPLETED or DISCONTINUED out
of it, to recovery; the order follows its booking (and a discontinued step discontinues it, so
that it can be booked again). The modality is never refused: what the day's rules would have
refused from a person (no sign-in, no time-out, another patient in the room, no sign-out) is
flagged on the board and the record for review. A step that names no booking waits on the
reconciliation list until a technologist links it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import require
from irflow.catalogue.models import Room
from irflow.dayofcase.services import case_modality_finished, case_modality_started
from irflow.dicom.charset import LATIN1
from irflow.dicom.mpps import (
    MSG_DUPLICATE_INSTANCE,
    STATUS_DUPLICATE_SOP_INSTANCE,
    Code,
    MppsCreate,
    MppsError,
    MppsStatus,
    MppsUpdate,
    Operation,
    PerformedSeries,
    SopReference,
    check_final_state,
    mpps_transition,
)
from irflow.dicomserver.models import RemoteAE
from irflow.lib.db import violates
from irflow.lib.errors import Conflict, ValidationFailed, from_django_validation
from irflow.lib.history import history_actor
from irflow.orders.models import ORDER_STATES, Order, OrderStatus
from irflow.orders.services import order_set_status
from irflow.patients.models import IdentifierKind, Patient, PatientIdentifier
from irflow.procedures.models import PerformedProcedureStep
from irflow.scheduling.models import Booking

MSG_ALREADY_LINKED = "This step is already linked to a booking or an order."
MSG_CHOOSE_ONE = "Choose a booking or give an accession number."
MSG_BOOKING_INACTIVE = "This booking was cancelled; choose another."
MSG_UNKNOWN_ACCESSION = "No order has this accession number."

# Order status once the modality reports the step finished.
_ORDER_AFTER = {
    MppsStatus.COMPLETED: OrderStatus.COMPLETED,
    MppsStatus.DISCONTINUED: OrderStatus.DISCONTINUED,
}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _codes(codes: Iterable[Code] | None) -> list[dict[str, Any]]:
    return [asdict(code) for code in codes or ()]


def _series(series: Iterable[PerformedSeries]) -> list[dict[str, Any]]:
    return [
        {
            "series_instance_uid": s.series_instance_uid,
            "protocol_name": s.protocol_name,
            "series_description": s.series_description,
            "retrieve_ae_title": s.retrieve_ae_title,
            "images": [[ref.sop_class_uid, ref.sop_instance_uid] for ref in s.images],
            "non_images": [[ref.sop_class_uid, ref.sop_instance_uid] for ref in s.non_images],
        }
        for s in series
    ]


def _dose_sr_uids(series: Iterable[PerformedSeries]) -> list[str]:
    return [
        ref.sop_instance_uid
        for s in series
        for ref in s.images + s.non_images
        if ref.is_dose_report
    ]


def _scheduled_booking(create: MppsCreate) -> tuple[Booking | None, Order | None]:
    """The booking (and order) the step's Scheduled Step Attributes name, if any."""
    for step in create.scheduled_steps:
        if step.sps_id:
            booking = (
                Booking.objects.filter(sps_id=step.sps_id, active=True)
                .select_related("order")
                .first()
            )
            if booking is not None:
                return booking, booking.order
    for step in create.scheduled_steps:
        order = None
        if step.accession_number:
            order = Order.objects.filter(accession_number=step.accession_number).first()
        if order is None and step.requested_procedure_id:
            order = Order.objects.filter(requested_procedure_id=step.requested_procedure_id).first()
        if order is None and step.study_instance_uid:
            order = Order.objects.filter(study_instance_uid=step.study_instance_uid).first()
        if order is not None:
            active = order.bookings.filter(active=True).order_by("start")
            # The booking at the reporting station first, else the earliest active one.
            booking = active.filter(station_ae_title=create.station_ae_title).first()
            booking = booking or active.first()
            return booking, order
    return None, None


def _patient_for(create: MppsCreate) -> Patient | None:
    if not create.patient_id:
        return None
    identifier = (
        PatientIdentifier.objects.filter(value=create.patient_id, kind=IdentifierKind.MRN)
        .select_related("patient")
        .order_by("pk")
        .first()
    )
    return identifier.patient if identifier is not None else None


def _order_to(order_id: int, status: str, actor: Actor) -> None:
    order = Order.objects.get(pk=order_id)
    if order.status == OrderStatus.ORDERED or order.status == OrderStatus.SCHEDULED:
        order = order_set_status(actor=actor, order_id=order_id, status=OrderStatus.IN_PROGRESS)
    if order.status != status and ORDER_STATES.can(order.status, status):
        order_set_status(actor=actor, order_id=order_id, status=status)


def _follow(step: PerformedProcedureStep, actor: Actor) -> None:
    """Move the step's booking (and with it its order) to where the step says the procedure
    is; an order the step names without a booking follows the step itself."""
    if step.booking is not None:
        if step.status == MppsStatus.DISCONTINUED and step.order_id is not None:
            _order_to(step.order_id, OrderStatus.DISCONTINUED, actor=actor)
        step.booking = (
            case_modality_finished(actor=actor, booking_id=step.booking.pk)
            if step.is_final
            else case_modality_started(actor=actor, booking_id=step.booking.pk)
        )
        return
    if step.order_id is not None:
        final = _ORDER_AFTER.get(MppsStatus(step.status))
        _order_to(step.order_id, final or OrderStatus.IN_PROGRESS, actor=actor)


@transaction.atomic
def mpps_create(
    *,
    actor: Actor,
    create: MppsCreate,
    calling_ae_title: str,
    remote: RemoteAE | None = None,
) -> PerformedProcedureStep:
    """Record an N-CREATE (IN PROGRESS): the procedure started; its room is busy now.

    Called by the DICOM listener, as the system actor. Raises `MppsError` with 0x0111 when the
    SOP instance exists already.
    """
    booking, order = _scheduled_booking(create)
    patient = booking.patient if booking is not None else None
    if patient is None and order is not None:
        patient = order.patient
    if patient is None:
        patient = _patient_for(create)
    room = booking.room if booking is not None else (remote.room if remote else None)
    study_uid = order.study_instance_uid if order is not None else ""
    if not study_uid and create.scheduled_steps:
        study_uid = create.scheduled_steps[0].study_instance_uid
    step = PerformedProcedureStep(
        sop_instance_uid=create.sop_instance_uid,
        status=MppsStatus.IN_PROGRESS,
        booking=booking,
        order=order,
        patient=patient,
        room=room,
        calling_ae_title=calling_ae_title[:16],
        station_ae_title=create.station_ae_title[:16],
        modality=create.modality[:16],
        pps_id=create.pps_id[:16],
        study_instance_uid=study_uid[:64],
        started_at=_aware(create.start),
        ended_at=_aware(create.end),
        attributes={
            "patient_id": create.patient_id,
            "patient_name": create.patient_name,
            "patient_birth_date": (
                create.patient_birth_date.isoformat() if create.patient_birth_date else ""
            ),
            "patient_sex": create.patient_sex,
            "scheduled_steps": [asdict(s) for s in create.scheduled_steps],
            "station_name": create.station_name,
            "location": create.location,
            "description": create.description,
            "procedure_type_description": create.procedure_type_description,
            "procedure_codes": _codes(create.procedure_codes),
            "study_id": create.study_id,
            "charset": list(create.charset),
            "dose": asdict(create.dose) if create.dose else None,
        },
        performed_series=_series(create.performed_series),
        dose_sr_uids=_dose_sr_uids(create.performed_series),
    )
    try:
        with transaction.atomic():
            step.save()
    except IntegrityError as exc:
        if not violates(exc, unique=[("sop_instance_uid",)]):
            raise
        raise MppsError(STATUS_DUPLICATE_SOP_INSTANCE, MSG_DUPLICATE_INSTANCE) from exc
    _follow(step, actor)
    return step


@transaction.atomic
def mpps_set(*, actor: Actor, update: MppsUpdate) -> PerformedProcedureStep:
    """Record an N-SET: details of the step and, with COMPLETED or DISCONTINUED, its end.

    Raises `MppsError` with the status PS3.4 F.7.2.2 names (0x0112 unknown instance, 0x0110
    once the step is final, 0x0121 when the final state lacks its end or series).
    """
    step = (
        PerformedProcedureStep.objects.select_for_update(of=("self",))
        .select_related("booking", "order")
        .filter(sop_instance_uid=update.sop_instance_uid)
        .first()
    )
    transition = mpps_transition(
        step.status if step is not None else None,
        update.status.value if update.status is not None else None,
        operation=Operation.N_SET,
    )
    transition.raise_if_denied()
    assert step is not None and transition.new_status is not None
    new_status = transition.new_status
    series = (
        update.performed_series
        if update.performed_series is not None
        else _stored_series(step.performed_series)
    )
    end = _aware(update.end) if update.end is not None else step.ended_at
    check_final_state(
        status=new_status,
        end=timezone.localtime(end).replace(tzinfo=None) if end else None,
        performed_series=series,
    )
    attributes = dict(step.attributes)
    for key, value in (
        ("description", update.description),
        ("procedure_type_description", update.procedure_type_description),
        ("comments", update.comments),
    ):
        if value is not None:
            attributes[key] = value
    if update.procedure_codes is not None:
        attributes["procedure_codes"] = _codes(update.procedure_codes)
    if update.dose is not None:
        attributes["dose"] = asdict(update.dose)
    if update.discontinuation_reasons is not None:
        attributes["discontinuation_reasons"] = _codes(update.discontinuation_reasons)
        step.discontinuation_reason = "; ".join(
            code.meaning or code.value for code in update.discontinuation_reasons
        )[:200]
    if update.ignored_keywords:
        attributes["ignored_keywords"] = list(update.ignored_keywords)
    if update.performed_series is not None:
        step.performed_series = _series(update.performed_series)
        step.dose_sr_uids = list(update.dose_report_uids)
    step.attributes = attributes
    step.ended_at = end
    step.status = new_status
    step.save()
    if new_status is not MppsStatus.IN_PROGRESS:
        _follow(step, actor)
    return step


def _stored_series(rows: list[dict]) -> tuple[PerformedSeries, ...]:

    return tuple(
        PerformedSeries(
            series_instance_uid=row.get("series_instance_uid", ""),
            protocol_name=row.get("protocol_name", ""),
            series_description=row.get("series_description", ""),
            retrieve_ae_title=row.get("retrieve_ae_title", ""),
            images=tuple(SopReference(c, i) for c, i in row.get("images", [])),
            non_images=tuple(SopReference(c, i) for c, i in row.get("non_images", [])),
        )
        for row in rows
    )


@transaction.atomic
def mpps_reconcile(
    *,
    actor: Actor,
    step_id: int,
    booking_id: int | None = None,
    accession_number: str = "",
    note: str = "",
) -> PerformedProcedureStep:
    """Link a step no booking claimed to a booking, or to an order by accession number.

    The booking and order then follow the step's status, as if it had been scheduled.
    """
    require(actor, "mpps.reconcile")
    step = PerformedProcedureStep.objects.select_for_update().get(pk=step_id)
    if step.booking_id is not None or step.reconciled_at is not None:
        raise Conflict(MSG_ALREADY_LINKED, code="already_linked")
    accession_number = accession_number.strip()
    if booking_id is None and not accession_number:
        raise ValidationFailed({"booking": MSG_CHOOSE_ONE})
    order: Order | None
    booking: Booking | None
    if booking_id is not None:
        booking = Booking.objects.select_related("order", "room").get(pk=booking_id)
        if not booking.active:
            raise ValidationFailed({"booking": MSG_BOOKING_INACTIVE})
        order = booking.order
    else:
        order = Order.objects.filter(accession_number=accession_number).first()
        if order is None:
            raise ValidationFailed({"accession_number": MSG_UNKNOWN_ACCESSION})
        booking = order.bookings.filter(active=True).order_by("start").first()
    step.booking = booking
    step.order = order
    step.patient_id = order.patient_id
    if booking is not None:
        step.room = booking.room
    if not step.study_instance_uid:
        step.study_instance_uid = order.study_instance_uid
    step.reconciled_at = timezone.now()
    step.reconciled_by = person(actor)
    step.reconciliation_note = note.strip()[:300]
    with history_actor(actor):
        step.save()
        _follow(step, actor=actor)
    return step


@transaction.atomic
def remote_ae_save(
    *,
    actor: Actor,
    remote_id: int | None,
    ae_title: str,
    host: str = "",
    room: Room | None = None,
    charset: str = LATIN1,
    active: bool = True,
    description: str = "",
    may_query_worklist: bool = True,
    may_report_steps: bool = True,
    may_send_dose_reports: bool = True,
) -> RemoteAE:
    """Create (`remote_id` None) or change a remote AE's configuration (validated, kept in the
    history)."""
    require(actor, "dicom.configure")
    remote = (
        RemoteAE() if remote_id is None else RemoteAE.objects.select_for_update().get(pk=remote_id)
    )
    remote.ae_title, remote.host, remote.room = ae_title, host, room
    remote.charset, remote.active, remote.description = charset, active, description
    remote.may_query_worklist = may_query_worklist
    remote.may_report_steps = may_report_steps
    remote.may_send_dose_reports = may_send_dose_reports
    try:
        remote.full_clean()
    except DjangoValidationError as exc:
        raise from_django_validation(exc) from exc
    with history_actor(actor):
        remote.save()
    return remote


@transaction.atomic
def remote_ae_delete(*, actor: Actor, remote_id: int) -> None:
    """Forget a remote AE (the history keeps what it was); it is unknown from now on."""
    require(actor, "dicom.configure")
    remote = RemoteAE.objects.select_for_update().get(pk=remote_id)
    with history_actor(actor):
        remote.delete()
