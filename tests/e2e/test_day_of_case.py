"""A real browser tries to walk around each rule of the day of the case and is told why not:
"In room" from Booked without the sign-in, a second patient into an occupied room, the start
without the time-out, completion without the sign-out, signing a report without its
impression. Then a physician overrides the sign-out in an emergency, and the reason shows on
the procedure page, the board and the report's PDF."""

from __future__ import annotations

import subprocess
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.catalogue.models import Room
from irflow.dayofcase import guards
from irflow.dayofcase import services as day
from irflow.patients.services import patient_create
from irflow.procedures.models import ProcedureRecord
from irflow.scheduling.models import Booking, BookingStatus
from irflow.testing.cases import acknowledged, booked, checklist
from irflow.testing.tools import require_tool
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
REASON = "Patient deteriorating: to ICU now; sign-out done verbally at the table."


def today_at(hour: int) -> datetime:
    return datetime.combine(timezone.localdate(), time(hour), timezone.get_current_timezone())


@pytest.fixture
def suite(db):
    return Room.objects.create(
        code="ANGIO1",
        name="Angio suite 1",
        kind="angio",
        modality="XA",
        opens_at=time(0, 0),
        closes_at=time(23, 59),
        open_weekdays=[*range(1, 8)],
    )


def test_walking_around_the_rules_is_refused_and_an_override_is_seen_everywhere(
    browser, site, personas, patient, suite
):
    attending, nurse = personas["attending"], personas["nurse"]
    first = booked(attending, patient, suite, code="ANG-LL", start=today_at(9))
    acknowledged(first)
    other = patient_create(
        actor=attending,
        mrn="T0000002",
        family_name="Okafor",
        given_name="Ada",
        birth_date="1961-02-03",
        sex="F",
    )
    second = booked(attending, other, suite, code="ANG-LL", start=today_at(11))
    acknowledged(second)
    status_url = f"{site}/scheduling/bookings/{{pk}}/status/?status=in_room"

    # The nurse: "In room" is not offered for a booked patient; asked for anyway, it says why.
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, site, "nurse")
    row = page.locator(f"#booking-{first.pk}")
    expect(row.get_by_role("link", name="Check in: MÜLLER, Jörg")).to_be_visible()
    expect(row.get_by_role("link", name="In room: MÜLLER, Jörg")).to_have_count(0)
    page.goto(status_url.format(pk=first.pk))
    expect(page.get_by_text(guards.MSG_CHECK_IN)).to_be_visible()
    expect(page.get_by_text(guards.MSG_SIGN_IN)).to_be_visible()
    assert Booking.objects.get(pk=first.pk).status == BookingStatus.BOOKED

    # Check-in from the board asks first; then the sign-in; then "In room" is offered.
    page.goto(site + "/scheduling/today/")
    row.get_by_role("link", name="Check in: MÜLLER, Jörg").click()
    expect(row.get_by_text("Check in MÜLLER, Jörg? The procedure record opens.")).to_be_visible()
    row.get_by_role("button", name="Yes: check in").click()
    expect(row.locator(".status")).to_have_text("Arrived")
    expect(row).to_contain_text("Before the room:")
    row.get_by_role("link", name="sign-in").click()
    expect(page.get_by_role("button", name="Complete sign-in")).to_be_visible()
    for box in page.locator('input[name="done"]').all():
        box.check()
    page.get_by_role("button", name="Complete sign-in").click()
    expect(page.get_by_text("Sign-in completed.")).to_be_visible()
    page.goto(site + "/scheduling/today/")
    row.get_by_role("link", name="In room: MÜLLER, Jörg").click()
    row.get_by_role("button", name="Yes: in room").click()
    expect(row.locator(".status")).to_have_text("In room")
    expect(page.get_by_role("region", name="Angio suite 1")).to_contain_text("In use")

    # A second patient into the occupied room: not offered, and refused when asked for.
    day.case_check_in(actor=nurse, booking_id=second.pk)
    checklist(nurse, second, "sign_in")
    page.goto(site + "/scheduling/today/")
    expect(page.locator(f"#booking-{second.pk}")).to_contain_text("room occupied")
    page.goto(status_url.format(pk=second.pk))
    expect(page.get_by_text("Angio suite 1 is occupied: MÜLLER, Jörg (T0000001)")).to_be_visible()
    screenshot(page, "day-room-occupied")

    # The start without the time-out: said beside the field, not saved.
    procedure_url = f"{site}/procedures/bookings/{first.pk}/"
    page.goto(procedure_url)
    times = page.locator("#group-times")
    # (The time in room was recorded when the patient went in: now. The rest follows it.)
    in_at = timezone.localtime(ProcedureRecord.objects.get(booking=first).in_room_at)
    at = [f"{in_at + timedelta(minutes=m):%H:%M}" for m in (1, 2, 3)]
    times.get_by_label("Start").fill(at[0])
    page.keyboard.press("Tab")
    expect(times).to_contain_text(guards.MSG_TIME_OUT)
    expect(times.locator(".save-state")).to_contain_text("Not saved")
    page.goto(procedure_url)
    page.get_by_role("link", name="Start time-out").click()
    expect(page.get_by_role("button", name="Complete time-out")).to_be_visible()
    for box in page.locator('input[name="done"]').all():
        box.check()
    page.get_by_label("Attending Test").check()
    page.get_by_label("Nurse Test").check()
    page.get_by_role("button", name="Complete time-out").click()
    expect(page.get_by_text("Time-out completed.")).to_be_visible()
    page.goto(procedure_url)
    for label, value in zip(("Start", "End", "Out of room"), at, strict=True):
        page.locator("#group-times").get_by_label(label).fill(value)
    page.keyboard.press("Tab")
    expect(page.locator("#group-times .save-state")).to_contain_text("Saved")
    page.locator("#group-outcome").get_by_label("Technical success").select_option("success")
    expect(page.locator("#group-outcome .save-state")).to_contain_text("Saved")

    # Completion without the sign-out: the page says so and offers no button.
    page.goto(procedure_url)
    next_step = page.locator("#next")
    expect(next_step).to_contain_text(guards.MSG_SIGN_OUT)
    expect(next_step.get_by_text("Complete procedure")).to_have_count(0)
    expect(next_step.get_by_text("Emergency override")).to_have_count(0)  # not for nurses
    page.context.close()

    # The physician overrides the sign-out, saying why; then completes.
    doctor = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(doctor, site, "attending")
    doctor.goto(procedure_url)
    doctor.locator("#next").get_by_role("link", name="Emergency override: no sign-out").click()
    expect(doctor.get_by_text(guards.MSG_SIGN_OUT)).to_be_visible()
    doctor.get_by_role("button", name="Override and go ahead").click()  # no reason
    expect(doctor.locator(".field-errors").get_by_text("This field is required.")).to_be_visible()
    doctor.get_by_label("Why go ahead now").fill(REASON)
    screenshot(doctor, "day-override")
    doctor.get_by_role("button", name="Override and go ahead").click()
    safety = doctor.locator(".safety-card")
    expect(safety).to_contain_text("Emergency override")
    expect(safety).to_contain_text(REASON)
    doctor.locator("#next").get_by_text("Complete procedure").click()
    doctor.get_by_role("button", name="Yes: complete the procedure").click()
    expect(doctor.get_by_text("Procedure completed: the patient is in recovery.")).to_be_visible()
    screenshot(doctor, "day-procedure-overridden")

    # On the board, with the reason.
    doctor.goto(site + "/scheduling/today/")
    expect(doctor.locator(f"#booking-{first.pk}")).to_contain_text(REASON)
    screenshot(doctor, "day-board")

    # The report: signing without an impression is refused, naming it; then signed.
    doctor.goto(procedure_url)
    doctor.get_by_role("button", name="Write the report").click()
    doctor.get_by_role("button", name="Sign report").click()
    expect(doctor.get_by_text("Write the impression before signing.")).to_be_visible()
    doctor.get_by_label("Impression").fill("Normal lower-limb arteriogram.")
    doctor.get_by_label("Plan").fill("Discharge after 2 hours of bed rest.")
    doctor.get_by_role("button", name="Sign report").click()
    expect(doctor.get_by_text("Signed: the report is final.")).to_be_visible()
    expect(doctor.locator(".safety-card")).to_contain_text(REASON)
    pdf = doctor.request.get(doctor.url.rstrip("/") + "/pdf/")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    pdftotext = require_tool("pdftotext", "poppler-utils")
    text = subprocess.run(
        [pdftotext, "-", "-"], input=pdf.body(), capture_output=True, check=True
    ).stdout.decode()
    assert "Emergency override" in " ".join(text.split())
    assert " ".join(REASON.split()) in " ".join(text.split())
    assert Booking.objects.get(pk=first.pk).status == BookingStatus.RECOVERY
    assert timedelta(0) <= timezone.now() - Booking.objects.get(pk=first.pk).status_changed_at
    doctor.context.close()
