"""A real browser on the devices and safety tab of the quality dashboard: the QI lead opens it
from the Outcomes tab, the page passes axe, and a click on the "Retrieved" bar of the IVC
filter chart lists the two filters behind it, and a number of the follow-up table the tasks
behind it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from irflow.testing.quality_safety import END, START, safety_world
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import blocking
from tests.e2e.test_browser_quality import SLOW, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def department(site, personas):
    return safety_world(personas["attending"])


def test_qi_lead_opens_the_safety_tab_and_drills_into_the_retrieved_filters(page, site, department):
    sign_in(page, site, "qi_lead")
    page.goto(f"{site}/quality/?start={START.isoformat()}&end={END.isoformat()}")
    page.get_by_role("navigation", name="Quality pages").get_by_role(
        "link", name="Devices and safety"
    ).click()
    expect(page).to_have_url(re.compile(r"/quality/safety/\?start=2026-03-01"))
    expect(page.get_by_text("11 procedures checked in")).to_be_visible()
    expect(page.locator("#table-ivc")).to_contain_text("40.0 % (11.8 %–76.9 %)")
    bars = page.locator("#chart-ivc .barlayer .point path")
    expect(bars.first).to_be_attached(timeout=SLOW)
    expect(page.locator("#chart-checklists .barlayer .point path").first).to_be_attached(
        timeout=SLOW
    )
    screenshot(page, "quality-safety")
    assert blocking(page) == []

    bars.first.click(force=True)  # "Retrieved": filters A and D
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Devices behind the figure", timeout=SLOW
    )
    expect(page).to_have_url(re.compile(r"/quality/safety/devices/\?.*ivc=retrieved"))
    rows = page.locator("#devices tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#devices")).to_contain_text("Device A")
    expect(page.locator("#devices")).to_contain_text("Device D")
    screenshot(page, "quality-safety-devices")
    assert blocking(page) == []

    # The follow-up table's numbers open the tasks behind them: the four clinic visits due.
    page.go_back()
    page.locator("#table-followup tr", has_text="Clinic visit").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up tasks behind the figure")
    expect(page.locator("#tasks tbody tr")).to_have_count(4)
    screenshot(page, "quality-safety-tasks")
    assert blocking(page) == []
