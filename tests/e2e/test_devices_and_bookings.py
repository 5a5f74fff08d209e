"""A real browser scans device UDIs into the procedure record (lot, serial and expiry fill in
as it scans; the scanner's Enter submits nothing), is refused an expired device until the
physician says why, finds the patients of a lot in the recall search, and is offered only the
rooms that fit on the booking form, refused a past start without its reason."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.catalogue.models import Room
from irflow.dayofcase import services as day
from irflow.procedures.models import DeviceUsed
from irflow.testing.cases import booked
from irflow.testing.fixtures import make_order
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
GS = "\x1d"
# Raw GS1 as a Data Matrix scanner types it: GTIN, expiry, lot (variable: GS), serial.
FRESH = "0100884838035683" + "17491231" + "10LOT42" + GS + "21SN7"
EXPIRED = "(01)05012345678900(17)240630(10)OLD7"
REASON = "Only 8 mm balloon in the department; bleeding patient, no time to fetch another."


def _room(code, name, kind, modality, others=(), capabilities=()):
    return Room.objects.create(
        code=code,
        name=name,
        kind=kind,
        modality=modality,
        modalities=list(others),
        capabilities=list(capabilities),
        opens_at=time(0, 0),
        closes_at=time(23, 59),
        open_weekdays=[*range(1, 8)],
    )


def today_at(hour: int) -> datetime:
    return datetime.combine(timezone.localdate(), time(hour), timezone.get_current_timezone())


def test_a_scan_fills_the_record_and_an_expired_device_needs_the_physicians_reason(
    page, site, personas, patient
):
    attending = personas["attending"]
    suite = _room("ANGIO1", "Angio suite 1", "angio", "XA", ["US"], ["anaesthesia"])
    booking = booked(attending, patient, suite, code="ANG-LL", start=today_at(9))
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    sign_in(page, site, "attending")
    page.goto(f"{site}/procedures/bookings/{booking.pk}/")
    page.get_by_text("Add a device (scan its UDI)").click()
    form = page.locator("form.add-device")
    udi = form.get_by_label("UDI (scan the barcode)")
    udi.click()
    page.keyboard.type(FRESH, delay=5)  # as a scanner in keyboard mode, then its Enter
    page.keyboard.press("Enter")
    expect(form.locator("#device-check")).to_contain_text("lot LOT42")
    expect(form.get_by_label("Lot")).to_have_value("LOT42")
    expect(form.get_by_label("Serial")).to_have_value("SN7")
    expect(form.get_by_label("Expiry")).to_have_value("2049-12-31")
    assert not DeviceUsed.objects.filter(record=record).exists()  # Enter submitted nothing
    form.get_by_label("Device type").fill("Sheath")
    form.get_by_label("Manufacturer").fill("Cordis")
    screenshot(page, "procedure-device-scan")
    form.get_by_role("button", name="Add").click()
    devices = page.locator("#h-devices + table, section[aria-labelledby='h-devices'] table")
    expect(devices).to_contain_text("LOT42 / SN7")
    expect(devices).to_contain_text("31 Dec 2049")

    # An expired one: said as it is scanned, refused without a reason, kept with one.
    page.get_by_text("Add a device (scan its UDI)").click()
    form = page.locator("form.add-device")
    form.get_by_label("UDI (scan the barcode)").click()
    page.keyboard.type(EXPIRED, delay=5)
    page.keyboard.press("Enter")
    expect(form.locator("#device-check")).to_contain_text("Expired on 30 Jun 2024")
    expect(form.get_by_label("Expiry")).to_have_value("2024-06-30")
    reason = form.get_by_label("Expired: why use it all the same")
    expect(reason).to_be_visible()
    form.get_by_label("Device type").fill("Angioplasty balloon 8 mm")
    form.get_by_role("button", name="Add").click()
    # The refused form comes back at its own address (the scan's answer already said "do not
    # use it" on the page it was sent from).
    expect(page).to_have_url(f"{site}/procedures/{record.pk}/add/device/")
    expect(page.locator("form.add-device")).to_contain_text("do not use it")
    assert DeviceUsed.objects.filter(record=record).count() == 1
    form = page.locator("form.add-device")
    form.get_by_label("Expired: why use it all the same").fill(REASON)
    form.get_by_role("button", name="Add").click()
    section = page.locator("section[aria-labelledby='h-devices']")
    expect(section).to_contain_text("Expired, used")
    expect(section).to_contain_text(REASON)
    section.scroll_into_view_if_needed()
    screenshot(page, "procedure-devices")
    used = DeviceUsed.objects.get(record=record, lot="OLD7")
    assert used.expiry_override_by == attending and used.expiry_override_reason == REASON

    # The recall search finds the patient of the lot, with a link to the record.
    page.goto(f"{site}/devices/recall/")
    page.get_by_label("Lot").fill("old7")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 patient, 1 device")).to_be_visible()
    expect(page.locator("table")).to_contain_text("MÜLLER, Jörg")
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    screenshot(page, "device-recall")
    page.get_by_role("link", name="Diagnostic lower-limb angiography").click()
    expect(page).to_have_url(f"{site}/procedures/bookings/{booking.pk}/")


def test_the_booking_form_offers_only_rooms_that_fit_and_refuses_a_past_start(
    page, site, personas, patient
):
    _room("ANGIO1", "Angio suite 1", "angio", "XA", ["US"], ["anaesthesia"])
    _room("US1", "IR ultrasound room", "us", "US")
    order = make_order(personas["attending"], patient, "TACE")
    sign_in(page, site, "scheduler")
    page.goto(f"{site}/scheduling/book/{order.pk}/")
    room = page.get_by_label("Room")
    expect(room.locator("option")).to_have_text(["Angio suite 1"])
    expect(page.get_by_text("1 room not offered: IR ultrasound room")).to_be_visible()
    page.get_by_text("1 room not offered: IR ultrasound room").click()
    expect(page.get_by_text("IR ultrasound room has no angiography")).to_be_visible()
    past = timezone.localtime() - timedelta(days=3)
    page.get_by_label("Start").fill(past.strftime("%Y-%m-%dT09:00"))
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_role("button", name="Book").click()
    beside = page.locator(".field-errors")  # each message beside its field, and on top
    summary = page.locator("[data-error-summary]")
    for text in ("45 min is too short for Transarterial", "starts in the past"):
        expect(beside.get_by_text(text)).to_be_visible()
        expect(summary.get_by_role("link", name=text)).to_be_visible()
    screenshot(page, "booking-form-refused")
    page.get_by_label("Duration (minutes)").fill("120")
    page.get_by_label("Why entered after the fact").fill("Emergency case on Sunday night.")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked: Angio suite 1")).to_be_visible()
    expect(page.locator(".tag", has_text="Retrospective entry")).to_be_visible()
    expect(page.get_by_text("Emergency case on Sunday night.")).to_be_visible()
    screenshot(page, "booking-retrospective")
    page.get_by_role("link", name="Angio suite 1").first.click()
    expect(page.locator("table.schedule .tag", has_text="Retrospective")).to_be_visible()
    screenshot(page, "room-day-retrospective")
