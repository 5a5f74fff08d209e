"""Recovery: NRS pain scores 0–10 (anything else refused with a clear message), bands from
the site policy, discharge same day or admitted, length of stay, follow-up from discharge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.dayofcase import services as day
from irflow.followup.models import FollowUpTask
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.readiness.services import policy_update
from irflow.recovery import selectors, services
from irflow.recovery.services import MSG_PAIN_RANGE
from irflow.scheduling.models import BookingStatus
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.recovery import observed

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(attending, patient, angio_room):
    return completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))


def test_pain_scores_outside_0_to_10_are_refused(nurse, record):
    for score in (11, -1, "7.5", "ten", "", True):
        with pytest.raises(ValidationFailed) as exc:
            services.pain_score_record(actor=nurse, procedure_id=record.pk, score=score)
        assert exc.value.errors["score"] == [MSG_PAIN_RANGE.format(value=str(score).strip())]
    assert not record.recovery.pain_scores.exists()


def test_pain_scores_through_the_api_are_checked_too(client, nurse, record):
    token = api_token_create(actor=SYSTEM, user_id=nurse.pk, name="t")[1]
    headers = {"authorization": f"Bearer {token}"}
    url = f"/api/recovery/{record.pk}/pain-scores"
    bad = client.post(url, {"score": 11}, content_type="application/json", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"]["score"] == [MSG_PAIN_RANGE.format(value="11")]
    good = client.post(url, {"score": 8}, content_type="application/json", headers=headers)
    assert good.status_code == 201 and good.json()["band"] == "severe"


def test_bands_follow_the_site_policy(attending, nurse, personas, record):
    start = record.out_at
    for minutes, score in ((5, 7), (35, 4), (65, 1)):
        services.pain_score_record(
            actor=nurse,
            procedure_id=record.pk,
            score=score,
            recorded_at=start + timedelta(minutes=minutes),
        )
    view = selectors.recovery_for_procedure(actor=nurse, record=record)
    assert [(s.score.score, s.band) for s in view.scores] == [
        (7, "severe"),
        (4, "moderate"),
        (1, "mild"),
    ]
    assert [s.meaningful_change for s in view.scores] == [False, True, True]
    policy_update(
        actor=personas["admin"],
        overrides={"pain-nrs.bands": {"mild_max": 4, "moderate_max": 7}},
    )
    view = selectors.recovery_for_procedure(actor=nurse, record=record)
    assert [s.band for s in view.scores] == ["moderate", "mild", "mild"]


def test_discharge_same_day_gives_length_of_stay_and_follow_up(attending, nurse, record):
    assert FollowUpTask.objects.filter(order=record.order).count() == 1  # from completion
    observed(nurse, record)
    with pytest.raises(ValidationFailed) as exc:
        day.case_discharge(
            actor=nurse,
            procedure_id=record.pk,
            disposition="same_day",
            discharged_at=record.out_at - timedelta(minutes=1),
        )
    assert "cannot be before the patient left the room" in exc.value.errors["discharged_at"][0]
    with pytest.raises(ValidationFailed) as exc:
        day.case_discharge(actor=nurse, procedure_id=record.pk, disposition="admitted")
    assert "admitted_to" in exc.value.errors
    episode = day.case_discharge(
        actor=nurse,
        procedure_id=record.pk,
        disposition="same_day",
        discharged_at=record.out_at + timedelta(hours=2),
    )
    record.booking.refresh_from_db()
    assert record.booking.status == BookingStatus.DISCHARGED
    checked_in_to_discharge = episode.discharged_at - record.checked_in_at
    assert episode.length_of_stay_min == int(checked_in_to_discharge.total_seconds() // 60)
    assert episode.recovery_min == 120
    assert FollowUpTask.objects.filter(order=record.order, kind="clinic").count() == 1
    with pytest.raises(Conflict):
        services.pain_score_record(actor=nurse, procedure_id=record.pk, score=2)


def test_only_nurses_and_physicians_record_recovery(personas, record):
    for name in ("technologist", "trainee", "scheduler"):
        with pytest.raises(Forbidden):
            services.pain_score_record(actor=personas[name], procedure_id=record.pk, score=2)
