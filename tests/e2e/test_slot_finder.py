"""A real browser: the scheduler finds a free slot for a TACE (angio room, 120 min) from the
order, books it in one click, and is never offered the ultrasound room; the room's week view
then shows the booking and the free time around it."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.catalogue.models import Room
from irflow.patients.services import patient_create
from irflow.scheduling.models import Booking
from irflow.testing.fixtures import make_booking, make_order
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _room(code, name, kind, modality, others=()):
    return Room.objects.create(
        code=code,
        name=name,
        kind=kind,
        modality=modality,
        modalities=list(others),
        opens_at=time(8, 0),
        closes_at=time(18, 0),
        open_weekdays=[*range(1, 8)],
    )


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), timezone.get_current_timezone())


def test_the_scheduler_finds_a_free_slot_for_a_tace_and_books_it_in_one_click(
    page, site, personas, patient
):
    attending = personas["attending"]
    angio = _room("ANGIO1", "Angio suite 1", "angio", "XA", ["US"])
    _room("US1", "IR ultrasound room", "us", "US")
    tomorrow = timezone.localdate() + timedelta(days=1)
    someone = patient_create(
        actor=attending,
        mrn="T0000002",
        family_name="Okafor",
        given_name="Ada",
        birth_date=date(1970, 1, 2),
        sex="F",
    )
    make_booking(attending, make_order(attending, someone, "TACE"), angio, _at(tomorrow, 8))
    tace = make_order(attending, patient, "TACE")

    sign_in(page, site, "scheduler")
    page.goto(f"{site}/orders/")
    page.get_by_role("link", name="Book MÜLLER, Jörg: Transarterial chemoembolisation").click()
    page.get_by_role("link", name="Find a free slot").click()
    expect(page).to_have_url(f"{site}/scheduling/book/{tace.pk}/slots/")
    expect(page.get_by_role("heading", name="Free slots: Transarterial")).to_be_visible()
    expect(page.locator(".banner")).to_contain_text("MÜLLER")  # whose slot it is

    # The next 7 days, by day and room: only the angio suite, never the ultrasound room.
    days = page.locator("section.slot-day")
    expect(days).to_have_count(7)
    rooms = page.locator(".slot-room h3")
    expect(rooms).to_have_count(7)
    expect(rooms).to_have_text(["Angio suite 1"] * 7)
    expect(page.locator("button.slot", has_text=re.compile(r"\d\d:\d\d"))).not_to_have_count(0)
    expect(page.locator('button.slot[aria-label*="ultrasound"]')).to_have_count(0)
    expect(page.get_by_text("1 room not offered: IR ultrasound room")).to_be_visible()

    # Tomorrow the angio suite is taken until 10:00: the first free TACE slot is 10:00–12:00.
    label = tomorrow.strftime("%a ") + str(tomorrow.day) + tomorrow.strftime(" %b")
    tomorrow_section = days.filter(has_text=tomorrow.strftime("%A ") + str(tomorrow.day))
    expect(tomorrow_section.locator(".gap-len").first).to_have_text("Free 10:00–18:00 · 480 min")
    slot = page.get_by_role("button", name=f"Book Angio suite 1, {label} 10:00 for 120 min")
    screenshot(page, "slot-finder")

    slot.click()  # one click: booked
    expect(page.get_by_text("Booked: Angio suite 1")).to_be_visible()
    expect(page.get_by_text("10:00–12:00 (120 min)")).to_be_visible()
    screenshot(page, "slot-finder-booked")
    booking = Booking.objects.get(order=tace)
    assert (booking.room, booking.start, booking.duration_min) == (angio, _at(tomorrow, 10), 120)

    # The week view shows both bookings and the free time left, with its length.
    page.goto(f"{site}/scheduling/rooms/ANGIO1/week/?date={tomorrow.isoformat()}")
    day = page.locator(f"section.week-day[aria-labelledby='d-{tomorrow:%Y%m%d}']")
    expect(day.locator("li.free")).to_have_text([re.compile(r"Free · 360 min\s*12:00–18:00")])
    expect(day.locator(".day-free")).to_have_text("360 min free")
    screenshot(page, "room-week-free-time")
    assert not page.console_errors
