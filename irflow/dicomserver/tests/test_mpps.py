"""MPPS over the real listener with a pynetdicom client: the step, the booking, the order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom.sop_class import ModalityPerformedProcedureStep  # type: ignore[attr-defined]

from irflow.dayofcase.selectors import department_board
from irflow.dicom.mpps import (
    ERROR_ID_MAY_NO_LONGER_BE_UPDATED,
    MSG_CREATE_NOT_IN_PROGRESS,
    MSG_FINAL_STATE_NO_END,
    MSG_MAY_NO_LONGER_BE_UPDATED,
    MSG_NO_SUCH_INSTANCE,
)
from irflow.dicom.rdsr_builder import XRAY_RADIATION_DOSE_SR
from irflow.dicomserver.selectors import mpps_unreconciled
from irflow.dicomserver.services import mpps_reconcile
from irflow.dicomserver.simulator import Step, mpps_final, mpps_in_progress
from irflow.orders.models import OrderStatus
from irflow.procedures.models import PerformedProcedureStep
from irflow.scheduling.models import Booking, BookingStatus
from irflow.testing.fixtures import make_booking, make_order

pytestmark = pytest.mark.e2e


@pytest.fixture
def booking(personas, patient, angio_room) -> Booking:
    order = make_order(personas["attending"], patient, priority="emergent")
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
    return make_booking(personas["attending"], order, angio_room, start)


def step_of(booking: Booking, **changes) -> Step:
    order = booking.order
    values = {
        "sps_id": booking.sps_id,
        "patient_name": "Müller^Jörg",
        "patient_id": "T0000001",
        "birth_date": "19560412",
        "sex": "M",
        "accession_number": order.accession_number,
        "requested_procedure_id": order.requested_procedure_id,
        "requested_procedure_description": order.procedure_type.name,
        "study_instance_uid": order.study_instance_uid,
        "sps_description": order.procedure_type.name,
        "sps_status": "SCHEDULED",
        "start": "",
        "modality": "XA",
    }
    values.update(changes)
    return Step(**values)


def create(assoc, step: Step, uid: str | None = None, **overrides) -> tuple[Dataset, str]:
    uid = uid or generate_uid()
    ds = mpps_in_progress(step, station="ANGIO1", pps_id="PPS1", now=timezone.localtime())
    for keyword, value in overrides.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    status, _ = assoc.send_n_create(ds, ModalityPerformedProcedureStep, uid)
    return status, uid


def finish(assoc, uid: str, status: str = "COMPLETED", **overrides) -> Dataset:
    ds = mpps_final(
        status=status,
        now=timezone.localtime(),
        series_uid=generate_uid(),
        dose_report=(XRAY_RADIATION_DOSE_SR, "1.2.3.4.5.6"),
        station="ANGIO1",
    )
    for keyword, value in overrides.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    answer, _ = assoc.send_n_set(ds, ModalityPerformedProcedureStep, uid)
    return answer


@pytest.fixture
def room_busy(personas):
    """Whether the department board shows the booking's room busy."""

    def busy(booking: Booking) -> bool:
        day = timezone.localdate(booking.start)
        board = department_board(actor=personas["nurse"], day=day, log=False)
        (column,) = [column for column in board if column.room == booking.room]
        return column.busy

    return busy


def test_in_progress_then_completed(associate, booking, room_busy):
    assoc = associate()
    assert not room_busy(booking)
    status, uid = create(assoc, step_of(booking))
    assert status.Status == 0x0000
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert step.status == "IN PROGRESS" and step.booking == booking
    assert step.patient == booking.patient and step.room == booking.room
    booking.refresh_from_db()
    assert booking.status == BookingStatus.IN_ROOM and room_busy(booking)
    assert booking.order.status == OrderStatus.IN_PROGRESS

    answer = finish(assoc, uid)
    assert answer.Status == 0x0000
    step.refresh_from_db()
    booking.refresh_from_db()
    booking.order.refresh_from_db()
    assert step.status == "COMPLETED" and step.ended_at is not None
    assert step.dose_sr_uids == ["1.2.3.4.5.6"]
    assert step.performed_series[0]["non_images"] == [[XRAY_RADIATION_DOSE_SR, "1.2.3.4.5.6"]]
    assert booking.status == BookingStatus.RECOVERY and not room_busy(booking)
    assert booking.order.status == OrderStatus.COMPLETED
    assert LogEntry.objects.get_for_object(step).count() >= 2  # created, then completed
    moved = LogEntry.objects.get_for_object(booking).latest("timestamp", "pk")
    assert moved.actor is None and moved.actor_email == "system"  # the listener's move


def test_discontinued_with_reason(associate, booking, room_busy):
    assoc = associate()
    status, uid = create(assoc, step_of(booking))
    assert status.Status == 0x0000
    answer = finish(assoc, uid, status="DISCONTINUED")
    assert answer.Status == 0x0000
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert step.status == "DISCONTINUED"
    assert step.discontinuation_reason == "Patient condition prevented continuing"
    booking.refresh_from_db()
    booking.order.refresh_from_db()
    assert booking.status == BookingStatus.RECOVERY and not room_busy(booking)
    assert booking.order.status == OrderStatus.DISCONTINUED  # bookable again


def test_forbidden_transitions_get_the_statuses_ps34_names(associate, booking):
    assoc = associate()
    _, uid = create(assoc, step_of(booking))
    assert finish(assoc, uid).Status == 0x0000

    again = finish(assoc, uid, status="DISCONTINUED")
    assert again.Status == 0x0110
    assert again.ErrorID == ERROR_ID_MAY_NO_LONGER_BE_UPDATED
    assert again.ErrorComment == MSG_MAY_NO_LONGER_BE_UPDATED
    duplicate, _ = create(assoc, step_of(booking), uid=uid)
    assert duplicate.Status == 0x0111
    assert PerformedProcedureStep.objects.get(sop_instance_uid=uid).status == "COMPLETED"

    not_in_progress, _ = create(assoc, step_of(booking), PerformedProcedureStepStatus="COMPLETED")
    assert not_in_progress.Status == 0x0106
    assert not_in_progress.ErrorComment == MSG_CREATE_NOT_IN_PROGRESS
    unknown = finish(assoc, generate_uid())
    assert unknown.Status == 0x0112 and unknown.ErrorComment == MSG_NO_SUCH_INSTANCE
    assert assoc.send_c_echo().Status == 0x0000


def test_refused_attribute_lists_change_nothing(associate, booking):
    assoc = associate()
    missing, _ = create(assoc, step_of(booking), ScheduledStepAttributesSequence=None)
    assert missing.Status == 0x0120
    assert not PerformedProcedureStep.objects.exists()

    _, uid = create(assoc, step_of(booking))
    no_end = finish(
        assoc, uid, PerformedProcedureStepEndDate=None, PerformedProcedureStepEndTime=None
    )
    assert no_end.Status == 0x0121 and no_end.ErrorComment == MSG_FINAL_STATE_NO_END
    assert no_end.AttributeIdentifierList == 0x00400250  # PerformedProcedureStepEndDate
    bad_status = finish(assoc, uid, PerformedProcedureStepStatus="DONE")
    assert bad_status.Status == 0x0106
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert step.status == "IN PROGRESS" and step.ended_at is None
    booking.refresh_from_db()
    assert booking.status == BookingStatus.IN_ROOM

    # Attributes an N-SET may not change: ignored, with the 0x0107 warning; the step ends.
    warned = finish(assoc, uid, PatientName="Someone^Else")
    assert warned.Status == 0x0107
    assert warned.AttributeIdentifierList == 0x00100010
    step.refresh_from_db()
    assert step.status == "COMPLETED" and step.attributes["patient_name"] == "Müller^Jörg"


def test_unscheduled_step_waits_for_reconciliation(associate, booking, personas, room_busy):
    assoc = associate()
    emergency = step_of(
        booking, sps_id="", accession_number="", requested_procedure_id="", study_instance_uid="1.2"
    )
    status, uid = create(assoc, emergency)
    assert status.Status == 0x0000
    step = PerformedProcedureStep.objects.get(sop_instance_uid=uid)
    assert step.booking is None and step.patient == booking.patient  # found by MRN
    assert step in mpps_unreconciled(actor=personas["technologist"])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED

    mpps_reconcile(
        actor=personas["technologist"], step_id=step.pk, booking_id=booking.pk, note="emergency"
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.IN_ROOM and room_busy(booking)
    assert step not in mpps_unreconciled(actor=personas["technologist"])
    assert finish(assoc, uid).Status == 0x0000
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RECOVERY and not room_busy(booking)
    history = LogEntry.objects.get_for_object(step).filter(actor=personas["technologist"])
    assert history.exists()
