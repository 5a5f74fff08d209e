"""A real browser: the QI lead validates the IVC filter registry export of March 2025 and sees
the case missing its sedation; a physician opens the M&M review of the same month."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.registry.tests.test_registry import fixed  # noqa: F401  (the fixed dataset)
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_dose import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_qi_lead_validates_an_export_and_a_physician_opens_the_mm_review(
    page,
    site,
    fixed,  # noqa: F811
):
    sign_in(page, site, "qi_lead")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Registry").click()
    page.get_by_label("Procedure family").select_option("ivc_filter")
    page.get_by_label("From", exact=True).fill("2025-03-01")
    page.get_by_label("To", exact=True).fill("2025-03-31")
    page.get_by_role("button", name="Validate").click()
    report = page.get_by_role("region", name="Validation: IVC filter placement and retrieval")
    expect(report).to_contain_text("1 case will be exported")
    expect(report).to_contain_text("1 — required elements missing")
    expect(report.get_by_role("table")).to_contain_text("sedation")
    screenshot(page, "registry-validation")
    page.context.clear_cookies()
    sign_in(page, site, "attending")
    page.goto(f"{site}/registry/mm/?start=2025-03-01&end=2025-03-31")
    expect(page.get_by_role("table")).to_contain_text("adverse event moderate or worse")
    expect(page.get_by_role("link", name="Agenda (PDF)")).to_be_visible()
    screenshot(page, "mm-review")
