"""A real browser: a nurse opens a booking that is not ready, sees why (the rule and its
source), records the missing INR there, and sees the booking turn ready."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.clinical import rule
from irflow.patients.models import LabResult
from irflow.patients.services import medication_add
from irflow.readiness.tests.helpers import nearly_ready
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_nurse_records_the_missing_inr_and_the_booking_turns_ready(page, site, personas, patient):
    booking = nearly_ready(personas["attending"], patient)
    sign_in(page, site, "nurse")
    page.goto(f"{site}/readiness/bookings/{booking.pk}/")

    state = page.get_by_role("region", name="Readiness state")
    expect(state).to_contain_text("Not ready")
    inr_rule = rule("sir-2019.inr.high-risk")
    row = page.locator('tr[data-rule-row="sir-2019.inr.high-risk"]')
    expect(row).to_contain_text("Missing data")
    expect(row).to_contain_text("No INR in the last 30 days")
    expect(row).to_contain_text("sir-2019.inr.high-risk")
    expect(row).to_contain_text("Patel IJ")  # the source
    expect(row).to_contain_text(f"[{inr_rule.confidence}]")
    screenshot(page, "readiness-not-ready")

    # Keyboard only: focus the value, type, tab to the time (prefilled with now), Enter.
    value = row.get_by_label("INR value")
    value.focus()
    page.keyboard.type("1.1")
    page.keyboard.press("Enter")

    expect(page.get_by_text("INR 1.1 recorded.")).to_be_visible()
    expect(state).to_contain_text("Ready")
    expect(page.locator('tr[data-rule-row="sir-2019.inr.high-risk"]')).to_contain_text("INR 1.1")
    expect(page.locator('tr[data-rule-row="sir-2019.inr.high-risk"]')).to_contain_text("Pass")
    screenshot(page, "readiness-ready")
    lab = LabResult.objects.get(patient=patient, analyte="inr")
    assert lab.recorded_by == personas["nurse"]
    assert page.console_errors == []


def test_warfarin_asks_for_the_thrombotic_risk_and_then_names_the_bridge(
    page, site, personas, patient
):
    booking = nearly_ready(personas["attending"], patient)
    medication_add(
        actor=personas["attending"],
        patient_id=patient.pk,
        name="Warfarin 3 mg",
        drug="warfarin",
        dose="3",
        dose_unit="mg",
        frequency="od",
        dose_times=["18:00"],
    )
    sign_in(page, site, "nurse")
    page.goto(f"{site}/readiness/bookings/{booking.pk}/")
    row = page.locator('tr[data-rule-row="sir-2019.warfarin.bridging"]')
    expect(row).to_contain_text("record the thrombotic risk (low, moderate or high)")
    screenshot(page, "readiness-warfarin-risk-missing")

    page.goto(f"{site}/readiness/bookings/{booking.pk}/preparation/")
    risk = page.get_by_label("Thrombotic risk if anticoagulation is interrupted")
    expect(page.get_by_text("mechanical mitral valve")).to_be_visible()
    risk.select_option("high")
    screenshot(page, "readiness-preparation-thrombotic-risk")
    page.get_by_role("button", name="Save preparation").click()

    page.wait_for_url(f"{site}/readiness/bookings/{booking.pk}/")
    row = page.locator('tr[data-rule-row="sir-2019.warfarin.bridging"]')
    expect(row).to_contain_text("bridge with low-molecular-weight heparin (LMWH)")
    screenshot(page, "readiness-warfarin-bridge")
    assert page.console_errors == []
