"""An open Today board stays quiet while nothing changes (its refreshes are answered 304 and
the page keeps what it shows) and shows a change made elsewhere at its next refresh."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.catalogue.models import Room
from irflow.dayofcase import services as day
from irflow.testing.cases import booked
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_open_board_stays_quiet_and_shows_a_change_at_its_next_refresh(
    page, site, personas, patient
):
    attending, nurse = personas["attending"], personas["nurse"]
    suite = Room.objects.create(
        code="ANGIO1",
        name="Angio suite 1",
        kind="angio",
        modality="XA",
        opens_at=time(0, 0),
        closes_at=time(23, 59),
        open_weekdays=[*range(1, 8)],
    )
    start = datetime.combine(timezone.localdate(), time(9), timezone.get_current_timezone())
    booking = booked(attending, patient, suite, code="ANG-LL", start=start)
    answers: list[int] = []
    page.on(
        "response",
        lambda r: answers.append(r.status) if r.url.endswith("/scheduling/today/") else None,
    )
    sign_in(page, site, "nurse")
    row = page.locator(f"#booking-{booking.pk}")
    expect(row.locator(".status")).to_have_text("Booked")
    # Something only this drawing of the board has: a redraw would lose it.
    page.evaluate("document.getElementById('board').dataset.drawn = 'first'")

    # Unchanged: the refreshes (every 10 s) are answered 304 and nothing is redrawn.
    checked = page.locator("[data-checked]")
    expect(checked).not_to_have_text(checked.text_content() or "", timeout=25_000)
    assert 304 in answers
    assert 200 not in answers[1:]
    expect(page.locator("#board")).to_have_attribute("data-drawn", "first")

    # Checked in at the desk: the open board shows it at its next refresh.
    day.case_check_in(actor=nurse, booking_id=booking.pk)
    expect(row.locator(".status")).to_have_text("Arrived", timeout=25_000)
    expect(page.locator("#board")).not_to_have_attribute("data-drawn", "first")
    screenshot(page, "board-refreshed")
