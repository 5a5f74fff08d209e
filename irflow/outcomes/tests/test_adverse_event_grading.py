"""Adverse events are recorded as facts with their grades: contradictions refused naming the
fields, a grade the facts do not give kept only with a reason, the definitions on the form,
the API in step, and events recorded before the facts still listed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from irflow.lib.errors import ValidationFailed
from irflow.outcomes import selectors, services
from irflow.outcomes.models import AdverseEvent
from irflow.testing.cases import booked, completed, past_weekday_at
from irflow.testing.fixtures import login
from irflow.testing.outcomes import ae_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(attending, patient, angio_room):
    return completed(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))


def values(record, **overrides: Any) -> dict[str, Any]:
    return {
        "procedure_id": record.pk,
        "onset_at": record.ended_at + timedelta(minutes=30),
        "detection": "recovery",
        "description": "Groin haematoma",
        "sir_grade": "mild",
        "attribution": "procedure",
        "outcome": "resolved",
        **ae_facts(),
        **overrides,
    }


def refused(actor, record, **overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as exc:
        services.adverse_event_record(actor=actor, **values(record, **overrides))
    return exc.value.errors


# Entries that contradict each other, and the fields the refusal names.
CONTRADICTIONS = [
    ({"sir_grade": "death", "legacy_sir_class": "A"}, {"sir_grade", "legacy_sir_class", "outcome"}),
    ({"sir_grade": "death", "outcome": "ongoing"}, {"sir_grade", "outcome"}),
    ({"sir_grade": "severe", "cirse_grade": "6", "outcome": "unknown"},
     {"sir_grade", "cirse_grade"}),
    ({"legacy_sir_class": "F", "outcome": "death", "sir_grade": "severe"},
     {"legacy_sir_class", "sir_grade", "outcome"}),
    ({"legacy_sir_class": "E"}, {"legacy_sir_class", "outcome", "sequelae"}),
    ({"cirse_grade": "5", "outcome": "resolved_sequelae"}, {"cirse_grade", "sequelae", "outcome"}),
    ({"sequelae": "mild"}, {"sequelae", "outcome"}),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "named"), CONTRADICTIONS)
def test_contradictory_entries_are_refused_naming_the_fields(nurse, record, changes, named):
    errors = refused(nurse, record, **changes)
    assert set(errors) == named
    assert not AdverseEvent.objects.exists()


def test_the_reported_record_is_refused(nurse, record):
    """SIR 2017 death, legacy A (minor), outcome resolved — accepted before, refused now."""
    errors = refused(nurse, record, sir_grade="death", legacy_sir_class="A")
    assert errors["outcome"] == [
        "SIR 2017 “Death” means the patient died of the event, but legacy SIR class A and the "
        "outcome “resolved” say the patient did not."
    ]


# (facts changed, grades chosen) that the facts do not give: refused without a reason.
UNSUPPORTED = [
    ({"therapy": "substantial"}, {"sir_grade": "mild"}, {"sir_grade"}),
    ({}, {"sir_grade": "severe", "cirse_grade": "3"}, {"sir_grade", "cirse_grade"}),
    ({"care_level": "higher"}, {"sir_grade": "severe", "legacy_sir_class": "B"},
     {"legacy_sir_class"}),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "grades", "named"), UNSUPPORTED)
def test_a_grade_the_facts_do_not_give_needs_a_reason(nurse, record, facts, grades, named):
    errors = refused(nurse, record, **facts, **grades)
    assert set(errors) == named | {"grade_reason"}
    assert errors["grade_reason"] == [services.MSG_GRADE_REASON]
    reason = "Operator graded higher: repeat angiography planned."
    ae = services.adverse_event_record(
        actor=nurse, **values(record, **facts, **grades, grade_reason=reason)
    )
    assert ae.grade_reason == reason


def test_facts_must_be_chosen_and_not_known_yet_is_a_choice(nurse, record):
    errors = refused(nurse, record, therapy="", sequelae="some")
    assert errors["therapy"] == ["Choose one (or “Not known yet”)."]
    assert "is not one of" in errors["sequelae"][0]
    ae = services.adverse_event_record(
        actor=nurse, **values(record, therapy="unknown", sir_grade="moderate")
    )
    assert ae.therapy == "unknown"


def test_the_form_shows_the_definitions_and_chooses_nothing(client, nurse, record):
    login(client, nurse)
    page = client.get(f"/procedures/bookings/{record.booking_id}/").content.decode()
    form = page[page.index('class="ae-form"') :]
    form = form[: form.index("</form>")]
    for words in (
        "Permanent adverse sequelae.",  # legacy E
        "Permanent severe sequelae: the patient needs ongoing assistance in daily life.",  # CIRSE 5
        "No or nominal therapy, overnight observation included.",  # SIR 2017 mild
        "Khalilzadeh et al., JVIR 2017",
        "Not known yet",
    ):
        assert words in form
    # Only “not graded in this system” for the two optional systems; no fact, no outcome.
    checked = re.findall(r"<input[^>]*checked[^>]*>", form)
    assert len(checked) == 2 and all('value=""' in tag for tag in checked)
    assert re.search(r'<option value="" selected>—', form)


def test_the_form_refuses_the_contradiction_and_keeps_what_was_typed(client, nurse, record):
    login(client, nurse)
    data = {f"ae-{k}": v for k, v in values(record, sir_grade="death").items()}
    data["ae-onset_at"] = (record.ended_at + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/outcomes/procedures/{record.pk}/adverse-events/", data)
    page = response.content.decode()
    assert response.status_code == 422
    assert "means the patient died of the event" in page and "Groin haematoma" in page
    data["ae-sir_grade"] = "mild"
    assert client.post(f"/outcomes/procedures/{record.pk}/adverse-events/", data).status_code == 302
    assert AdverseEvent.objects.get().therapy == "none"


def test_the_api_takes_the_facts_and_answers_the_suggestion(api_client, record):
    body = values(record, onset_at=(record.ended_at + timedelta(minutes=30)).isoformat())
    missing = {k: v for k, v in body.items() if k != "therapy"}
    assert (
        api_client.post("/api/outcomes/adverse-events", missing, "application/json").status_code
        == 422
    )
    clash = api_client.post(
        "/api/outcomes/adverse-events", body | {"outcome": "death"}, "application/json"
    )
    assert clash.status_code == 422 and "outcome" in clash.content.decode()
    made = api_client.post("/api/outcomes/adverse-events", body, "application/json")
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["therapy"] == "none" and data["grade_reason"] == ""
    sir = next(s for s in data["suggested"] if s["system"] == "sir-2017")
    assert sir["suggested"] == "mild" and sir["rule_id"] == "adverse-events.suggest.sir-2017"


def test_an_event_recorded_before_the_facts_is_kept_and_its_facts_stay_unknown(
    attending, nurse, record
):
    """What the migration leaves: the grades as recorded, the facts blank (not known)."""
    old = AdverseEvent.objects.create(
        patient=record.patient,
        record=record,
        onset_at=record.ended_at,
        detection="recovery",
        description="Recorded before the facts were",
        sir_grade="death",
        legacy_sir_class="A",
        attribution="procedure",
        outcome="resolved",
        recorded_by=nurse,
    )
    (line,) = selectors.adverse_events_for_procedure(actor=attending, record=record)
    assert line.event == old and line.facts == "" and line.sir_label == "Death"


def test_the_form_says_what_the_facts_give_as_they_are_chosen(client, personas, nurse, record):
    login(client, nurse)
    page = client.get(f"/procedures/bookings/{record.booking_id}/").content.decode()
    assert "The facts give:" in page and "Mild to death" in page  # nothing chosen yet
    url = "/outcomes/adverse-events/suggest/"
    chosen = {f"ae-{k}": v for k, v in ae_facts(therapy="substantial").items()}
    answer = client.get(url, chosen | {"ae-outcome": "resolved"}).content.decode()
    assert "SIR 2017 <strong>Moderate</strong>" in answer
    assert "Legacy SIR <strong>C</strong>" in answer and "CIRSE <strong>Grade 3</strong>" in answer
    unknown = client.get(
        url, chosen | {"ae-hospital_stay": "unknown", "ae-outcome": "resolved"}
    ).content.decode()
    assert "Legacy SIR <strong>C or D</strong>" in unknown
    login(client, personas["technologist"])
    assert client.get(url, chosen).status_code == 403
