"""A referrer sends a referral by MRN for a patient IR already knows, in a real browser: they
see their referral with the details they typed and not the chart; the physician sees both side
by side, confirms "this is the same patient", and only then does the chart open for the
referrer."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from irflow.patients.services import patient_create
from irflow.referrals.models import Referral
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_ir_confirms_the_patient_before_the_referrer_sees_the_chart(browser, site, personas):
    known = patient_create(
        actor=personas["attending"],
        mrn="M0000321",
        family_name="Haugland",
        given_name="Ingrid Sofie",
        birth_date=date(1953, 6, 21),
        sex="F",
    )

    # 1. The referrer gives the MRN, birth date and family name of a patient IR knows.
    referrer_context = browser.new_context(viewport={"width": 1280, "height": 800})
    referrer = referrer_context.new_page()
    referrer.set_default_timeout(15_000)
    sign_in(referrer, site, "referrer")
    referrer.goto(f"{site}/referrals/new/")
    referrer.get_by_label("MRN").fill("M0000321")
    referrer.get_by_label("Date of birth").fill("1953-06-21")
    referrer.get_by_label("Family name").fill("Haugland")
    referrer.get_by_label("Given name").fill("Ingrid")
    referrer.get_by_label("Sex").select_option("F")
    referrer.get_by_label("Clinical question").fill("Malignant ascites: tunnelled drain?")
    referrer.get_by_label("Or describe the procedure").fill("Tunnelled peritoneal drain")
    referrer.get_by_label("Routine").check()
    referrer.get_by_role("button", name="Send referral").click()
    expect(referrer.get_by_text("Referral sent.")).to_be_visible()
    card = referrer.get_by_role("region", name="Patient")
    expect(card).to_contain_text("HAUGLAND, Ingrid")
    expect(card).to_contain_text("IR confirms that this is the patient they know")
    expect(referrer.get_by_text("Ingrid Sofie")).to_have_count(0)
    screenshot(referrer, "referral-patient-to-confirm-referrer")
    referral = Referral.objects.get(patient=known)
    referrer.goto(f"{site}/patients/{known.pk}/")
    # Whatever the refusal page says, it is not the chart.
    expect(referrer.get_by_role("heading", level=1)).to_contain_text(re.compile("not found", re.I))
    expect(referrer.get_by_text("Ingrid Sofie")).to_have_count(0)

    # 2. The physician compares the two and confirms.
    attending_context = browser.new_context(viewport={"width": 1280, "height": 800})
    attending = attending_context.new_page()
    attending.set_default_timeout(15_000)
    sign_in(attending, site, "attending")
    attending.goto(f"{site}/referrals/triage/")
    expect(attending.get_by_text("Patient to confirm")).to_be_visible()
    attending.goto(f"{site}/referrals/{referral.pk}/")
    match = attending.get_by_role("region", name="Is this the patient on record?")
    expect(match).to_contain_text("Ingrid Sofie")
    expect(match.get_by_role("row", name="Given name")).to_contain_text("differs")
    attending.get_by_text("Not the same patient").click()
    expect(match.get_by_label("MRN of the new patient")).to_be_visible()
    screenshot(attending, "referral-patient-match")
    match.get_by_role("button", name="This is the same patient").click()
    expect(
        attending.get_by_text("Patient confirmed: the referrer now follows this patient.")
    ).to_be_visible()
    expect(attending.get_by_role("region", name="Is this the patient on record?")).to_have_count(0)
    attending_context.close()

    # 3. The chart opens for the referrer now.
    referrer.goto(f"{site}/patients/{known.pk}/")
    expect(referrer.get_by_role("region", name="Patient")).to_contain_text("HAUGLAND, Ingrid Sofie")
    referrer_context.close()
