"""The procedure, recovery and device pages through the real views (a client that enforces
CSRF like a browser): autosave answers, refusals shown beside the field, the chart and board."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from irflow.dayofcase import services as day
from irflow.dayofcase.guards import MSG_SIGN_IN
from irflow.procedures.models import ProcedureRecord
from irflow.testing.cases import (
    acknowledged,
    booked,
    checklist,
    completed,
    in_room,
    past_weekday_at,
)
from irflow.testing.fixtures import login, page_with_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(attending, patient, angio_room):
    return booked(attending, patient, angio_room, start=past_weekday_at(9))


def test_check_in_then_autosave_shows_saved_and_refusals(client, attending, booking):
    login(client, attending)
    page = client.get(f"/procedures/bookings/{booking.pk}/")
    assert page.status_code == 200 and b"Check in" in page.content
    response = client.post(f"/procedures/bookings/{booking.pk}/check-in/")
    assert response.status_code == 302
    record = ProcedureRecord.objects.get(booking=booking)
    page = client.get(f"/procedures/bookings/{booking.pk}/")
    assert b'hx-trigger="change delay:500ms, submit"' in page.content
    assert b"Add a device (scan its UDI)" in page.content

    url = f"/procedures/{record.pk}/save/times/"
    # The time in room puts the patient in the room: not before the sign-in (said beside it).
    refused = client.post(url, {"times-in_room_at": "09:02"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and b"Not saved" in refused.content
    assert MSG_SIGN_IN in refused.content.decode()
    acknowledged(booking)
    checklist(attending, booking, "sign_in")
    checklist(attending, booking, "time_out")
    ok = client.post(
        url, {"times-in_room_at": "09:02", "times-started_at": "09:10"}, HTTP_HX_REQUEST="true"
    )
    assert ok.status_code == 200 and b"Saved" in ok.content
    bad = client.post(
        url,
        {"times-in_room_at": "09:02", "times-started_at": "09:10", "times-ended_at": "09:05"},
        HTTP_HX_REQUEST="true",
    )
    assert b"Not saved" in bad.content
    assert "The end time (09:05) is before the start time (09:10)." in bad.content.decode()
    record.refresh_from_db()
    assert record.ended_at is None

    volume = client.post(
        f"/procedures/{record.pk}/save/contrast/",
        {"contrast-contrast_ml": "-20", "contrast-contrast_route": "iv"},
        HTTP_HX_REQUEST="true",
    )
    assert "The contrast volume cannot be negative (-20 ml)." in volume.content.decode()


def test_a_malformed_udi_is_shown_beside_the_field(client, attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    login(client, attending)
    response = client.post(
        f"/procedures/{record.pk}/add/device/",
        {"device-udi": "(01)00884838035682", "device-device_type": "IVC filter"},
    )
    assert response.status_code == 422
    assert "wrong check digit: expected 3, got 2" in response.content.decode()
    ok = client.post(
        f"/procedures/{record.pk}/add/device/",
        {
            "device-udi": "(01)00884838035683(17)491231(10)LOT42",
            "device-device_type": "IVC filter",
            "device-implanted": "on",
            "device-in_situ_kind": "ivc_filter",
        },
    )
    assert ok.status_code == 302
    assert record.devices.get().lot == "LOT42"


def test_a_scan_is_read_back_and_fills_lot_serial_and_expiry(client, personas, booking):
    record = day.case_check_in(actor=personas["attending"], booking_id=booking.pk)
    url = f"/procedures/{record.pk}/device-check/"
    login(client, personas["nurse"])
    raw = "0100884838035683" + "17491231" + "10LOT42\x1d" + "21SN7"
    answer = client.get(
        url, {"device-udi": raw}, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="device-udi"
    ).content.decode()
    assert "lot LOT42" in answer and "expires 31 Dec 2049" in answer
    assert 'id="device-f-lot" hx-swap-oob="true"' in answer and 'value="LOT42"' in answer
    assert 'value="SN7"' in answer and 'value="2049-12-31"' in answer
    assert "do not use it" not in answer
    expired = client.get(
        url,
        {"device-udi": "(01)00884838035683(17)240630(10)OLD7"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="device-udi",
    ).content.decode()
    assert "Expired on 30 Jun 2024" in expired and "Only a physician" in expired
    assert 'id="device-override"' not in expired  # a nurse is not offered the override
    login(client, personas["attending"])
    expired = client.get(
        url,
        {"device-udi": "(01)00884838035683(17)240630(10)OLD7"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="device-udi",
    ).content.decode()
    assert "say why below" in expired
    assert '<div id="device-override" hx-swap-oob="true">' in expired
    bad = client.get(url, {"device-udi": "(01)00884838035682"}, HTTP_HX_REQUEST="true").content
    assert "wrong check digit" in bad.decode()


def test_an_expired_device_is_refused_on_the_page_until_a_physician_says_why(
    client, attending, booking
):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    login(client, attending)
    data = {"device-udi": "(01)00884838035683(17)240630(10)OLD7", "device-device_type": "Stent"}
    refused = client.post(f"/procedures/{record.pk}/add/device/", data)
    assert refused.status_code == 422 and "do not use it" in refused.content.decode()
    assert '<div id="device-override">' in refused.content.decode()  # the reason is offered
    data["device-expiry_override_reason"] = "Only size in stock."
    assert client.post(f"/procedures/{record.pk}/add/device/", data).status_code == 302
    page = client.get(f"/procedures/bookings/{booking.pk}/").content.decode()
    assert "Expired, used" in page and "Only size in stock." in page


def test_recovery_refuses_pain_scores_outside_the_scale(client, attending, booking):
    record = completed(attending, booking)
    login(client, attending)
    for value in ("11", "-1", "7.5", "abc"):
        response = client.post(f"/recovery/{record.pk}/pain/", {"pain-score": value})
        assert response.status_code == 422
        assert (
            f"A pain score is a whole number from 0 (no pain) to 10 (worst imaginable): “{value}”."
            in response.content.decode()
        )
    ok = client.post(f"/recovery/{record.pk}/pain/", {"pain-score": "4"})
    assert ok.status_code == 302
    page = client.get(f"/recovery/{record.pk}/").content.decode()
    assert "Moderate" in page  # the band from the site policy
    printable = client.get(f"/recovery/{record.pk}/instructions/")
    assert "IVC filter" in printable.content.decode()


def test_the_chart_and_the_board_show_what_the_procedure_left(client, attending, booking, patient):
    record = completed(attending, booking)
    login(client, attending)
    chart = page_with_parts(client, f"/patients/{patient.pk}/")
    assert "Devices in situ" in chart and "IVC filter" in chart
    assert "Procedures" in chart and record.order.procedure_type.name in chart
    devices = client.get("/devices/").content.decode()
    assert "IVC filter" in devices


def test_a_final_report_refuses_changes_from_the_page(client, attending, booking):
    from irflow.reports import services as reports
    from irflow.reports.models import Report

    record = completed(attending, booking)
    report = reports.report_start(actor=attending, procedure_id=record.pk)
    login(client, attending)
    page = client.get(f"/reports/{report.pk}/")
    assert page.status_code == 200 and b"Sign report" in page.content
    signed = client.post(
        f"/reports/{report.pk}/sign/",
        {
            "field_retrievable": "yes",
            "field_filter_position": "Infrarenal",
            "section_impression": "Retrievable filter placed.",
        },
    )
    assert signed.status_code == 302
    report.refresh_from_db()
    assert report.status == "final"
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "cannot be changed" in page and '<textarea id="section_' not in page
    attempt = client.post(
        f"/reports/{report.pk}/save/",
        {"section_impression": "Changed afterwards."},
        HTTP_HX_REQUEST="true",
    )
    assert "A signed report is final and cannot be changed" in attempt.content.decode()
    assert Report.objects.get(pk=report.pk).sections["impression"] == "Retrievable filter placed."
    assert timezone.now() - report.signed_at < timedelta(minutes=5)


def test_mpps_times_and_the_dose_summary_are_shown_when_linked(
    client, attending, booking, settings, tmp_path
):
    import dataclasses
    from datetime import datetime

    from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
    from irflow.dose.tests.conftest import ingest
    from irflow.procedures.models import PerformedProcedureStep

    settings.DATA_DIR = tmp_path
    day.case_check_in(actor=attending, booking_id=booking.pk)
    login(client, attending)
    page = client.get(f"/procedures/bookings/{booking.pk}/").content.decode()
    assert "No procedure step reported by the modality." in page
    assert "No dose report linked yet." in page

    order = booking.order
    PerformedProcedureStep.objects.create(
        sop_instance_uid="1.2.3.4.5",
        status="COMPLETED",
        booking=booking,
        order=order,
        patient=booking.patient,
        calling_ae_title="ANGIO1",
        started_at=booking.start + timedelta(minutes=7),
        ended_at=booking.start + timedelta(minutes=41),
    )
    events = tuple(
        dataclasses.replace(e, dose_rp_mgy=100.0, dap_gy_cm2=10.0) for e in make_events(4, seed=5)
    )
    ingest(
        ProjectionRdsr(
            events=events,
            seed=5,
            patient_id=booking.patient.mrn,
            study_instance_uid=order.study_instance_uid,
            accession_number=order.accession_number,
            mpps_uid=None,
            study_datetime=datetime(2025, 3, 14, 9, 20),
            timezone_offset=None,
        ).to_bytes()
    )
    page = client.get(f"/procedures/bookings/{booking.pk}/").content.decode()
    start = timezone.localtime(booking.start)
    assert f"{start + timedelta(minutes=7):%H:%M}–{start + timedelta(minutes=41):%H:%M}" in page
    assert "400 mGy" in page and "40.0 Gy·cm²" in page


def test_the_record_forms_answer_404_for_a_missing_record_and_403_for_a_role_that_may_not(
    client, attending, personas, booking
):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    times = {"times-in_room_at": "09:02"}
    login(client, attending)
    missing = record.pk + 1000
    assert client.post(f"/procedures/{missing}/save/times/", times).status_code == 404
    assert client.post(f"/procedures/{missing}/add/specimen/", {}).status_code == 404
    assert client.post(f"/procedures/{missing}/complete/").status_code == 404

    login(client, personas["scheduler"])  # may see the record, not write it
    assert client.get(f"/procedures/bookings/{booking.pk}/").status_code == 200
    assert client.post(f"/procedures/{record.pk}/save/times/", times).status_code == 403
    assert client.post(f"/procedures/{record.pk}/complete/").status_code == 403
    record.refresh_from_db()
    assert record.in_room_at is None and record.status == "open"


class _FormFields(HTMLParser):
    """What a browser posts for one form of a page: its inputs, the selected option of each
    select (the first when none is), checked boxes only."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, None
        self.values: list[tuple[str, str]] = []
        self.first: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            if a.get("type") != "submit" and "name" in a:
                self.values.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select:
            self.first.setdefault(self.select, a.get("value", ""))
            if "selected" in a:
                self.values.append((self.select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if tag == "select" and self.select:
            if self.select not in dict(self.values):
                self.values.append((self.select, self.first.get(self.select, "")))
            self.select = None


def posted_by_the_page(html: str, form_id: str) -> dict[str, str]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return dict(parser.values)


@pytest.mark.parametrize("htmx", [True, False])
def test_the_asa_class_is_saved_without_a_mallampati(client, attending, booking, htmx):
    """Regression: the ASA class was refused (“"" is not one of the choices”) unless the
    Mallampati class was chosen too."""
    login(client, attending)
    record = in_room(attending, booking)
    page = client.get(f"/procedures/bookings/{booking.pk}/").content.decode()
    posted = posted_by_the_page(page, "group-sedation")
    assert {"sedation-asa_class", "sedation-mallampati", "sedation-sedation_depth"} <= set(posted)
    assert posted["sedation-mallampati"] == "" and posted["sedation-asa_class"] == ""
    posted["sedation-asa_class"] = "III"
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(f"/procedures/{record.pk}/save/sedation/", posted, **headers)
    assert response.status_code == (200 if htmx else 302)
    assert "is not one of the choices" not in response.content.decode()
    record.refresh_from_db()
    assert (record.asa_class, record.mallampati) == ("III", "")


@pytest.mark.parametrize(
    "values",
    [
        {"asa_class": "II"},
        {"asa_class": "II", "mallampati": ""},
        {"asa_class": "II", "mallampati": None},
        {"asa_class": "II", "asa_emergency": True, "mallampati": "", "sedation_depth": ""},
    ],
)
def test_the_asa_class_is_saved_without_a_mallampati_through_the_api(
    api_client, attending, booking, values
):
    record = in_room(attending, booking)
    response = api_client.patch(
        f"/api/procedures/{record.pk}",
        {"group": "sedation", "values": values},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["asa_class"], response.json()["mallampati"]) == ("II", "")
    record.refresh_from_db()
    assert (record.asa_class, record.mallampati) == ("II", "")
