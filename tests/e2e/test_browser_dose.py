"""A real browser on the dose pages: the review with its Plotly chart under the CSP, the
acknowledgement, the skin follow-up on the chart, reconciliation and the dashboard."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from playwright.sync_api import expect

from irflow.dicom.rdsr_builder import NonDoseSr, ProjectionRdsr, make_events
from irflow.dose.tests.conftest import ingest
from irflow.testing.fixtures import PASSWORD, make_booking, make_order, next_weekday_at
from tests.e2e.conftest import screenshot

# Plotly draws in the browser after load; shared CI machines can be slow.
SLOW = 30_000

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def report_for(
    order, patient, *, seed, dose_rp_mgy, dap_gy_cm2, count=8, biplane=False, hour=9, **kw
):
    events = tuple(
        dataclasses.replace(e, dose_rp_mgy=dose_rp_mgy / count, dap_gy_cm2=dap_gy_cm2 / count)
        for e in make_events(count, seed=seed, biplane=biplane)
    )
    rdsr = ProjectionRdsr(
        events=events,
        seed=seed,
        patient_id=patient.mrn,
        study_instance_uid=order.study_instance_uid,
        accession_number=order.accession_number,
        mpps_uid=None,
        study_datetime=datetime(2025, 3, 14, hour, 20),
        timezone_offset=None,
        **kw,
    )
    return ingest(rdsr.to_bytes()).report


@pytest.fixture
def department(personas, patient, angio_room):
    attending = personas["attending"]
    tace = make_order(attending, patient, code="TACE")
    make_booking(
        personas["scheduler"], tace, angio_room, next_weekday_at(9), primary_operator=attending
    )
    report_for(
        tace, patient, seed=80, dose_rp_mgy=6400, dap_gy_cm2=310, count=24, biplane=True, hour=11
    )
    for seed, (code, dap) in enumerate(
        [("TACE", 180), ("TACE", 260), ("PTBD", 150), ("PTBD", 290), ("EMB-GIB", 120)], start=81
    ):
        order = make_order(attending, patient, code=code)
        report_for(order, patient, seed=seed, dose_rp_mgy=400, dap_gy_cm2=dap, count=3)
    ingest(
        ProjectionRdsr(
            events=make_events(3, seed=90),
            seed=90,
            patient_id=patient.mrn,
            study_instance_uid=None,
            accession_number="ELSEWHERE",
            mpps_uid=None,
        ).to_bytes()
    )
    ingest(NonDoseSr().to_bytes())
    return tace


def sign_in(page, site: str, username: str) -> None:
    page.goto(site + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_physician_reviews_a_high_dose_and_acknowledges(page, site, department, patient):
    sign_in(page, site, "attending")
    page.get_by_role("link", name="Dose", exact=True).click()
    expect(page.get_by_role("table")).to_contain_text("2 alerts")
    screenshot(page, "dose-reports")
    page.get_by_role("link", name="Transarterial chemoembolisation").first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Dose review")
    expect(page.get_by_role("region", name="Patient")).to_contain_text("MÜLLER, Jörg")
    alerts = page.get_by_role("region", name="Alerts")
    expect(alerts).to_contain_text("Substantial radiation dose level")
    expect(alerts).to_contain_text("Skin follow-up")
    chart = page.locator("#dose-cumulative .main-svg").first
    expect(chart).to_be_visible(timeout=SLOW)  # Plotly drew the cumulative Ka,r curve
    expect(page.locator("#dose-cumulative .modebar")).to_have_count(1, timeout=SLOW)
    screenshot(page, "dose-review")
    assert page.console_errors == [], page.console_errors

    srdl = alerts.locator("li", has_text="Reference air kerma 6400 mGy reached the substantial")
    srdl.get_by_label("Note").fill("Patient informed before discharge")
    srdl.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Alert acknowledged.")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("region", name="Alerts")).to_contain_text("Acknowledged by")

    page.get_by_role("region", name="Patient").get_by_role("link").first.click()
    card = page.get_by_role("region", name="Follow-up")
    expect(card).to_contain_text("Skin check after a high radiation dose")
    expect(card).to_contain_text("Overdue")  # 14–28 days after a 2025 procedure
    card.scroll_into_view_if_needed()
    screenshot(page, "patient-chart-followup")


def test_dashboard_draws_box_plots_against_drls(page, site, department):
    sign_in(page, site, "qi_lead")
    page.goto(site + "/dose/dashboard/?start=2025-01-01&end=2025-12-31")

    expect(page.locator("#dose-by-procedure .main-svg").first).to_be_visible(timeout=SLOW)
    expect(page.locator("#dose-by-room .main-svg").first).to_be_visible(timeout=SLOW)
    table = page.get_by_role(
        "region", name="By procedure, against the site's diagnostic reference levels"
    )
    expect(table).to_contain_text("Median above DRL")
    expect(table).to_contain_text("Median within DRL")
    screenshot(page, "dose-dashboard")
    assert page.console_errors == [], page.console_errors


def test_technologist_reconciles_and_sees_the_quarantine(page, site, department, patient):
    sign_in(page, site, "technologist")
    page.goto(site + "/dose/reconcile/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("reconcile")
    screenshot(page, "dose-reconcile")
    page.get_by_role("table").get_by_role("link").first.click()
    page.get_by_label("Accession number of the procedure").fill(department.accession_number)
    screenshot(page, "dose-report-link")
    page.get_by_role("button", name="Link to this procedure").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dose review")

    page.get_by_role("link", name="Quarantine").click()
    expect(page.get_by_role("table")).to_contain_text("not 113701 X-Ray Radiation Dose Report")
    screenshot(page, "dose-quarantine")
