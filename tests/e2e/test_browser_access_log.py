"""A referrer's attempt to open a patient outside their care leaves the same "not found" page
as a missing record, and the auditor finds the attempt in the access log, marked refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.testing.fixtures import PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, site: str, username: str) -> None:
    page.goto(site + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_the_auditor_finds_a_referrers_refused_attempt(page, site, personas, patient):
    sign_in(page, site, personas["referrer"].username)
    answer = page.goto(f"{site}/patients/{patient.pk}/")
    assert answer is not None and answer.status == 404
    outside = page.locator("main").inner_text()
    assert "MÜLLER" not in outside.upper()
    missing = page.goto(f"{site}/patients/987654321/")
    assert missing is not None and missing.status == 404
    assert page.locator("main").inner_text() == outside
    page.context.clear_cookies()

    sign_in(page, site, personas["auditor"].username)
    page.goto(f"{site}/audit/?view=access&patient_id={patient.pk}")
    row = page.locator("tbody tr").filter(has_text="refused").first
    expect(row).to_contain_text(personas["referrer"].username)
    expect(row).to_contain_text("MÜLLER")
    screenshot(page, "audit-refused-read")
