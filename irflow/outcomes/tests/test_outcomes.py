"""Adverse events graded with the clinical core's systems and listed on the procedure and the
chart; follow-up call and visit outcomes that complete their task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from irflow.followup.models import FollowUpTask
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.outcomes import selectors, services
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import login, page_with_parts
from irflow.testing.outcomes import ae_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(attending, patient, angio_room):
    return completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))


def event(actor, record, **overrides):
    values = {
        "procedure_id": record.pk,
        "onset_at": record.ended_at + timedelta(minutes=30),
        "detection": "recovery",
        "description": "Groin haematoma, 4 cm",
        "sir_grade": "moderate",
        "legacy_sir_class": "C",
        "cirse_grade": "3",
        "attribution": "procedure",
        "management": "Thrombin injection under ultrasound, overnight observation.",
        "outcome": "resolved",
        **ae_facts(therapy="substantial", care_level="observation", hospital_stay="lt_48h"),
    }
    values.update(overrides)
    return services.adverse_event_record(actor=actor, **values)


def test_an_adverse_event_is_graded_and_listed_on_procedure_and_chart(
    client, nurse, attending, record
):
    ae = event(nurse, record)
    (line,) = selectors.adverse_events_for_procedure(actor=attending, record=record)
    assert (line.sir_label, line.legacy_class, line.cirse_label) == ("Moderate", "major", "Grade 3")
    login(client, attending)
    chart = page_with_parts(client, f"/patients/{record.patient_id}/")
    assert "Groin haematoma, 4 cm" in chart and "SIR Moderate" in chart
    page = client.get(f"/procedures/bookings/{record.booking_id}/").content.decode()
    assert f'id="ae-{ae.pk}"' in page and "Legacy SIR C (major)" in page


def test_unknown_grades_and_impossible_onsets_are_refused(nurse, record):
    with pytest.raises(ValidationFailed) as exc:
        event(
            nurse,
            record,
            sir_grade="catastrophic",
            legacy_sir_class="G",
            onset_at=record.started_at - timedelta(hours=1),
        )
    assert "sir-2017 has no grade 'catastrophic'" in exc.value.errors["sir_grade"][0]
    assert "legacy_sir_class" in exc.value.errors
    assert "cannot be before the procedure started" in exc.value.errors["onset_at"][0]


def test_who_may_record_adverse_events(personas, record):
    for name in ("technologist", "scheduler", "referrer"):
        with pytest.raises(Forbidden):
            event(personas[name], record)


def test_a_follow_up_call_outcome_completes_the_task(nurse, record):
    task = FollowUpTask.objects.get(order=record.order)
    with pytest.raises(ValidationFailed) as exc:
        services.followup_outcome_record(
            actor=nurse, task_id=task.pk, contact="call", pain_score=12
        )
    assert "whole number from 0 (no pain) to 10" in exc.value.errors["pain_score"][0]
    outcome = services.followup_outcome_record(
        actor=nurse,
        task_id=task.pk,
        contact="call",
        pain_score=1,
        symptoms="Mild ache at the neck puncture site",
        normal_activity="yes",
    )
    task.refresh_from_db()
    assert task.status == "done"
    assert task.outcome == outcome.summary()
    assert "pain NRS 1" in task.outcome and "back to normal activity" in task.outcome


def test_the_outcome_page(client, nurse, record):
    task = FollowUpTask.objects.get(order=record.order)
    login(client, nurse)
    page = client.get(f"/outcomes/followup/{task.pk}/")
    assert page.status_code == 200 and "Return to normal activity" in page.content.decode()
    refused = client.post(
        f"/outcomes/followup/{task.pk}/", {"contact": "visit", "pain_score": "-3"}
    )
    assert refused.status_code == 422
    done = client.post(
        f"/outcomes/followup/{task.pk}/",
        {"contact": "visit", "pain_score": "0", "imaging_response": "patent"},
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == "done"


def test_the_outcome_page_answers_404_for_a_missing_task_and_403_for_a_role_that_may_not(
    client, personas, nurse, record
):
    task = FollowUpTask.objects.get(order=record.order)
    url = f"/outcomes/followup/{task.pk}/"
    call = {"contact": "call", "pain_score": "0", "normal_activity": "yes"}
    login(client, nurse)
    assert client.post(f"/outcomes/followup/{task.pk + 1000}/", call).status_code == 404

    login(client, personas["scheduler"])  # may see follow-up tasks, not record their outcome
    assert client.get(url).status_code == 200
    assert client.post(url, call).status_code == 403
    task.refresh_from_db()
    assert task.is_pending
