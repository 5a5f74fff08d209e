"""A real browser on the quality dashboard: the QI lead filters the adverse-event chart to one
procedure (the filters go in the address), clicks a bar of the Plotly chart and lands on the
cases behind it, then opens one case."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from irflow.testing.fixtures import PASSWORD, make_user
from irflow.testing.quality import END, START, quality_world
from tests.e2e.conftest import screenshot

SLOW = 30_000  # Plotly draws after load; shared machines can be slow.

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def department(site, personas):
    operators = {1: personas["attending"], 2: make_user("quality_op2", "physician")}
    return quality_world(personas["attending"], operators)


def sign_in(page, site: str, username: str) -> None:
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_qi_lead_filters_the_ae_chart_and_drills_into_a_case(page, site, department):
    sign_in(page, site, "qi_lead")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quality").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality")
    page.locator("#id_start").fill(START.isoformat())
    page.locator("#id_end").fill(END.isoformat())
    page.locator("#id_procedure").select_option("PTA-IL")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"procedure=PTA-IL"))
    expect(page.get_by_text("5 procedures checked in")).to_be_visible()
    table = page.locator("#table-ae")
    expect(table).to_contain_text("Iliac angioplasty and stenting")
    expect(table).not_to_contain_text("PICC line insertion")
    expect(table).to_contain_text("40.0 % (11.8 %–76.9 %)")
    chart = page.locator("#chart-ae")
    bars = chart.locator(".barlayer .point path")
    expect(bars.first).to_be_attached(timeout=SLOW)
    screenshot(page, "quality-dashboard")

    # The mild bar of the iliac procedures: two cases.
    bars.first.click(force=True)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Cases behind the figure", timeout=SLOW
    )
    expect(page).to_have_url(re.compile(r"procedure=PTA-IL.*ae=mild|ae=mild.*procedure=PTA-IL"))
    expect(page.locator("#cases-summary")).to_contain_text("2 cases")
    rows = page.locator("#cases tbody tr")
    expect(rows).to_have_count(2)
    screenshot(page, "quality-cases")

    rows.filter(has_text="QA000003").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Iliac angioplasty")
    expect(page.get_by_text("Event moderate of case 3")).to_be_visible()
    screenshot(page, "quality-case")
