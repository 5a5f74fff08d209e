"""The reconciliation pages: who sees unscheduled steps, who may link them, what it changes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.audit.models import AccessLog
from irflow.dicom.mpps import MppsCreate, ScheduledStep
from irflow.dicomserver.models import RemoteAE
from irflow.dicomserver.selectors import mpps_unreconciled
from irflow.dicomserver.services import (
    MSG_ALREADY_LINKED,
    MSG_CHOOSE_ONE,
    MSG_UNKNOWN_ACCESSION,
    mpps_create,
    mpps_reconcile,
)
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.orders.models import OrderStatus
from irflow.procedures.models import PerformedProcedureStep
from irflow.scheduling.models import BookingStatus
from irflow.testing.fixtures import login, make_booking, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(personas, patient, angio_room):
    order = make_order(personas["attending"], patient, priority="emergent")
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=20)
    return make_booking(personas["attending"], order, angio_room, start)


@pytest.fixture
def emergency(booking, angio_room):
    """A step the modality started for a patient it could not find on the worklist."""
    remote = RemoteAE.objects.create(ae_title="ANGIO1", room=angio_room)
    return mpps_create(
        actor=SYSTEM,
        create=MppsCreate(
            sop_instance_uid="1.2.826.0.1.3680043.10.1293.7.1",
            pps_id="PPS7",
            start=datetime.now().replace(microsecond=0),
            station_ae_title="ANGIO1",
            modality="XA",
            scheduled_steps=(ScheduledStep(study_instance_uid="1.2.3.4"),),
            patient_id="EMERG0042",
            patient_name="Unknown^Male",
        ),
        calling_ae_title="ANGIO1",
        remote=remote,
    )


def test_the_list_shows_unscheduled_steps(client, personas, emergency):
    login(client, personas["technologist"])
    page = client.get("/dicom/steps/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "UNKNOWN, Male" in text and "EMERG0042" in text and "Angio suite 1" in text
    assert "In progress" in text and "Reconcile" in text
    assert AccessLog.objects.filter(what="MPPS reconciliation list").exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("nurse", 200), ("scheduler", 200), ("referrer", 403), ("qi_lead", 403), ("admin", 403)],
)
def test_who_sees_the_list(client, personas, emergency, persona, status):
    login(client, personas[persona])
    assert client.get("/dicom/steps/").status_code == status


def test_technologist_links_a_step_to_its_booking(client, personas, emergency, booking):
    login(client, personas["technologist"])
    page = client.get(f"/dicom/steps/{emergency.pk}/")
    assert page.status_code == 200
    assert booking.sps_id in page.content.decode()
    done = client.post(
        f"/dicom/steps/{emergency.pk}/", {"booking": booking.pk, "note": "emergency"}
    )
    assert done.status_code == 302
    emergency.refresh_from_db()
    booking.refresh_from_db()
    assert emergency.booking == booking and emergency.patient == booking.patient
    assert emergency.reconciled_by == personas["technologist"]
    assert booking.status == BookingStatus.IN_ROOM
    assert booking.order.status == OrderStatus.IN_PROGRESS
    listing = client.get("/dicom/steps/").content.decode()
    assert "Every procedure step a modality reported belongs to a booking" in listing
    assert "emergency" in listing  # among the recently reconciled


def test_nurse_may_look_but_not_link(client, personas, emergency, booking):
    login(client, personas["nurse"])
    page = client.get(f"/dicom/steps/{emergency.pk}/")
    assert page.status_code == 200 and "Only a technologist" in page.content.decode()
    refused = client.post(f"/dicom/steps/{emergency.pk}/", {"booking": booking.pk})
    assert refused.status_code == 403
    emergency.refresh_from_db()
    assert emergency.booking is None


def test_form_errors_are_shown(client, personas, emergency):
    login(client, personas["attending"])
    empty = client.post(f"/dicom/steps/{emergency.pk}/", {})
    assert empty.status_code == 422 and MSG_CHOOSE_ONE in empty.content.decode()
    unknown = client.post(f"/dicom/steps/{emergency.pk}/", {"accession_number": "NOPE"})
    assert unknown.status_code == 422 and MSG_UNKNOWN_ACCESSION in unknown.content.decode()


def test_reconcile_by_accession_and_only_once(personas, emergency, booking):
    with pytest.raises(Forbidden):
        mpps_reconcile(actor=personas["scheduler"], step_id=emergency.pk, booking_id=booking.pk)
    with pytest.raises(ValidationFailed):
        mpps_reconcile(actor=personas["technologist"], step_id=emergency.pk)
    step = mpps_reconcile(
        actor=personas["technologist"],
        step_id=emergency.pk,
        accession_number=booking.order.accession_number,
    )
    assert step.booking == booking and step.order == booking.order
    with pytest.raises(Conflict, match=MSG_ALREADY_LINKED):
        mpps_reconcile(actor=personas["technologist"], step_id=step.pk, booking_id=booking.pk)
    assert PerformedProcedureStep.objects.filter(booking__isnull=True).count() == 0


def test_reconcile_to_an_order_that_was_never_booked(personas, patient, emergency):
    order = make_order(personas["attending"], patient, priority="emergent")
    step = mpps_reconcile(
        actor=personas["technologist"],
        step_id=emergency.pk,
        accession_number=order.accession_number,
    )
    order.refresh_from_db()
    assert step.booking is None and step.order == order and step.patient == patient
    assert order.status == OrderStatus.IN_PROGRESS
    assert step not in mpps_unreconciled(actor=personas["technologist"])
    with pytest.raises(Conflict):
        mpps_reconcile(
            actor=personas["technologist"], step_id=step.pk, booking_id=None, accession_number="X"
        )
