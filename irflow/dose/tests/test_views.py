"""Dose pages and exports: who sees what, the chart pages' CSP, de-identified exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.staticfiles import finders

from irflow.dicom.rdsr_builder import NonDoseSr, make_events
from irflow.dose.models import LinkStatus, ReceivedStatus
from irflow.dose.tests.conftest import ingest, scaled
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def high_dose(case):
    """A linked procedure over the SRDL (alerts and a skin follow-up)."""
    events = scaled(make_events(6, seed=70, biplane=True), dose_rp_mgy=1100)
    return ingest(case.rdsr(events).to_bytes()).report


def test_dose_review_for_the_physician(client, personas, case, high_dose):
    page = login(client, personas["attending"]).get(f"/dose/orders/{case.order.pk}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Substantial radiation dose level" in html and "Acknowledge" in html
    assert "6,600" in html  # Ka,r total, mGy
    assert "Plane A" in html and "Plane B" in html
    assert 'id="dose-cumulative-data"' in html and "/static/plotly/plotly.min.js" in html
    assert case.patient.family_name.upper() in html  # the identity banner
    policy = page["Content-Security-Policy"]
    assert "style-src-elem 'self' 'unsafe-inline'" in policy
    assert "style-src-attr 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("style-src-elem")[0]


def test_other_pages_keep_the_strict_policy(client, personas, high_dose):
    page = login(client, personas["attending"]).get("/dose/")

    assert page.status_code == 200
    assert "unsafe-inline" not in page["Content-Security-Policy"]


def test_qi_lead_sees_the_dose_without_the_patient(client, personas, case, high_dose):
    page = login(client, personas["qi_lead"]).get(f"/dose/orders/{case.order.pk}/")

    html = page.content.decode()
    assert page.status_code == 200 and "6,600" in html
    assert case.patient.family_name.upper() not in html
    assert case.order.accession_number not in html
    assert "Acknowledge" not in html


def test_roles_without_dose_are_refused(client, personas, case, high_dose):
    for name in ("referrer", "admin", "scheduler"):
        client.logout()
        response = login(client, personas[name]).get(f"/dose/orders/{case.order.pk}/")
        assert response.status_code == 403, name


def test_acknowledge_from_the_review_page(client, personas, case, high_dose):
    alert = case.order.dose_alerts.get(level="srdl")
    login(client, personas["attending"])

    response = client.post(f"/dose/alerts/{alert.pk}/acknowledge/", {"note": "told patient"})

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas["attending"]


def test_reconcile_and_link_from_the_pages(client, personas, case):
    report = ingest(
        case.rdsr(
            make_events(2, seed=71), study_instance_uid=None, accession_number="X1"
        ).to_bytes()
    ).report
    login(client, personas["technologist"])

    listing = client.get("/dose/reconcile/")
    assert listing.status_code == 200 and case.order.accession_number in listing.content.decode()
    response = client.post(
        f"/dose/reports/{report.pk}/link/", {"accession_number": case.order.accession_number}
    )

    assert response.status_code == 302 and response["Location"] == f"/dose/orders/{case.order.pk}/"
    report.refresh_from_db()
    assert report.link_status == LinkStatus.LINKED


def test_link_page_asks_for_a_reason_on_a_patient_mismatch(client, personas, case):
    report = ingest(
        case.rdsr(
            make_events(2, seed=72),
            study_instance_uid=None,
            accession_number="X2",
            patient_id="TEMP-1",
        ).to_bytes()
    ).report
    login(client, personas["technologist"])

    response = client.post(
        f"/dose/reports/{report.pk}/link/", {"accession_number": case.order.accession_number}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "is not an identifier of the order" in html and 'name="mismatch_reason"' in html


def test_quarantine_page_and_read_again(client, personas):
    outcome = ingest(NonDoseSr().to_bytes())
    login(client, personas["technologist"])

    page = client.get("/dose/quarantine/")
    assert "not 113701 X-Ray Radiation Dose Report" in page.content.decode()
    response = client.post(f"/dose/quarantine/{outcome.received.pk}/reprocess/")

    assert response.status_code == 302
    outcome.received.refresh_from_db()
    assert outcome.received.status == ReceivedStatus.QUARANTINED
    assert (
        outcome.received.attempts == 2
        and outcome.received.reprocessed_by == personas["technologist"]
    )


def test_dashboard_against_the_drl(client, personas, case, high_dose):
    page = login(client, personas["qi_lead"]).get(
        "/dose/dashboard/?start=2025-01-01&end=2025-12-31"
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "Transarterial chemoembolisation" in html
    assert "238" in html  # the TACE DRL of the rule data (Gy·cm²)
    assert "style-src-elem 'self' 'unsafe-inline'" in page["Content-Security-Policy"]
    assert "Export XLSX" in html and "with identities" not in html


def test_export_is_de_identified_by_default(client, personas, case, high_dose):
    login(client, personas["qi_lead"])

    response = client.get("/dose/export.csv?start=2025-01-01&end=2025-12-31&identified=1")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert len(rows) == 1
    assert "mrn" not in rows[0] and "patient_name" not in rows[0]
    assert len(rows[0]["patient_key"]) == 12 and rows[0]["age_years"] == "68"
    text = response.content.decode()
    assert case.patient.mrn not in text and case.order.accession_number not in text


def test_physician_may_export_identities_on_request(client, personas, case, high_dose):
    login(client, personas["attending"])

    plain = client.get("/dose/export.csv?start=2025-01-01&end=2025-12-31")
    identified = client.get("/dose/export.csv?start=2025-01-01&end=2025-12-31&identified=1")

    assert case.patient.mrn not in plain.content.decode()
    rows = list(csv.DictReader(io.StringIO(identified.content.decode())))
    assert rows[0]["mrn"] == case.patient.mrn
    assert rows[0]["accession_number"] == case.order.accession_number


def test_xlsx_export(client, personas, high_dose):
    from openpyxl import load_workbook

    response = login(client, personas["qi_lead"]).get(
        "/dose/export.xlsx?start=2025-01-01&end=2025-12-31"
    )

    sheet = load_workbook(io.BytesIO(response.content)).active
    header, first = list(sheet.iter_rows(values_only=True))[:2]
    assert header[0] == "report_id" and first[header.index("ka_r_total_mgy")] == pytest.approx(6600)


def test_export_needs_the_export_permission(client, personas, high_dose):
    response = login(client, personas["technologist"]).get("/dose/export.csv")

    assert response.status_code == 403


def test_plotly_is_served_from_the_installed_package():
    found = finders.find("plotly/plotly.min.js")

    assert found and found.endswith("plotly/package_data/plotly.min.js")
    assert finders.find("plotly/datasets/iris.csv.gz") in (None, [])


def test_export_cells_never_become_formulas(client, personas, case):
    events = make_events(2, seed=73)
    ingest(case.rdsr(events, station_name='=HYPERLINK("x")').to_bytes())

    response = login(client, personas["qi_lead"]).get(
        "/dose/export.csv?start=2025-01-01&end=2025-12-31"
    )

    row = next(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["station"] == '\'=HYPERLINK("x")'
