"""A real browser: two procedures five weeks apart whose Ka,r adds up past the SRDL — the
physicist sees the cumulative alert and its procedures on the dose review, the physician on
the patient's chart."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from playwright.sync_api import expect

from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.dose.tests.conftest import ingest
from irflow.testing.fixtures import make_booking, make_order, next_weekday_at
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser_dose import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def repeated(personas, patient, angio_room):
    """Two TACEs of the patient, 2.55 Gy each, on 3 March and 7 April 2025."""
    attending = personas["attending"]
    orders = []
    for seed, day, hour in ((60, datetime(2025, 3, 3, 10), 9), (61, datetime(2025, 4, 7, 10), 13)):
        order = make_order(attending, patient, code="TACE")
        make_booking(
            personas["scheduler"],
            order,
            angio_room,
            next_weekday_at(hour),
            primary_operator=attending,
        )
        events = tuple(
            dataclasses.replace(e, dose_rp_mgy=2550 / 6) for e in make_events(6, seed=seed)
        )
        rdsr = ProjectionRdsr(
            events=events,
            seed=seed,
            patient_id=patient.mrn,
            study_instance_uid=order.study_instance_uid,
            accession_number=order.accession_number,
            mpps_uid=None,
            study_datetime=day,
            timezone_offset=None,
        )
        ingest(rdsr.to_bytes())
        orders.append(order)
    return orders


def test_the_physicist_and_the_physician_see_the_cumulative_srdl(page, site, repeated, patient):
    first, second = repeated
    sign_in(page, site, "qi_lead")
    page.goto(f"{site}/dose/orders/{first.pk}/")
    alerts = page.get_by_role("region", name="Alerts")
    expect(alerts).to_contain_text("Cumulative — substantial radiation dose level")
    expect(alerts).to_contain_text("Cumulative reference air kerma 5100 mGy from 2 procedures")
    table = alerts.get_by_role("table", name="Contributing procedures (within 60 days)")
    expect(table).to_contain_text("3 Mar 2025")
    expect(table).to_contain_text("7 Apr 2025")
    expect(table).to_contain_text("not known")
    expect(table).not_to_contain_text(first.accession_number)  # the physicist: no identity
    expect(alerts).to_contain_text("Skin follow-up")
    screenshot(page, "dose-review-cumulative-physicist")

    page.context.clear_cookies()
    sign_in(page, site, "attending")
    page.goto(f"{site}/patients/{patient.pk}/")
    card = page.get_by_role("region", name="Radiation dose")
    expect(card).to_contain_text("Cumulative SRDL")
    expect(card).to_contain_text(second.accession_number)
    expect(card).to_contain_text("PSD not known")
    card.scroll_into_view_if_needed()
    screenshot(page, "patient-chart-cumulative-dose")
    card.get_by_role("link", name=f"({first.accession_number})").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dose review")
    expect(page.get_by_role("region", name="Alerts")).to_contain_text(second.accession_number)
    assert page.console_errors == [], page.console_errors
