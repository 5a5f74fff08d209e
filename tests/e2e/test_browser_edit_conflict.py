"""Two people edit the same patient's details in two browsers: the second save does not
overwrite the first; the form comes back saying who changed it when, with both values, and
keeps what was typed until it is saved again deliberately."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from irflow.patients.models import Patient
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_save_over_a_newer_version_shows_the_conflict(browser, page, site, personas, patient):
    edit_url = f"{site}/patients/{patient.pk}/edit/"
    # The nurse opens the form first.
    sign_in(page, site, "nurse")
    page.goto(edit_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit patient details")

    # Meanwhile the attending, in another browser, changes phone and address and saves.
    other = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    theirs = other.new_page()
    sign_in(theirs, site, "attending")
    theirs.goto(edit_url)
    theirs.get_by_label("Phone").fill("+41 44 111 11 11")
    theirs.get_by_label("Address").fill("Seestrasse 1, Zürich")
    theirs.get_by_role("button", name="Save").click()
    expect(theirs.get_by_text("Saved.", exact=True)).to_be_visible()
    other.close()

    # The nurse, still on the form opened before, changes the phone and the given name.
    page.get_by_label("Phone").fill("+41 44 222 22 22")
    page.get_by_label("Given name").fill("Georg")
    page.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Changed by Attending Test at")
    expect(alert).to_contain_text("since you opened it")
    expect(alert).to_contain_text("+41 44 111 11 11")  # theirs
    expect(alert).to_contain_text("+41 44 222 22 22")  # yours
    expect(alert).to_contain_text("Seestrasse 1, Zürich")
    # Nothing typed is lost, and the other change is in the form where the nurse left it be.
    expect(page.get_by_label("Phone")).to_have_value("+41 44 222 22 22")
    expect(page.get_by_label("Given name")).to_have_value("Georg")
    expect(page.get_by_label("Address")).to_have_value("Seestrasse 1, Zürich")
    screenshot(page, "patient-edit-conflict")
    saved = Patient.objects.get(pk=patient.pk)
    assert (saved.phone, saved.given_name, saved.version) == ("+41 44 111 11 11", "Jörg", 2)

    # Saving again, deliberately, keeps the nurse's values and the attending's address.
    page.get_by_role("button", name="Save my values").click()
    expect(page).to_have_url(f"{site}/patients/{patient.pk}/")
    expect(page.get_by_text("Saved.", exact=True)).to_be_visible()
    saved.refresh_from_db()
    assert (saved.phone, saved.given_name, saved.address) == (
        "+41 44 222 22 22",
        "Georg",
        "Seestrasse 1, Zürich",
    )
    assert saved.version == 3
    # The refused save answered 409 (Conflict), which Chromium reports; nothing else went wrong.
    assert [m for m in page.console_errors if "status of 409" not in m] == []
