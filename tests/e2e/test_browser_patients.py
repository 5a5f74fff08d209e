"""A real browser: sign in, search a patient, open the chart, record a lab."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.patients.models import LabResult
from irflow.testing.fixtures import PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, site: str, username: str) -> None:
    page.goto(site + "/")
    expect(page).to_have_url(f"{site}/accounts/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good")


def test_physician_searches_and_opens_a_chart(page, site, attending, patient):
    sign_in(page, site, "attending")
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_label("Name, MRN or date of birth").fill("müll jö")
    result = page.get_by_role("link", name="MÜLLER, Jörg")
    expect(result).to_be_visible()  # htmx live results, no submit needed
    screenshot(page, "patient-search")
    result.click()
    banner = page.get_by_role("region", name="Patient")
    expect(banner).to_contain_text("MÜLLER, Jörg")
    expect(banner).to_contain_text("T0000001")
    expect(banner).to_contain_text("No allergies recorded")
    screenshot(page, "patient-chart")

    page.get_by_text("Record a lab result").click()
    page.locator("#id_lab-analyte").select_option("inr")
    page.locator("#id_lab-value").fill("1.3")
    page.locator("#lab-form-submit, details.add[open] button[type=submit]").first.click()
    expect(page.get_by_text("Lab result recorded.")).to_be_visible()
    expect(page.get_by_role("region", name="Latest labs")).to_contain_text("1.3")
    assert LabResult.objects.get(patient=patient).recorded_by == attending
    assert page.console_errors == []


def test_search_works_without_javascript(browser, site, attending, patient):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site, "attending")
    page.goto(site + "/patients/?q=T0000001")
    expect(page.get_by_role("link", name="MÜLLER, Jörg")).to_be_visible()
    context.close()
