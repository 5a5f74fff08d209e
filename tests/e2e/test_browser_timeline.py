"""A nurse finds a patient from the header with the keyboard alone and reads their timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from irflow.testing.fixtures import PASSWORD
from irflow.testing.timeline import timeline_world
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, site: str, username: str) -> None:
    page.goto(site + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_nurse_finds_a_patient_from_the_header_and_filters_the_timeline(
    page, site, personas, patient
):
    timeline_world(personas, patient)
    sign_in(page, site, "nurse")

    page.wait_for_load_state("load")  # "/" is the page's script's: it must have run (deferred)
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Find a patient")
    expect(search).to_be_focused()
    page.keyboard.type("mül")
    results = page.locator("#header-search-results")
    match = results.get_by_role("link", name=re.compile(r"MÜLLER, Jörg"))
    expect(match).to_be_visible()
    expect(match).to_contain_text("T0000001")
    # Said to screen readers too.
    expect(page.get_by_role("status").filter(has_text="patient found")).to_have_text(
        "1 patient found. Arrow down to choose."
    )
    screenshot(page, "header-search")

    # Escape closes the list and keeps the field; Arrow Down opens it again on the match.
    page.keyboard.press("Escape")
    expect(results).to_be_hidden()
    expect(search).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(match).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{site}/patients/{patient.pk}/")
    expect(page.get_by_role("region", name="Patient")).to_contain_text("MÜLLER, Jörg")
    timeline = page.get_by_role("region", name="Timeline")
    entries = timeline.locator(".timeline-entry")
    expect(entries.first).to_be_visible()
    assert entries.count() > 10
    for kind in ("Referral", "Board", "Booking", "Procedure", "Report", "Dose alert"):
        expect(timeline.locator(".timeline-kind", has_text=kind).first).to_be_visible()
    timeline.scroll_into_view_if_needed()
    screenshot(page, "patient-timeline")

    timeline.get_by_label("Procedures").check()
    expect(entries).to_have_count(3)
    expect(timeline.locator('.timeline-entry[data-kind="procedure"]')).to_have_count(3)
    expect(timeline.get_by_label("Procedures")).to_be_checked()
    screenshot(page, "patient-timeline-procedures")

    # "/" typed in a field is a character, not the shortcut: in the search itself (a date of
    # birth) and in the chart's forms.
    search.fill("")
    search.focus()
    page.keyboard.type("12/04/1956")
    expect(search).to_have_value("12/04/1956")
    expect(match).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_text("Add a condition").click()
    note = page.locator("#id_condition-note")
    note.focus()
    page.keyboard.type("left/right")
    expect(note).to_have_value("left/right")
    expect(note).to_be_focused()
    assert page.console_errors == []


def test_without_javascript_the_header_search_opens_the_search_page(
    browser, site, personas, patient
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site, "nurse")
    page.get_by_role("searchbox", name="Find a patient").fill("T0000001")
    page.get_by_role("searchbox", name="Find a patient").press("Enter")
    expect(page).to_have_url(re.compile(r"/patients/\?q=T0000001$"))
    page.get_by_role("link", name="MÜLLER, Jörg").click()
    page.get_by_role("link", name=re.compile("^Timeline")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline")
    page.get_by_role("checkbox", name="Procedures").check()
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"kind=procedure"))
    context.close()
