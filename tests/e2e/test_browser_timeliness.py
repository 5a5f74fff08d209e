"""A real browser on the timeliness page: the QI lead goes from the outcomes to the
timeliness tab, sets the period (in the address), reads the tables, clicks the bar of the
did-not-attends and lands on the bookings behind it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from irflow.testing.fixtures import PASSWORD
from irflow.testing.quality_timeliness import END, START, timeliness_world
from tests.e2e.conftest import screenshot

SLOW = 30_000  # Plotly draws after load; shared machines can be slow.

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def department(site, personas):
    return timeliness_world(personas["attending"], personas["referrer"])


def test_qi_lead_reads_timeliness_and_drills_into_the_did_not_attends(page, site, department):
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill("qi_lead")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quality").click()
    page.get_by_role("navigation", name="Quality pages").get_by_role(
        "link", name="Timeliness"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality: timeliness")
    page.locator("#id_start").fill(START.isoformat())
    page.locator("#id_end").fill(END.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"start=2026-03-01"))
    expect(page.locator("#table-triage")).to_contain_text("2 of 3: 66.7 %")
    expect(page.locator("#cancellations-summary")).to_contain_text("9 bookings scheduled")
    bars = page.locator("#chart-cancellations .barlayer .point path")
    expect(bars.first).to_be_attached(timeout=SLOW)
    expect(page.locator("#chart-rooms .barlayer .point path").first).to_be_attached(timeout=SLOW)
    screenshot(page, "quality-timeliness")

    # The first bar: the two bookings whose patient did not attend.
    bars.first.click(force=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Behind the timeliness figure", timeout=SLOW
    )
    expect(page).to_have_url(re.compile(r"reason=did_not_attend"))
    expect(page.locator("#timeliness-summary")).to_contain_text("2 bookings cancelled")
    expect(page.locator("#timeliness-cases tbody tr")).to_have_count(2)
    screenshot(page, "quality-timeliness-cases")
