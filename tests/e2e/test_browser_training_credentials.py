"""Logbooks and credentials in a real browser: a trainee's logbook gains an entry when the
procedure they operated completes, and the supervisor verifies it; an operator whose radiation
training expired is flagged (not refused) when booked, on the booking and on the board; an
administrator renews an expired privilege and the booking it blocked goes through."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import Privilege
from irflow.accounts.services import certification_record, privilege_grant
from irflow.catalogue.models import Room
from irflow.scheduling.models import TeamRole
from irflow.testing.cases import past_weekday_at, ready_to_complete
from irflow.testing.fixtures import make_booking, make_order
from irflow.training.models import LogbookEntry
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_patients import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _room() -> Room:
    return Room.objects.create(
        code="ANGIO1", name="Angio suite 1", kind="angio", modality="XA",
        capabilities=["anaesthesia"], opens_at=time(0, 0), closes_at=time(23, 59),
        open_weekdays=[*range(1, 8)],
    )  # fmt: skip


def _second_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    other = context.new_page()
    other.set_default_timeout(15_000)
    return other


def test_a_trainees_first_operator_case_lands_in_the_logbook_and_is_verified(
    page, browser, site, personas, patient
):
    attending, trainee = personas["attending"], personas["trainee"]
    booking = make_booking(
        attending, make_order(attending, patient, "IVCF-IN"), _room(), past_weekday_at(9),
        primary_operator=trainee, team=[(attending, TeamRole.SUPERVISING_PHYSICIAN)],
    )  # fmt: skip
    ready_to_complete(attending, booking)
    trainee_page = _second_page(browser)
    sign_in(trainee_page, site, "trainee")
    trainee_page.get_by_role("link", name="Logbook").first.click()
    expect(trainee_page.get_by_role("heading", level=1)).to_have_text(f"Logbook of {trainee}")
    expect(trainee_page.get_by_text("No entries yet.").first).to_be_visible()

    # The supervisor completes the procedure: the trainee's logbook has the entry, to verify.
    sign_in(page, site, "attending")
    page.goto(f"{site}/procedures/bookings/{booking.pk}/")
    page.locator("#next").get_by_text("Complete procedure").click()
    page.get_by_role("button", name="Yes: complete the procedure").click()
    expect(page.get_by_text("Procedure completed: the patient is in recovery.")).to_be_visible()
    entry = LogbookEntry.objects.get(trainee=trainee)
    trainee_page.reload()
    row = trainee_page.locator(f"#entry-{entry.pk}")
    expect(row).to_contain_text("IVC filter placement")
    expect(row).to_contain_text("First operator")
    expect(row).to_contain_text("To verify")

    # The supervisor's queue: verify.
    page.get_by_role("link", name="Logbook").first.click()
    page.get_by_role("link", name="Entries to verify").click()
    expect(page.locator(f"#entry-{entry.pk}")).to_contain_text(str(trainee))
    screenshot(page, "logbook-queue")
    page.locator(f"#entry-{entry.pk}").get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Nothing to verify.")).to_be_visible()
    trainee_page.reload()
    expect(row).to_contain_text("Verified")
    expect(row).to_contain_text(str(attending))
    expect(trainee_page.locator("#h-counts + table")).to_contain_text("Vascular")
    screenshot(trainee_page, "logbook-trainee")
    trainee_page.context.close()


def _next_hour_today() -> datetime:
    now = timezone.localtime()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start


def test_an_operator_whose_radiation_training_expired_is_flagged_when_booked(
    page, site, personas, patient
):
    attending = personas["attending"]
    _room()
    today = timezone.localdate()
    certification_record(
        actor=SYSTEM, user_id=attending.pk, kind="radiation",
        obtained_on=today - timedelta(days=5 * 365), expires_on=today - timedelta(days=3),
    )  # fmt: skip
    order = make_order(attending, patient, "IVCF-IN")
    start = _next_hour_today()
    sign_in(page, site, "scheduler")
    page.goto(f"{site}/scheduling/book/{order.pk}/")
    page.get_by_label("Start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Primary operator").select_option(label=str(attending))
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked: Angio suite 1")).to_be_visible()  # a flag, not a block
    note = page.locator(".credential-note")
    expect(note).to_contain_text("radiation protection training expired on")
    expect(note).to_contain_text(str(attending))
    screenshot(page, "booking-credential-flag")
    if start.date() == today:  # the board shows today's cases
        page.goto(f"{site}/scheduling/today/")
        expect(page.locator(".board .credential-note")).to_contain_text(
            "radiation protection training expired on"
        )
        screenshot(page, "board-credential-flag")


def test_an_administrator_renews_a_privilege_and_the_booking_goes_through(
    page, browser, site, personas, patient
):
    attending = personas["attending"]
    _room()
    today = timezone.localdate()
    privilege_grant(
        actor=SYSTEM, user_id=attending.pk, category="oncology",
        granted_at=today - timedelta(days=800), expires_at=today - timedelta(days=1),
    )  # fmt: skip
    order = make_order(attending, patient, "TACE")
    start = _next_hour_today() + timedelta(days=1)
    sign_in(page, site, "scheduler")
    page.goto(f"{site}/scheduling/book/{order.pk}/")
    page.get_by_label("Start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Primary operator").select_option(label=str(attending))
    page.get_by_role("button", name="Book").click()
    expect(
        page.get_by_text("does not hold the privilege for interventional oncology").first
    ).to_be_visible()

    admin_page = _second_page(browser)
    sign_in(admin_page, site, "admin")
    admin_page.goto(f"{site}/administration/")
    admin_page.get_by_role("link", name="Credentials and privileges").click()
    admin_page.get_by_role("link", name=str(attending)).first.click()
    row = admin_page.locator("tr", has_text="Interventional oncology")
    expect(row).to_contain_text("expired")
    row.get_by_role("link", name="Renew or revoke").click()
    admin_page.get_by_label("Renewed from").fill(today.isoformat())
    admin_page.get_by_label("Valid until").first.fill((today + timedelta(days=365)).isoformat())
    admin_page.get_by_role("button", name="Renew the privilege").click()
    expect(
        admin_page.get_by_text("holds the privilege for interventional oncology")
    ).to_be_visible()
    expect(admin_page.locator("tr", has_text="Interventional oncology")).to_contain_text("current")
    screenshot(admin_page, "credentials-renewed")
    admin_page.context.close()

    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked: Angio suite 1")).to_be_visible()
    assert Privilege.objects.get(
        user=attending, category="oncology"
    ).expires_at == today + timedelta(days=365)
