"""A recovery nurse in a real browser: the pre-procedure values, then a set of vital signs per
row from the keyboard; the Aldrete and PADSS totals follow each set, and discharge is not
offered until they are met — then home the same day, nothing chosen in advance. Also the
adverse-event form with each grade's definition beside it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.procedures.models import ProcedureRecord
from irflow.scheduling.models import Booking, BookingStatus
from irflow.testing.cases import booked, completed, past_weekday_at
from tests.e2e.conftest import ARTIFACTS, screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def in_recovery(personas, patient, angio_room):
    record = completed(
        personas["attending"],
        booked(personas["attending"], patient, angio_room, start=past_weekday_at(9)),
    )
    ProcedureRecord.objects.filter(pk=record.pk).update(sedation_depth="moderate")
    return record


def enter_set(page, values: dict[str, str], items: dict[str, str]) -> None:
    """Type one set as a nurse does: fields in order, the score items, Enter to save."""
    form = page.locator("#vitals-form")
    for label, value in values.items():
        form.get_by_label(label, exact=True).fill(value)
    for label, value in items.items():
        form.get_by_label(label, exact=True).select_option(value)
    form.get_by_label("Pulse /min", exact=True).press("Enter")
    expect(page.locator("#vitals-form .save-state")).to_contain_text("Saved")


def test_vitals_are_recorded_and_discharge_waits_for_the_criteria(page, site, in_recovery):
    sign_in(page, site, "nurse")
    page.goto(f"{site}/recovery/{in_recovery.pk}/")
    card = page.locator("#discharge-card")
    expect(card).to_contain_text("Not yet: Modified Aldrete score: not scored")
    expect(card.get_by_role("button", name="Discharge")).to_have_count(0)

    # The pre-procedure pressure and pulse (autosaved), then a first set, still drowsy.
    page.get_by_label("Pre-procedure systolic BP (mmHg)").fill("130")
    page.get_by_label("Pre-procedure pulse (/min)").fill("80")
    expect(page.locator("#notes-save-state")).to_contain_text("Saved")
    vitals = {
        "Pulse /min": "84",
        "BP systolic": "138",
        "BP diastolic": "78",
        "SpO2 %": "96",
        "Resp. /min": "16",
        "Temp. °C": "36.7",
        "Pain NRS": "4",
    }
    enter_set(
        page,
        vitals,
        {
            "AVPU": "V",
            "Activity": "1",
            "Respiration": "2",
            "Ambulation": "1",
            "Nausea / vomiting": "2",
            "Bleeding (puncture site)": "2",
        },
    )
    criteria = page.locator("#criteria-card")
    expect(criteria.locator('[data-score="recovery-discharge.aldrete"]')).to_have_text("8/10")
    expect(criteria.locator('[data-score="recovery-discharge.padss"]')).to_have_text("8/10")
    expect(page.locator("#discharge-card")).to_contain_text("Not yet: Modified Aldrete score: 8/10")
    expect(page.locator("#discharge-card").get_by_role("button", name="Discharge")).to_have_count(0)
    screenshot(page, "recovery-waiting")

    # Fifteen minutes later: awake, walking, pain settled.
    enter_set(
        page,
        vitals | {"Pulse /min": "78", "Pain NRS": "2"},
        {
            "AVPU": "A",
            "Activity": "2",
            "Respiration": "2",
            "Ambulation": "2",
            "Nausea / vomiting": "2",
            "Bleeding (puncture site)": "2",
        },
    )
    expect(criteria.locator('[data-score="recovery-discharge.aldrete"]')).to_have_text("10/10")
    expect(criteria.locator('[data-score="recovery-discharge.padss"]')).to_have_text("10/10")
    card = page.locator("#discharge-card")
    expect(card.get_by_role("button", name="Discharge")).to_be_visible()
    expect(card.get_by_label("Home the same day")).not_to_be_checked()
    expect(card.get_by_role("radio", name="Admitted")).not_to_be_checked()
    expect(page.locator(".vitals-table tbody tr")).to_have_count(2)
    expect(page.locator(".vitals-table svg.spark").first).to_be_visible()
    screenshot(page, "recovery-ready")

    card.get_by_label("Home the same day").check()
    card.get_by_role("button", name="Discharge").click()
    expect(page.get_by_text("Discharged.")).to_be_visible()
    assert Booking.objects.get(pk=in_recovery.booking_id).status == BookingStatus.DISCHARGED
    assert page.console_errors == []


def test_the_adverse_event_form_shows_each_grade_beside_its_definition(page, site, in_recovery):
    sign_in(page, site, "attending")
    page.goto(f"{site}/procedures/bookings/{in_recovery.booking_id}/")
    page.get_by_text("Record an adverse event").click()
    form = page.locator("form.ae-form")
    expect(form).to_contain_text("Permanent adverse sequelae.")
    expect(form).to_contain_text("Khalilzadeh et al., JVIR 2017")
    # The reported record: SIR 2017 death, legacy A, outcome resolved — refused, naming why.
    form.get_by_label("What happened").fill("Retroperitoneal haemorrhage")
    for name, value in (
        ("therapy", "major"),
        ("care_level", "higher"),
        ("hospital_stay", "ge_48h"),
        ("life_threatening", "yes"),
        ("sequelae", "unknown"),
        ("sir_grade", "death"),
        ("legacy_sir_class", "A"),
    ):
        form.locator(f'input[name="ae-{name}"][value="{value}"]').check()
    form.get_by_label("Attributed to").select_option("procedure")
    form.get_by_label("Outcome").select_option("resolved")
    # The grades the facts give are drawn as they are chosen.
    expect(page.locator("#ae-suggestion")).to_contain_text(
        "SIR 2017 Life-threatening or disabling · Legacy SIR D · CIRSE Grade 3"
    )
    form.get_by_role("button", name="Record adverse event").click()
    expect(page.locator("form.ae-form")).to_contain_text(
        "SIR 2017 “Death” means the patient died of the event"
    )
    expect(page.locator("form.ae-form")).to_contain_text("Disagrees with another entry: see above.")
    screenshot(page, "adverse-event-form")
    page.locator("form.ae-form").screenshot(path=str(ARTIFACTS / "adverse-event-form-detail.png"))
