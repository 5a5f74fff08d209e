"""Referral to booking in a real browser: a referrer refers, a physician sends the case to the
board, the board decides for IR treatment, a scheduler books it, it appears on today's board
(and follows the modality live), and the referrer sees the change — and nobody else's patient.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.accounts.actors import SYSTEM
from irflow.catalogue.models import ProcedureType, Room
from irflow.catalogue.seed import catalogue_seed
from irflow.dayofcase.services import case_modality_finished, case_modality_started
from irflow.patients.services import patient_create
from irflow.referrals.models import Referral, ReferralStatus
from irflow.referrals.services import referral_create
from irflow.scheduling.models import Booking, BookingStatus
from irflow.testing.fixtures import PASSWORD, make_user
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def catalogue():
    """The procedure catalogue (a transactional test before this one may have flushed it)."""
    catalogue_seed(ProcedureType)


@pytest.fixture
def suite():
    """An angio suite open all day, every day: the booking lands on today's board."""
    return Room.objects.create(
        code="ANGIO1",
        name="Angio suite 1",
        kind="angio",
        modality="XA",
        station_ae_title="ANGIO1",
        opens_at=time(0, 0),
        closes_at=time(23, 59),
        open_weekdays=[1, 2, 3, 4, 5, 6, 7],
    )


@pytest.fixture
def other_referrers_patient(personas):
    other = make_user("dr_other", "referrer")
    patient = patient_create(
        actor=other,
        mrn="X0000009",
        family_name="Elsewhere",
        given_name="Noor",
        birth_date=date(1949, 9, 9),
        sex="F",
    )
    referral = referral_create(
        actor=other,
        patient_id=patient.pk,
        clinical_question="Paracentesis?",
        urgency="routine",
        procedure_type=ProcedureType.objects.get(code="PARA"),
    )
    return patient, referral


def sign_in(browser, site: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good")
    return page


def slot_today(minutes: int) -> datetime:
    """The next quarter hour today if the procedure fits before midnight, else 00:15."""
    tz = timezone.get_current_timezone()
    now = timezone.localtime()
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
    if start.date() != now.date() or start + timedelta(minutes=minutes) > datetime.combine(
        now.date(), time(23, 59), tz
    ):
        start = datetime.combine(now.date(), time(0, 15), tz)
    return start


def test_referral_to_booking(browser, site, personas, suite, other_referrers_patient):
    other_patient, other_referral = other_referrers_patient

    # 1. The referrer refers a new patient, with a letter.
    referrer = sign_in(browser, site, "referrer")
    screenshot(referrer, "referrer-home")
    referrer.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").click()
    referrer.get_by_role("link", name="New referral").click()
    referrer.get_by_label("MRN").fill("E2E00001")
    referrer.get_by_label("Date of birth").fill("1958-07-14")
    referrer.get_by_label("Family name").fill("Castellano")
    referrer.get_by_label("Given name").fill("Lucía")
    referrer.get_by_label("Sex").select_option("F")
    referrer.get_by_label("Clinical question").fill(
        "Three liver metastases after second-line chemotherapy: liver-directed therapy?"
    )
    referrer.get_by_label("Or describe the procedure").fill("Liver-directed therapy")
    referrer.get_by_label("Urgent (procedure within 3 days)").check()
    referrer.get_by_label("Relevant history").fill("Colorectal primary resected 2024.")
    referrer.get_by_label("Attachments").set_input_files(
        {"name": "mri-report.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    screenshot(referrer, "referral-form")
    referrer.get_by_role("button", name="Send referral").click()
    expect(referrer.get_by_text("Referral sent.")).to_be_visible()
    expect(referrer.get_by_role("region", name="Patient")).to_contain_text("CASTELLANO, Lucía")
    expect(referrer.get_by_role("link", name="mri-report.pdf")).to_be_visible()
    screenshot(referrer, "referral-sent")
    referral = Referral.objects.get(patient__family_name="Castellano")

    # 2. The physician triages it to the board.
    physician = sign_in(browser, site, "attending")
    physician.get_by_role("link", name="Triage").click()
    expect(physician.get_by_role("heading", name="Triage", exact=True)).to_be_visible()
    expect(physician.get_by_role("heading", name="Waiting times")).to_be_visible()
    screenshot(physician, "triage-queue")
    physician.get_by_role("link", name="CASTELLANO, Lucía").click()
    screenshot(physician, "referral-triage")
    physician.get_by_text("Send to the board", exact=True).first.click()
    physician.get_by_label("Note for the board").fill("Liver-only disease; surgery or IR?")
    physician.get_by_role("button", name="Send to the board").click()
    expect(physician.get_by_text("Sent to the multidisciplinary board.")).to_be_visible()

    # 3. The board meets and decides for IR treatment; the procedure is ordered.
    physician.get_by_role("navigation", name="Main").get_by_role("link", name="Board").click()
    physician.get_by_text("Plan a meeting").click()
    physician.get_by_label("Title").fill("Hepatobiliary MDT")
    held = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    physician.get_by_label("Date and time").fill(held)
    physician.get_by_label("Specialties").fill("Interventional radiology, Hepatobiliary surgery")
    physician.get_by_label("Attendees").fill(
        "Dr Attending – Interventional radiology\nDr Referrer – Medical oncology"
    )
    screenshot(physician, "board-list")
    physician.get_by_role("button", name="Plan the meeting").click()
    expect(physician.get_by_text("Meeting planned.")).to_be_visible()
    physician.get_by_role("button", name="Add CASTELLANO, Lucía to the agenda").click()
    expect(physician.get_by_text("Added to the agenda.")).to_be_visible()
    physician.get_by_text("Record the board's decision").click()
    physician.get_by_label("Decision").select_option("ir_treatment")
    physician.get_by_label("Recommended treatment").fill("Transarterial chemoembolisation")
    physician.get_by_label("IR procedure to order").select_option("TACE")
    physician.get_by_label("Rationale").fill("Liver-only, three lesions, not resectable.")
    physician.get_by_label("Agreed by").fill("IR, hepatobiliary surgery, oncology")
    screenshot(physician, "board-meeting")
    physician.get_by_role("button", name="Record the decision").click()
    expect(physician.get_by_text("Decision recorded.")).to_be_visible()
    expect(physician.get_by_text("IR treatment", exact=True)).to_be_visible()
    screenshot(physician, "board-decided")
    physician.get_by_role("link", name="Print view").click()
    expect(physician.get_by_text("1. CASTELLANO, Lucía")).to_be_visible()
    screenshot(physician, "board-agenda-print")
    referral.refresh_from_db()
    assert (
        referral.status == ReferralStatus.ORDERED and referral.order.procedure_type.code == "TACE"
    )

    # 4. The scheduler books it for today.
    scheduler = sign_in(browser, site, "scheduler")
    scheduler.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    screenshot(scheduler, "room-day")
    scheduler.get_by_role("link", name="Week view").click()
    screenshot(scheduler, "room-week")
    scheduler.get_by_role("link", name="Orders to book (1)").click()
    screenshot(scheduler, "orders-to-book")
    scheduler.get_by_role("link", name="Book CASTELLANO, Lucía").click()
    expect(scheduler.get_by_label("Duration (minutes)")).to_have_value("120")  # the catalogue's
    start = slot_today(120)
    scheduler.get_by_label("Room").select_option(label="Angio suite 1")
    scheduler.get_by_label("Start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    if start < timezone.now() - timedelta(minutes=30):  # run late at night: 00:15 has passed
        scheduler.get_by_label("Why entered after the fact").fill("Test run late at night.")
    scheduler.get_by_label("Primary operator").select_option(label="Attending Test")
    scheduler.get_by_label("Nurse").select_option(label="Nurse Test")
    screenshot(scheduler, "booking-form")
    scheduler.get_by_role("button", name="Book").click()
    expect(scheduler.get_by_text("Booked: Angio suite 1")).to_be_visible()
    screenshot(scheduler, "booking-page")
    booking = Booking.objects.get(order=referral.order)
    assert booking.start == start

    # 5. It appears on today's board, which follows the modality without a reload.
    nurse = sign_in(browser, site, "nurse")  # the board is the nurse's landing page
    suite_column = nurse.get_by_role("region", name="Angio suite 1")
    expect(suite_column).to_contain_text("CASTELLANO, Lucía")
    expect(suite_column).to_contain_text("Booked")
    expect(suite_column).to_contain_text("Free")
    # The modality reports the procedure in progress (MPPS): never refused, but the missing
    # sign-in and time-out are flagged on the board for review.
    case_modality_started(actor=SYSTEM, booking_id=booking.pk)
    expect(suite_column).to_contain_text("In use", timeout=25_000)
    expect(suite_column).to_contain_text("In room")
    expect(suite_column).to_contain_text("Modality started without a sign-in")
    screenshot(nurse, "department-board")
    case_modality_finished(actor=SYSTEM, booking_id=booking.pk)
    expect(suite_column.locator(".status.st-recovery")).to_have_text("Recovery", timeout=25_000)
    expect(suite_column).to_contain_text("Free")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RECOVERY

    # 6. The referrer sees the change and the notification — and only their own patients.
    referrer.goto(site + "/referrals/")
    badge = referrer.locator(".notes-link .badge")
    expect(badge).to_be_visible()
    row = referrer.get_by_role("row", name="CASTELLANO")
    expect(row).to_contain_text("Done")  # the procedure is done: the order is completed
    screenshot(referrer, "my-referrals")
    referrer.get_by_role("link", name="Notifications").click()
    expect(referrer.get_by_text("CASTELLANO, Lucía: procedure booked")).to_be_visible()
    expect(referrer.get_by_text("referral sent to the multidisciplinary board")).to_be_visible()
    screenshot(referrer, "notifications")
    for url in (f"/patients/{other_patient.pk}/", f"/referrals/{other_referral.pk}/"):
        response = referrer.goto(site + url)
        assert response is not None and response.status == 404, url
        expect(referrer.get_by_text("Elsewhere")).to_have_count(0)
    for p in (referrer, physician, scheduler, nurse):
        assert p.console_errors == [] if hasattr(p, "console_errors") else True
        p.context.close()
