"""A real browser takes a booked patient through the day of procedure: check-in, sign-in,
time-out, the record (autosaved, with a GS1 UDI typed in as a barcode scanner types it),
the report and its signature, recovery with pain scores, discharge — and then sees the
follow-up task and the IVC filter in situ on the patient's chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.dayofcase.guards import MSG_ACCESS_SITE, MSG_SIGN_OUT
from irflow.devices.models import DeviceInSitu
from irflow.followup.models import FollowUpTask
from irflow.patients.services import lab_result_record
from irflow.readiness.selectors import readiness_detail
from irflow.readiness.services import finding_acknowledge, preparation_update
from irflow.reports.models import Report
from irflow.testing.cases import GOOD_UDI, booked, past_weekday_at
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def ready_booking(attending, patient, room):
    """An IVC filter booked yesterday-or-so, prepared, every readiness finding dealt with."""
    booking = booked(attending, patient, room, start=past_weekday_at(9, days_back=1))
    taken = timezone.now() - timedelta(days=2)
    for analyte, value in (("inr", 1.0), ("platelets", 230), ("haemoglobin", 131), ("egfr", 78)):
        lab_result_record(
            actor=attending, patient_id=patient.pk, analyte=analyte, value=value, collected_at=taken
        )
    preparation_update(
        actor=attending,
        booking_id=booking.pk,
        consent="signed",
        medications_confirmed=True,
        allergies_confirmed=True,
        sedation="moderate",
        contrast_route="iv",
    )
    for finding in readiness_detail(booking_id=booking.pk).findings:
        if finding["status"] in ("action_needed", "missing_data") and not finding.get(
            "acknowledgement"
        ):
            finding_acknowledge(
                actor=attending,
                booking_id=booking.pk,
                finding_key=finding["key"],
                reason="Reviewed by the operator.",
            )
    return booking


def checklist(page, phase_label: str, *, present: tuple[str, ...] = ()) -> None:
    page.get_by_role("link", name=f"Start {phase_label.lower()}").click()
    # The boxes are counted once the checklist page is there, not on the page being left.
    expect(page.get_by_role("button", name=f"Complete {phase_label.lower()}")).to_be_visible()
    for box in page.locator('input[name="done"]').all():
        box.check()
    for name in present:
        page.get_by_label(name).check()
    page.get_by_role("button", name=f"Complete {phase_label.lower()}").click()
    expect(page.get_by_text(f"{phase_label} completed.")).to_be_visible()


def test_booked_patient_to_discharge_with_follow_up_and_device_in_situ(
    page, site, personas, patient, angio_room
):
    attending = personas["attending"]
    booking = ready_booking(attending, patient, angio_room)
    day = timezone.localtime(booking.start).date()
    procedure_url = f"{site}/procedures/bookings/{booking.pk}/"

    sign_in(page, site, "attending")
    page.goto(procedure_url)
    expect(page.locator(".banner")).to_contain_text("MÜLLER")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Checked in: the procedure record is open.")).to_be_visible()

    # Sign-in and time-out (the readiness engineer's checklists).
    checklist(page, "Sign-in")
    page.goto(procedure_url)
    checklist(page, "Time-out", present=("Attending Test", "Nurse Test"))
    page.goto(procedure_url)
    expect(page.locator('[data-phase="time_out"]')).to_contain_text("Completed")

    # The record: keyboard-first, each group saves itself half a second after a change.
    times = page.locator("#group-times")
    times.get_by_label("In room").fill("09:05")
    times.get_by_label("Start").fill("09:15")
    times.get_by_label("End").fill("09:10")  # impossible: before the start
    page.keyboard.press("Tab")
    expect(page.locator("#group-times")).to_contain_text(
        "The end time (09:10) is before the start time (09:15)."
    )
    expect(page.locator("#group-times .save-state")).to_contain_text("Not saved")
    page.locator("#group-times").get_by_label("End").fill("09:45")
    page.locator("#group-times").get_by_label("Out of room").fill("09:55")
    page.keyboard.press("Tab")  # moving on is what saves a field
    expect(page.locator("#group-times .save-state")).to_contain_text("Saved")
    page.locator("#group-contrast").get_by_label("Agent").fill("Iohexol 300")
    page.locator("#group-contrast").get_by_label("Volume (ml)").fill("-30")
    page.keyboard.press("Tab")
    expect(page.locator("#group-contrast")).to_contain_text(
        "The contrast volume cannot be negative (-30 ml)."
    )
    page.locator("#group-contrast").get_by_label("Volume (ml)").fill("30")
    page.keyboard.press("Tab")
    expect(page.locator("#group-contrast .save-state")).to_contain_text("Saved")
    page.locator("#group-findings").get_by_label("Findings").fill(
        "Patent infrarenal IVC; renal veins at L1. Filter apex below the renal veins."
    )
    page.keyboard.press("Tab")
    expect(page.locator("#group-findings .save-state")).to_contain_text("Saved")
    page.locator("#group-outcome").get_by_label("Technical success").select_option("success")
    expect(page.locator("#group-outcome .save-state")).to_contain_text("Saved")

    # The filter's UDI, typed as a scanner in keyboard mode types it, Enter at the end: the lot
    # and expiry fill in, nothing is submitted until Add.
    page.get_by_text("Add a device (scan its UDI)").click()
    udi = page.get_by_label("UDI (scan the barcode)")
    udi.focus()
    page.keyboard.type(GOOD_UDI)
    page.keyboard.press("Enter")
    form = page.locator("form.add-device")
    expect(form.get_by_label("Lot")).to_have_value("LOT42")
    expect(form.get_by_label("Expiry")).to_have_value("2049-12-31")
    form.get_by_role("button", name="Add").click()
    devices = page.locator("section[aria-labelledby=h-devices]")
    expect(devices).to_contain_text("LOT42")
    expect(devices).to_contain_text("GTIN 00884838035683")
    expect(devices).to_contain_text("31 Dec 2049")
    expect(devices).to_contain_text("Implanted")
    screenshot(page, "procedure-record")

    # Completion waits for the sign-out and the access site: the page says so, no button.
    next_step = page.locator("#next")
    expect(next_step).to_contain_text(MSG_SIGN_OUT)
    expect(next_step).to_contain_text(MSG_ACCESS_SITE)
    expect(next_step.get_by_text("Complete procedure")).to_have_count(0)
    page.locator("#group-access").get_by_label("Right common femoral vein").check()
    expect(page.locator("#group-access .save-state")).to_contain_text("Saved")
    page.goto(procedure_url)
    checklist(page, "Sign-out")
    page.goto(procedure_url)
    page.locator("#next").get_by_text("Complete procedure").click()  # asks first
    page.get_by_role("button", name="Yes: complete the procedure").click()
    expect(page.get_by_text("Procedure completed: the patient is in recovery.")).to_be_visible()

    # The report: the catalogue's template, prefilled from the record; signed, final.
    page.get_by_role("button", name="Write the report").click()
    expect(page.get_by_label("Findings (optional)")).to_have_value(
        "Patent infrarenal IVC; renal veins at L1. Filter apex below the renal veins."
    )
    page.get_by_label("Retrievable filter").select_option("yes")
    page.get_by_label("Filter apex position").select_option("Infrarenal")
    page.get_by_label("Impression").fill("Retrievable infrarenal IVC filter placed without event.")
    page.keyboard.press("Tab")
    expect(page.locator("#report-editor .save-state")).to_contain_text("Saved")
    screenshot(page, "report-draft")
    page.get_by_role("button", name="Sign report").click()
    expect(page.get_by_text("Signed: the report is final.")).to_be_visible()
    expect(page.locator(".signed-note")).to_contain_text("Signed by Attending Test")
    expect(page.locator("textarea")).to_have_count(1)  # only the addendum box is left
    screenshot(page, "report-final")
    report = Report.objects.get(record__booking=booking)
    assert report.status == "final" and report.signed_by == attending

    # Recovery: pain scores over time, banded; an impossible score is refused.
    page.goto(procedure_url)
    page.get_by_role("link", name="Recovery").first.click()
    pain = page.get_by_label("Pain score (NRS 0–10)")
    pain.fill("12")
    page.get_by_role("button", name="Record pain score").click()
    expect(
        page.locator(".field-errors").get_by_text(
            "A pain score is a whole number from 0 (no pain) to 10"
        )
    ).to_be_visible()
    page.get_by_label("Pain score (NRS 0–10)").fill("6")
    page.get_by_label("Time of the score").fill(f"{day:%Y-%m-%d}T10:05")
    page.get_by_role("button", name="Record pain score").click()
    expect(page.get_by_text("Pain score 6 recorded.")).to_be_visible()
    page.get_by_label("Pain score (NRS 0–10)").fill("2")
    page.get_by_label("Time of the score").fill(f"{day:%Y-%m-%d}T10:50")
    page.get_by_role("button", name="Record pain score").click()
    table = page.locator(".pain-table")
    expect(table).to_contain_text("Moderate")
    expect(table).to_contain_text("Mild")
    page.get_by_label("Observations summary").fill("Groin soft and dry.")
    page.get_by_label("Pre-procedure systolic BP (mmHg)").fill("130")
    page.get_by_label("Pre-procedure pulse (/min)").fill("76")
    page.keyboard.press("Tab")
    expect(page.locator("#recovery-notes .save-state")).to_contain_text("Saved")
    # Discharge waits for the criteria: a set of vital signs that meets them.
    expect(page.locator("#discharge-card")).to_contain_text("Not yet")
    vitals = page.locator("#vitals-form")
    vitals.get_by_label("Time").fill(f"{day:%Y-%m-%d}T11:00")
    for label, value in (("Pulse /min", "72"), ("BP systolic", "128"), ("BP diastolic", "76")):
        vitals.get_by_label(label, exact=True).fill(value)
    vitals.get_by_label("SpO2 %").fill("97")
    vitals.get_by_label("AVPU").select_option("A")
    for item in ("Activity", "Respiration", "Ambulation", "Nausea / vomiting"):
        vitals.get_by_label(item, exact=True).select_option("2")
    vitals.get_by_label("Bleeding (puncture site)").select_option("2")
    vitals.get_by_label("Pulse /min").press("Enter")
    card = page.locator("#discharge-card")
    expect(card).to_contain_text("The criteria are met")
    card.get_by_label("Home the same day").check()
    card.get_by_label("Discharge time").fill(f"{day:%Y-%m-%d}T11:30")
    screenshot(page, "recovery")
    card.get_by_role("button", name="Discharge").click()
    expect(page.get_by_text("Discharged.")).to_be_visible()
    expect(page.locator(".statusnote")).to_contain_text("Home the same day")

    # The chart: the follow-up task and the filter in situ, with its retrieval date.
    page.goto(f"{site}/patients/{patient.pk}/")
    follow_up = page.locator("section[aria-labelledby=h-followup]")
    expect(follow_up).to_contain_text("Review for filter retrieval")
    in_situ = page.locator("section[aria-labelledby=h-devices-in-situ]")
    expect(in_situ).to_contain_text("IVC filter")
    expect(in_situ).to_contain_text(f"retrieval due {day + timedelta(days=90):%-d %b %Y}")
    screenshot(page, "chart-after-procedure")

    device = DeviceInSitu.objects.get(patient=patient)
    assert device.due_on == day + timedelta(days=90) and device.device_used.lot == "LOT42"
    task = FollowUpTask.objects.get(patient=patient, source_rule_id="catalogue:IVCF-IN:0")
    assert task.due_date == day + timedelta(days=60)
    # Refused input is answered 422 (the page shows why); nothing else may fail.
    assert [m for m in page.console_errors if "422" not in m] == []
