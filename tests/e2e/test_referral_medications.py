"""What the referral said reaches the chart and the checks, in a real browser: a referrer writes
an anticoagulant and a contrast allergy, the nurse confirms both on the chart in one place, and
the readiness page shows the apixaban hold and the contrast premedication."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from irflow.patients.models import Allergy, CareRelation, Medication, Reconciliation
from irflow.readiness.tests.helpers import booking_for
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_referral_anticoagulant_and_allergy_reach_the_checks(browser, site, personas, patient):
    CareRelation.objects.create(patient=patient, clinician=personas["referrer"])
    # A nephrostomy (high bleeding risk, IV contrast) is booked for next week.
    booking = booking_for(personas["attending"], patient, "PCN")

    # 1. The referrer writes the medications and the allergy in the referral.
    referrer_context = browser.new_context(viewport={"width": 1280, "height": 800})
    referrer = referrer_context.new_page()
    sign_in(referrer, site, "referrer")
    referrer.goto(f"{site}/referrals/new/?patient={patient.pk}")
    referrer.get_by_label("Clinical question").fill("Obstructed left kidney: nephrostomy?")
    referrer.get_by_label("Or describe the procedure").fill("Nephrostomy")
    referrer.get_by_label("Routine").check()
    referrer.get_by_label("Current medications").fill(
        "Apixaban 5 mg twice daily\nRamipril 5 mg once daily"
    )
    referrer.get_by_label("Allergies and previous reactions").fill(
        "Iodinated contrast — hives and wheeze"
    )
    referrer.get_by_role("button", name="Send referral").click()
    expect(referrer.get_by_text("Referral sent.")).to_be_visible()
    referrer_context.close()

    # 2. The nurse finds them on the chart, waiting for confirmation; the checks count them.
    nurse_context = browser.new_context(viewport={"width": 1280, "height": 800})
    nurse = nurse_context.new_page()
    nurse.set_default_timeout(15_000)
    sign_in(nurse, site, "nurse")
    nurse.goto(f"{site}/readiness/bookings/{booking.pk}/")
    expect(nurse.get_by_text("not yet confirmed on the chart").first).to_be_visible()
    nurse.goto(f"{site}/patients/{patient.pk}/")
    card = nurse.get_by_role("region", name="Reported by the referrer — to confirm")
    expect(card).to_contain_text("“Apixaban 5 mg twice daily”")
    expect(card).to_contain_text("“Iodinated contrast — hives and wheeze”")
    screenshot(nurse, "chart-reconciliation")

    # 3. One click per entry: apixaban is right as read; the allergy needs its severity.
    apixaban = card.get_by_role("form", name="Medication: Apixaban 5 mg twice daily")
    expect(apixaban.get_by_label("Antithrombotic")).to_have_value("apixaban")
    apixaban.get_by_label("Dose times").fill("08:00, 20:00")
    apixaban.get_by_role("button", name="Confirm").click()
    expect(nurse.get_by_text("Apixaban 5 mg twice daily confirmed.")).to_be_visible()
    card = nurse.get_by_role("region", name="Reported by the referrer — to confirm")
    allergy = card.get_by_role("form", name="Allergy: Iodinated contrast — hives and wheeze")
    expect(allergy.get_by_label("Category")).to_have_value("iodinated_contrast")
    allergy.get_by_label("Severity").select_option("moderate")
    allergy.get_by_role("button", name="Confirm").click()
    # The page after the POST, not the one it came from (which already said "confirmed."):
    # the allergy no longer waits for confirmation.
    expect(
        nurse.get_by_role("form", name=re.compile("^Allergy: Iodinated contrast"))
    ).to_have_count(0)
    expect(nurse.get_by_text("confirmed.").first).to_be_visible()
    ramipril = nurse.get_by_role("form", name="Medication: Ramipril 5 mg once daily")
    ramipril.get_by_role("button", name="Reject").click()
    expect(nurse.get_by_text("rejected: kept as reported")).to_be_visible()
    expect(nurse.get_by_role("region", name="Reported by the referrer — to confirm")).to_have_count(
        0
    )
    screenshot(nurse, "chart-reconciled")

    # 4. The readiness page shows the hold and the premedication, now confirmed.
    nurse.goto(f"{site}/readiness/bookings/{booking.pk}/")
    findings = nurse.locator("tr[data-rule-row]")
    expect(findings.filter(has_text="Apixaban").first).to_be_visible()
    premed = nurse.locator('tr[data-rule-row="acr-contrast-premedication.prior-reaction"]')
    expect(premed).to_contain_text("premedication needed")
    expect(premed).to_contain_text("Action needed")
    expect(nurse.get_by_text("not yet confirmed on the chart")).to_have_count(0)
    screenshot(nurse, "readiness-after-reconciliation")

    med = Medication.objects.get(patient=patient, drug="apixaban")
    assert med.reconciliation == Reconciliation.CONFIRMED
    assert med.reconciled_by == personas["nurse"] and med.dose_times == ["08:00", "20:00"]
    found = Allergy.objects.get(patient=patient)
    assert (found.reconciliation, found.severity) == (Reconciliation.CONFIRMED, "moderate")
    nurse_context.close()
