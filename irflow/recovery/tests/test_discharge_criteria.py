"""Recovery as a series of vital signs: no time in the future or before the patient left the
room, implausible values refused by name, and discharge refused until the modified Aldrete
score (after sedation) and PADSS (home) are met — or a physician overrides with a reason."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from irflow.dayofcase import services as day
from irflow.lib.errors import Forbidden, Refused, ValidationFailed
from irflow.procedures.models import ProcedureRecord
from irflow.recovery import selectors, services
from irflow.recovery.models import RecoveryEpisode, VitalSigns
from irflow.scheduling.models import BookingStatus
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import login
from irflow.testing.recovery import FIT, observed

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(attending, patient, angio_room):
    done = completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))
    # Moderate sedation, as most cases here: the Aldrete score applies.
    ProcedureRecord.objects.filter(pk=done.pk).update(sedation_depth="moderate")
    done.refresh_from_db()
    return done


def discharge(actor, record, disposition: str = "same_day", **kwargs: Any) -> RecoveryEpisode:
    return day.case_discharge(
        actor=actor,
        procedure_id=record.pk,
        disposition=disposition,
        discharged_at=kwargs.pop("discharged_at", record.out_at + timedelta(hours=1)),
        **kwargs,
    )


def test_times_in_the_future_are_refused_beyond_two_minutes_of_clock_skew(nurse, record):
    now = timezone.now()
    for later, refused in ((timedelta(minutes=3), True), (timedelta(minutes=1), False)):
        at = now + later
        if refused:
            with pytest.raises(ValidationFailed) as exc:
                observed(nurse, record, at=at)
            assert "cannot be in the future" in exc.value.errors["recorded_at"][0]
            with pytest.raises(ValidationFailed) as exc:
                services.pain_score_record(
                    actor=nurse, procedure_id=record.pk, score=2, recorded_at=at
                )
            assert "cannot be in the future" in exc.value.errors["recorded_at"][0]
        else:
            assert observed(nurse, record, at=at).recorded_at == at


def test_observations_before_the_patient_left_the_room_are_refused(nurse, record):
    with pytest.raises(ValidationFailed) as exc:
        observed(nurse, record, at=record.out_at - timedelta(minutes=1))
    assert "before the patient left the room" in exc.value.errors["recorded_at"][0]
    assert observed(nurse, record, at=record.out_at).pk


IMPLAUSIBLE = [
    ({"heart_rate_bpm": 300}, "heart_rate_bpm", "Pulse is a whole number from 20 to 250"),
    ({"spo2_pct": 101}, "spo2_pct", "SpO2 is a whole number from 50 to 100"),
    ({"systolic_mmhg": "12O"}, "systolic_mmhg", "Systolic pressure is a whole number"),
    ({"diastolic_mmhg": 130}, "diastolic_mmhg", "below the systolic"),
    ({"diastolic_mmhg": ""}, "diastolic_mmhg", "both the systolic and the diastolic"),
    ({"temperature_c": "45"}, "temperature_c", "from 30.0 to 43.0"),
    ({"consciousness": "X"}, "consciousness", "A, V, P or U"),
    ({"activity": 3}, "activity", "0, 1 or 2"),
    ({"pain_nrs": 11}, "pain_nrs", "0 (no pain) to 10"),
]


@pytest.mark.parametrize(("changes", "field", "words"), IMPLAUSIBLE)
def test_implausible_values_are_refused_naming_the_field(nurse, record, changes, field, words):
    with pytest.raises(ValidationFailed) as exc:
        observed(nurse, record, **changes)
    assert words in exc.value.errors[field][0]
    assert not VitalSigns.objects.exists()


def test_an_empty_set_is_refused_and_a_partial_one_kept(nurse, record):
    with pytest.raises(ValidationFailed) as exc:
        services.vital_signs_record(actor=nurse, procedure_id=record.pk)
    assert exc.value.errors["__all__"] == [services.MSG_VITALS_EMPTY]
    kept = services.vital_signs_record(actor=nurse, procedure_id=record.pk, spo2_pct=96)
    assert kept.spo2_pct == 96 and kept.heart_rate_bpm is None


def test_the_pain_of_a_set_joins_the_pain_series(nurse, record):
    vitals = observed(nurse, record, pain_nrs=4)
    view = selectors.recovery_for_procedure(actor=nurse, record=record)
    assert [s.score.score for s in view.scores] == [4] and vitals.pain.score == 4
    assert [t.label for t in view.trends][-1] == "Pain"


# (changes to a fit set, where to) -> the rules that refuse.
DISCHARGES = [
    ({}, "same_day", set()),
    ({"activity": 1}, "same_day", set()),  # Aldrete 9
    ({"activity": 1, "consciousness": "V"}, "same_day", {"aldrete"}),  # Aldrete 8
    ({"activity": 1, "consciousness": "V"}, "admitted", {"aldrete"}),
    ({"pain_nrs": 5}, "same_day", set()),  # PADSS 9
    ({"pain_nrs": 5, "bleeding": 1}, "same_day", {"padss"}),  # PADSS 8
    ({"pain_nrs": 5, "bleeding": 1}, "admitted", set()),  # admission does not need PADSS
    ({"spo2_pct": None}, "same_day", {"aldrete"}),  # missing never passes
    ({"heart_rate_bpm": None}, "same_day", {"padss"}),
]


@pytest.mark.parametrize(("changes", "disposition", "refused"), DISCHARGES)
def test_discharge_waits_for_the_criteria(nurse, record, changes, disposition, refused):
    observed(nurse, record, **changes)
    extra = {"admitted_to": "Ward 7"} if disposition == "admitted" else {}
    if refused:
        with pytest.raises(Refused) as exc:
            discharge(nurse, record, disposition, **extra)
        assert set(exc.value.rules) == refused
        record.booking.refresh_from_db()
        assert record.booking.status == BookingStatus.RECOVERY
    else:
        assert discharge(nurse, record, disposition, **extra).discharged_at is not None


def test_without_sedation_the_aldrete_score_is_not_needed(nurse, record):
    ProcedureRecord.objects.filter(pk=record.pk).update(sedation_depth="local")
    record.refresh_from_db()
    observed(nurse, record, activity=0, consciousness="V", pain_nrs=1)
    view = selectors.recovery_for_procedure(actor=nurse, record=record)
    assert view.criteria.aldrete is None and view.criteria.padss.met
    assert discharge(nurse, record).discharged_at


def test_no_observations_refuse_both_and_name_what_is_missing(nurse, record):
    with pytest.raises(Refused) as exc:
        discharge(nurse, record)
    assert "not scored" in exc.value.rules["aldrete"]
    assert "pain" in exc.value.rules["padss"]


def test_discharge_before_the_last_pain_score_is_refused(nurse, record):
    """The reported bug: a discharge timed before the last pain score was accepted."""
    observed(nurse, record, at=record.out_at + timedelta(minutes=30))
    services.pain_score_record(
        actor=nurse,
        procedure_id=record.pk,
        score=2,
        recorded_at=record.out_at + timedelta(minutes=90),
    )
    with pytest.raises(ValidationFailed) as exc:
        discharge(nurse, record, discharged_at=record.out_at + timedelta(minutes=60))
    assert "before the last observation or pain score" in exc.value.errors["discharged_at"][0]
    with pytest.raises(ValidationFailed) as exc:
        discharge(nurse, record, discharged_at=timezone.now() + timedelta(minutes=10))
    assert "cannot be in the future" in exc.value.errors["discharged_at"][0]
    assert discharge(nurse, record, discharged_at=record.out_at + timedelta(minutes=95))


def test_a_physician_overrides_with_a_reason_and_a_nurse_may_not(nurse, attending, record):
    observed(nurse, record, pain_nrs=6, bleeding=1)  # PADSS 8
    with pytest.raises(Forbidden):
        day.case_override(
            actor=nurse, booking_id=record.booking_id, rule="padss", reason="Patient wishes."
        )
    with pytest.raises(ValidationFailed):
        day.case_override(actor=attending, booking_id=record.booking_id, rule="padss", reason="")
    override = day.case_override(
        actor=attending,
        booking_id=record.booking_id,
        rule="padss",
        reason="Lives next door, escort overnight; reviewed the site myself.",
    )
    assert override.refusal.startswith("PADSS (for home the same day): 8/10")
    assert discharge(nurse, record).discharged_at


def test_the_discharge_card_offers_nothing_chosen_and_hides_home_while_padss_waits(
    client, nurse, attending, record
):
    login(client, nurse)
    url = f"/recovery/{record.pk}/discharge/"
    card = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-rule="aldrete"' in card and "<form" not in card  # nothing to offer yet
    observed(nurse, record, pain_nrs=6, bleeding=1)  # Aldrete met, PADSS 8
    card = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-rule="padss"' in card and "Override with a reason" not in card
    assert 'value="admitted"' in card and 'value="same_day"' not in card
    assert not re.search(r"<input[^>]*checked", card)
    login(client, attending)
    card = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f"/procedures/bookings/{record.booking_id}/override/padss/" in card


def test_the_vitals_row_saves_by_htmx_and_keeps_what_was_typed_on_error(client, nurse, record):
    login(client, nurse)
    url = f"/recovery/{record.pk}/vital-signs/"
    typed = {"vitals-heart_rate_bpm": "72", "vitals-spo2_pct": "130", "vitals-consciousness": "A"}
    refused = client.post(url, typed, HTTP_HX_REQUEST="true")
    page = refused.content.decode()
    assert refused.status_code == 422
    assert "SpO2 is a whole number from 50 to 100" in page and 'value="72"' in page
    saved = client.post(url, typed | {"vitals-spo2_pct": "97"}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and "Saved" in saved.content.decode()
    assert 'id="criteria-card"' in saved.content.decode()
    assert VitalSigns.objects.get().spo2_pct == 97


def test_the_api_records_vitals_and_answers_the_criteria(api_client, record):
    base = f"/api/recovery/{record.pk}"
    assert (
        api_client.patch(
            base, {"baseline_systolic_mmhg": 130, "baseline_heart_rate_bpm": 80}, "application/json"
        ).status_code
        == 200
    )
    body = {k: v for k, v in FIT.items() if k != "temperature_c"} | {"temperature_c": 36.8}
    made = api_client.post(f"{base}/vital-signs", body, "application/json")
    assert made.status_code == 201, made.content
    assert made.json()["pain_nrs"] == 1
    late = api_client.post(
        f"{base}/vital-signs",
        {"spo2_pct": 97, "recorded_at": (timezone.now() + timedelta(hours=1)).isoformat()},
        "application/json",
    )
    assert late.status_code == 422 and "recorded_at" in late.content.decode()
    criteria = api_client.get(base).json()["discharge_criteria"]
    assert [(c["rule_id"], c["total"], c["met"]) for c in criteria] == [
        ("recovery-discharge.aldrete", 10, True),
        ("recovery-discharge.padss", 10, True),
    ]
