"""In the browser, while the database is away: a sent form comes back as a calm page saying
nothing was saved, with what was typed; once the database is back, "Send it again" saves it."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.catalogue.models import Room
from irflow.scheduling.models import Booking, BookingStatus
from irflow.testing.cases import acknowledged, booked
from irflow.testing.outage import database_away
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_form_sent_while_the_database_is_away_is_kept_and_sent_again(page, site, patient):
    sign_in(page, site, "attending")
    page.goto(f"{site}/patients/{patient.pk}/edit/")
    page.get_by_label("Given name").fill("Annemarie")

    with database_away():
        other = page.context.new_page()
        other.goto(f"{site}/patients/{patient.pk}/")
        expect(other.get_by_role("heading", level=1)).to_have_text(
            "irflow cannot reach its database just now"
        )
        expect(other.get_by_role("link", name="Try again")).to_be_visible()
        screenshot(other, "database-away-page")
        other.close()

        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "irflow cannot reach its database just now"
        )
        expect(page.get_by_text("Nothing was saved.")).to_be_visible()
        typed = page.get_by_role("region", name="What you typed (not saved)")
        expect(typed).to_contain_text("Annemarie")
        screenshot(page, "database-away-form")

    page.get_by_role("button", name="Send it again").click()
    expect(page).to_have_url(f"{site}/patients/{patient.pk}/")
    expect(page.get_by_text("Saved.")).to_be_visible()
    patient.refresh_from_db()
    assert patient.given_name == "Annemarie"


def test_a_board_button_pressed_while_the_database_is_away_says_nothing_was_saved(
    page, site, personas, patient
):
    """The board's buttons send their request in the page (htmx), where a 503 would change
    nothing visible: the page says beside the button that nothing was saved."""
    room = Room.objects.create(
        code="ANGIO1",
        name="Angio suite 1",
        kind="angio",
        modality="XA",
        opens_at=time(0, 0),
        closes_at=time(23, 59),
        open_weekdays=[*range(1, 8)],
    )
    start = datetime.combine(timezone.localdate(), time(9), timezone.get_current_timezone())
    booking = booked(personas["attending"], patient, room, code="ANG-LL", start=start)
    acknowledged(booking)
    sign_in(page, site, "nurse")
    page.goto(site + "/scheduling/today/")
    row = page.locator(f"#booking-{booking.pk}")
    row.get_by_role("link", name="Check in: MÜLLER, Jörg").click()
    confirm = row.get_by_role("button", name="Yes: check in")
    expect(confirm).to_be_visible()

    with database_away():
        confirm.click()
        expect(row.locator(".not-saved")).to_contain_text("Not saved")
        screenshot(page, "database-away-board-button")
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED

    confirm.click()
    expect(row.locator(".status")).to_have_text("Arrived")
    expect(row.locator(".not-saved")).to_have_count(0)
