"""A technologist links an emergency procedure step to its booking, in a real browser."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.accounts.actors import SYSTEM
from irflow.catalogue.models import ProcedureType
from irflow.catalogue.seed import catalogue_seed
from irflow.dicom.mpps import MppsCreate, ScheduledStep
from irflow.dicomserver.models import RemoteAE
from irflow.dicomserver.services import mpps_create
from irflow.scheduling.models import BookingStatus
from irflow.testing.fixtures import PASSWORD, make_booking, make_order
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def emergency(personas, patient, angio_room):
    catalogue_seed(ProcedureType)  # transactional tests flush what the migrations seeded
    order = make_order(personas["attending"], patient, priority="emergent")
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    booking = make_booking(personas["attending"], order, angio_room, start)
    remote = RemoteAE.objects.create(ae_title="ANGIO1", room=angio_room)
    step = mpps_create(
        actor=SYSTEM,
        create=MppsCreate(
            sop_instance_uid="1.2.826.0.1.3680043.10.1293.7.2",
            pps_id="PPS8",
            start=datetime.now().replace(microsecond=0) - timedelta(minutes=25),
            station_ae_title="ANGIO1",
            modality="XA",
            scheduled_steps=(ScheduledStep(study_instance_uid="1.2.3.4"),),
            patient_id="EMERG0043",
            patient_name="Unknown^Female",
            description="Emergency embolisation",
        ),
        calling_ae_title="ANGIO1",
        remote=remote,
    )
    return step, booking


def test_technologist_reconciles_an_emergency_step(page, site, emergency):
    _, booking = emergency
    page.goto(site + "/")
    page.get_by_label("Username").fill("technologist")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reconcile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Procedure steps to reconcile")
    expect(page.get_by_role("table").first).to_contain_text("UNKNOWN, Female")
    expect(page.get_by_text("In progress").first).to_be_visible()
    screenshot(page, "mpps-reconcile-list")

    page.get_by_role("link", name="Reconcile").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reconcile a procedure step")
    page.get_by_label("MÜLLER, Jörg").check()
    page.get_by_label("Note").fill("Emergency, registered as unknown female")
    screenshot(page, "mpps-reconcile-step")
    page.get_by_role("button", name="Link to this booking").click()
    expect(page.locator(".messages")).to_contain_text(f"Linked to {booking.sps_id}")
    expect(page.get_by_text("belongs to a booking")).to_be_visible()
    screenshot(page, "mpps-reconcile-done")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.IN_ROOM
    assert page.console_errors == []
