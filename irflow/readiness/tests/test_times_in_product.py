"""Clock times as the product shows them, through the database mapping: the medication plan
across a DST change, and the preparation letter's computed times (text extracted from the
PDF with poppler's pdftotext)."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from irflow.patients.services import allergy_add, medication_add
from irflow.readiness.letter import letter_pdf
from irflow.readiness.models import Preparation
from irflow.readiness.services import policy_update, preparation_update
from irflow.readiness.tests.helpers import booking_for, lab
from irflow.testing.fixtures import login
from irflow.testing.tools import require_tool

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def test_medication_plan_across_the_spring_dst_change(client, settings, nurse, attending, patient):
    """London goes from GMT to BST at 01:00 on Sun 30 Mar 2025. 48 real hours before Mon 31 Mar
    08:30 BST is Sat 29 Mar 07:30 GMT, so the Saturday 08:00 dose is already held and the last
    allowed dose is Fri 28 Mar 20:00 (a wall-clock sum would allow Saturday 08:00)."""
    settings.TIME_ZONE = "Europe/London"
    start = datetime(2025, 3, 31, 8, 30, tzinfo=LONDON)
    booking = booking_for(attending, patient, start=start)
    medication_add(
        actor=attending,
        patient_id=patient.pk,
        name="Apixaban 5 mg",
        drug="apixaban",
        frequency="bd",
        dose_times=["08:00", "20:00"],
    )
    # CrCl (140 - 68) × 82 × 1.23 / 90 ≈ 81 mL/min: at or above 50, so hold 4 doses = 48 h.
    lab(attending, patient, "creatinine", "90", datetime(2025, 3, 27, 9, 0, tzinfo=LONDON))
    login(client, nurse)
    html = client.get(reverse("readiness-booking", args=[booking.pk])).content.decode()
    row = html[html.index('data-drug="apixaban"') :]
    assert "Fri 28 Mar 20:00" in row[: row.index("data-restart")]
    # Restart 24 h after the planned end; the next usual dose after that.
    end = booking.end.astimezone(LONDON)
    restart_from = end + timedelta(hours=24)
    expected = "Tue 1 Apr 20:00" if restart_from.hour < 20 else "Wed 2 Apr 08:00"
    assert expected in row[row.index("data-restart") :][:200]
    assert "hold 4 doses, 48 h" in html


def test_heparin_stop_time_across_midnight_and_dst_in_new_york(
    client, settings, nurse, attending, patient
):
    """New York springs forward at 02:00 EST on Sun 9 Mar 2025. An emergent case at 07:00 EDT
    (11:00 UTC) stops a heparin infusion 6 real hours before: 05:00 UTC, which is midnight EST —
    a wall-clock sum would say 01:00."""
    settings.TIME_ZONE = "America/New_York"
    ny = ZoneInfo("America/New_York")
    start = datetime(2025, 3, 9, 7, 0, tzinfo=ny)
    booking = booking_for(attending, patient, start=start, priority="emergent")
    medication_add(
        actor=attending,
        patient_id=patient.pk,
        name="Heparin infusion",
        drug="heparin_iv",
        frequency="continuous",
    )
    login(client, nurse)
    html = client.get(reverse("readiness-booking", args=[booking.pk])).content.decode()
    row = html[html.index('data-drug="heparin_iv"') :]
    assert "before Sun 9 Mar 00:00" in row[: row.index("data-restart")]


def pdf_text(pdf: bytes, tmp_path) -> str:
    tool = require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def test_preparation_letter_pdf_has_the_computed_times(tmp_path, settings, personas, patient):
    settings.TIME_ZONE = "Europe/London"
    attending = personas["attending"]
    start = datetime(2025, 3, 31, 10, 0, tzinfo=LONDON)  # Monday, the day after the DST change
    booking = booking_for(attending, patient, "PCN", start=start)
    policy_update(actor=personas["admin"], arrival_lead_min=90)
    medication_add(
        actor=attending,
        patient_id=patient.pk,
        name="Apixaban 5 mg",
        drug="apixaban",
        frequency="bd",
        dose_times=["08:00", "20:00"],
    )
    medication_add(actor=attending, patient_id=patient.pk, name="Aspirin 75 mg", drug="aspirin")
    allergy_add(
        actor=attending,
        patient_id=patient.pk,
        agent="Iohexol",
        category="iodinated_contrast",
        severity="moderate",
    )
    lab(attending, patient, "creatinine", "90", datetime(2025, 3, 27, 9, 0, tzinfo=LONDON))
    preparation_update(actor=attending, booking_id=booking.pk, premedication="prednisone")
    # The plan was made, and the letter printed, on the Friday before.
    friday = datetime(2025, 3, 28, 12, 0, tzinfo=LONDON)
    Preparation.objects.filter(booking=booking).update(premedication_planned_at=friday)
    text = pdf_text(letter_pdf(actor=attending, booking_id=booking.pk, now=friday), tmp_path)

    assert "Please arrive at 08:30 on Monday 31 March 2025." in text
    assert "planned for 10:00 on Monday 31 March 2025" in text
    # Moderate sedation: solids 8 h (fatty meal), clear fluids 2 h before the start.
    assert "Do not eat anything after 02:00 on Monday 31 March 2025." in text
    assert "clear fluids until 08:00 on Monday 31 March 2025." in text
    # Apixaban: 48 real hours before Mon 10:00 BST = Sat 29 Mar 09:00 GMT -> Sat 08:00 dose;
    # restart 24 h after the end (11:00 Mon) -> the next usual dose, Tue 1 Apr 20:00.
    assert "Take your last dose at 08:00 on Saturday 29 March 2025." in text
    assert "Start taking it again at 20:00 on Tuesday 1 April 2025" in text
    # Prednisone 13, 7 and 1 h before 10:00 BST (09:00 UTC): 20:00 UTC Sunday is 21:00 BST.
    for moment in (
        "Sunday 30 March 2025 at 21:00",
        "Monday 31 March 2025 at 03:00",
        "Monday 31 March 2025 at 09:00",
    ):
        assert moment in text, moment
    assert "Aspirin Your care team will tell you what to do with it." in text
    assert "An adult must take you home" in text
