"""The preparation letter: the site's letterhead (never invented), day case vs overnight vs
inpatient wording, and no time already past printed as an instruction."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from irflow.patients.services import allergy_add
from irflow.readiness.letter import letter_html
from irflow.readiness.models import Preparation
from irflow.readiness.selectors import readiness_detail
from irflow.readiness.services import department_update, policy_update, preparation_update
from irflow.readiness.tests.helpers import booking_for

pytestmark = pytest.mark.django_db


def text_of(booking, now=None) -> str:
    html = letter_html(view=readiness_detail(booking_id=booking.pk, now=now), now=now)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def pcn(attending, patient):
    """A nephrostomy under moderate sedation (fasting applies), next week."""
    return booking_for(attending, patient, "PCN")


# stay -> (phrases the letter has, phrases it must not have)
STAYS = {
    "day_case": (
        ["Please arrive at", "usually go home the same day", "An adult must take you home"],
        ["at least one night", "ward staff will bring you", "Night clothes"],
    ),
    "overnight": (
        ["Please arrive at", "at least one night", "Night clothes", "collect you"],
        ["An adult must take you home", "ward staff will bring you"],
    ),
    "inpatient": (
        ["ward staff will bring you", "ward nurses will make sure you fast", "back to your ward"],
        ["Please arrive at", "An adult must take you home", "a day in hospital"],
    ),
}


@pytest.mark.parametrize("stay", [*STAYS, ""])
def test_day_case_overnight_and_inpatient_letters_differ(attending, pcn, stay):
    preparation_update(actor=attending, booking_id=pcn.pk, stay=stay)
    text = text_of(pcn)
    has, has_not = STAYS[stay or "day_case"]  # not recorded: the day-case letter
    for phrase in has:
        assert phrase in text, (stay, phrase)
    for phrase in has_not:
        assert phrase not in text, (stay, phrase)
    assert "Do not eat anything after" in text


def test_the_letterhead_is_the_sites_and_never_invented(personas, pcn):
    text = text_of(pcn)
    assert "Phone:" not in text
    assert "Please call the interventional radiology department" in text
    policy_update(
        actor=personas["admin"],
        letterhead={
            "hospital_name": "St Elsewhere Hospital",
            "department_name": "Interventional Radiology, level 2",
            "department_phone": "020 7946 0000",
            "department_address": "1 Example Road\nLondon",
        },
    )
    text = text_of(pcn)
    assert text.startswith("Preparing for your procedure St Elsewhere Hospital")
    assert "1 Example Road London Phone: 020 7946 0000" in text
    assert "at Interventional Radiology, level 2." in text
    assert "Please call Interventional Radiology, level 2 on 020 7946 0000" in text


def test_the_letter_prints_the_logo_and_the_out_of_hours_phone(personas, pcn):
    logo = io.BytesIO()
    Image.new("RGB", (60, 20), (0, 60, 120)).save(logo, format="PNG")
    department_update(
        actor=personas["admin"],
        letterhead={"department_phone": "020 7946 0000", "out_of_hours_phone": "020 7946 0999"},
        logo=SimpleUploadedFile("logo.png", logo.getvalue(), content_type="image/png"),
    )
    html = letter_html(view=readiness_detail(booking_id=pcn.pk))
    assert '<img class="logo" src="data:image/png;base64,' in html
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Out of hours: 020 7946 0999" in text
    assert "Outside working hours, call 020 7946 0999." in text


def test_a_letterhead_field_too_long_is_refused_by_name(personas):
    from irflow.lib.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        policy_update(actor=personas["admin"], letterhead={"department_phone": "1" * 41})
    assert "department_phone" in refused.value.errors


@pytest.mark.parametrize(("hours_before", "due"), [(8, True), (8.1, False)])
def test_a_fast_already_due_is_not_printed_as_an_instruction(pcn, hours_before, due):
    now = pcn.start - timedelta(hours=hours_before)
    text = text_of(pcn, now=now)
    assert ("Do not eat anything from now on." in text) is due
    assert ("Do not eat anything after" in text) is not due


@pytest.mark.parametrize(("hours_before", "met"), [(13, True), (12.9, False)])
def test_premedication_times_that_can_no_longer_be_kept_are_not_printed(
    attending, patient, pcn, hours_before, met
):
    allergy_add(
        actor=attending,
        patient_id=patient.pk,
        agent="Iohexol",
        category="iodinated_contrast",
        severity="moderate",
    )
    preparation_update(actor=attending, booking_id=pcn.pk, premedication="prednisone")
    told = pcn.start - timedelta(hours=hours_before)
    Preparation.objects.filter(booking=pcn).update(premedication_planned_at=told)
    text = text_of(pcn, now=told)
    assert ("Prednisone 50 mg by mouth" in text) is met
    assert ("can no longer be kept" in text) is not met


def test_the_site_letterhead_is_edited_on_the_policy_page(client, personas):
    from irflow.testing.fixtures import login

    login(client, personas["admin"])
    page = client.get("/readiness/policy/")
    assert "Letterhead of patient letters" in page.content.decode()
    done = client.post(
        "/readiness/policy/",
        {
            "hospital_name": "St Elsewhere",
            "department_name": "",
            "department_phone": "0100",
            "department_address": "",
        },
    )
    assert done.status_code == 302
    from irflow.readiness.policy import policy_settings

    row = policy_settings()
    assert (row.hospital_name, row.department_phone, row.department_name) == (
        "St Elsewhere",
        "0100",
        "",
    )
    assert timezone.now() >= row.updated_at


def test_choosing_a_regimen_records_when_it_was_planned(attending, pcn):
    prep = preparation_update(actor=attending, booking_id=pcn.pk, premedication="prednisone")
    planned = prep.premedication_planned_at
    assert planned is not None and timezone.now() - planned < timedelta(minutes=1)
    prep = preparation_update(actor=attending, booking_id=pcn.pk, premedication="prednisone")
    assert prep.premedication_planned_at == planned  # unchanged regimen, unchanged time
    prep = preparation_update(actor=attending, booking_id=pcn.pk, premedication="")
    assert prep.premedication_planned_at is None


def test_the_api_sets_the_letterhead_and_evaluates_reported_and_planned_times(client, personas):
    from irflow.accounts.actors import SYSTEM
    from irflow.accounts.services import api_token_create

    token = api_token_create(actor=SYSTEM, user_id=personas["admin"].pk, name="t")[1]
    auth = {"headers": {"authorization": f"Bearer {token}"}, "content_type": "application/json"}
    head = {"hospital_name": "St Elsewhere", "department_phone": "0100"}
    put = client.put("/api/readiness/policy", {"overrides": {}, "letterhead": head}, **auth)
    assert put.status_code == 200, put.content
    assert put.json()["letterhead"]["hospital_name"] == "St Elsewhere"
    too_long = {"overrides": {}, "letterhead": {"department_phone": "1" * 41}}
    assert client.put("/api/readiness/policy", too_long, **auth).status_code == 422

    token = api_token_create(actor=SYSTEM, user_id=personas["attending"].pk, name="t")[1]
    auth = {"headers": {"authorization": f"Bearer {token}"}, "content_type": "application/json"}
    case = {
        "procedure": {"code": "PCN", "bleeding_risk": "high"},
        "urgency": "routine",
        "planned_start": "2026-03-02T09:00:00Z",
        "contrast_route": "iv",
        "allergies": [{"agent": "iodinated_contrast", "reported": True}],
        "premedication": "prednisone",
        "premedication_planned_at": "2026-03-01T20:01:00Z",  # 12 h 59 min before contrast
        "now": "2026-03-01T20:01:00Z",
    }
    body = client.post("/api/readiness/evaluate", case, **auth).json()
    (found,) = [f for f in body["findings"] if f["rule_id"].startswith("acr-contrast-prem")]
    assert found["rule_id"] == "acr-contrast-premedication.schedule"
    assert found["status"] == "action_needed" and found["inputs"]["reported"] is True
    assert body["premedication"] == []
