"""The recovery page's forms: the notes' autosave says Saved or Not saved; nothing typed is
dropped when the server refuses it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from irflow.recovery import services
from irflow.recovery.models import RecoveryEpisode
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def record(attending, patient, angio_room):
    return completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))


def _discharge(nurse, record) -> None:
    services.recovery_discharge(
        actor=nurse,
        procedure_id=record.pk,
        disposition="same_day",
        discharged_at=record.out_at + timedelta(minutes=30),
    )


def test_autosave_answers_saved_with_the_time(client, nurse, record):
    login(client, nurse)
    response = client.post(
        f"/recovery/{record.pk}/notes/",
        {"notes-observations": "Stable, site dry.", "notes-discharge_instructions": "Rest."},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<span class="save-state" id="notes-save-state"[^>]*>', html)
    assert f"Saved {timezone.localtime():%H}:" in html
    assert RecoveryEpisode.objects.get(record=record).observations == "Stable, site dry."


def test_autosave_refused_answers_not_saved_with_the_reason(client, nurse, record):
    _discharge(nurse, record)
    login(client, nurse)
    response = client.post(
        f"/recovery/{record.pk}/notes/", {"notes-observations": "Late note"}, headers=HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not saved" in html and "recovery can no longer be changed" in html
    assert "<html" not in html  # the state, not a page to draw inside it


def test_notes_posted_without_htmx_and_refused_keep_the_text(client, nurse, record):
    _discharge(nurse, record)
    login(client, nurse)
    response = client.post(f"/recovery/{record.pk}/notes/", {"notes-observations": "Late note"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Late note" in html and "recovery can no longer be changed" in html


def test_pain_score_refused_keeps_what_was_typed(client, nurse, record):
    login(client, nurse)
    response = client.post(
        f"/recovery/{record.pk}/pain/", {"pain-score": "12", "pain-note": "After walking"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="12"' in html and 'value="After walking"' in html
