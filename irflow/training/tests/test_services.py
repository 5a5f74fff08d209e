"""Logbooks through their services: entries made once per trainee when a record completes,
the supervisor's verification and queries, programme counts; practice figures by hand."""

from __future__ import annotations

from datetime import date

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.procedures.models import ProcedureRecord
from irflow.scheduling.models import TeamRole
from irflow.testing.cases import completed, fresh_room, past_weekday_at
from irflow.testing.fixtures import make_booking, make_order
from irflow.training import selectors, services
from irflow.training.models import EntryStatus, LogbookEntry, LogbookRole, Programme

pytestmark = pytest.mark.django_db


def trainee_case(personas, patient, *, code="IVCF-IN", hour=9, assistant=False):
    """A completed case: the trainee first operator (or assisting), the attending supervising."""
    attending, trainee = personas["attending"], personas["trainee"]
    order = make_order(attending, patient, code)
    start = past_weekday_at(hour)
    if assistant:
        booking = make_booking(
            attending, order, fresh_room(), start, primary_operator=attending,
            team=[(trainee, TeamRole.ASSISTANT)],
        )  # fmt: skip
    else:
        booking = make_booking(
            attending, order, fresh_room(), start, primary_operator=trainee,
            team=[(attending, TeamRole.SUPERVISING_PHYSICIAN)],
        )  # fmt: skip
    return completed(attending, booking)


def test_completion_makes_one_entry_for_the_trainee_and_never_a_second(personas, patient):
    record = trainee_case(personas, patient)
    entry = LogbookEntry.objects.get()
    assert entry.trainee == personas["trainee"] and entry.record == record
    assert entry.role == LogbookRole.FIRST_OPERATOR
    assert entry.supervisor == personas["attending"]
    assert entry.category == record.order.procedure_type.category
    assert entry.outcome == "success" and entry.status == EntryStatus.PENDING
    # Made again (a re-sent signal, an amendment): nothing new.
    assert services.logbook_entries_make(actor=SYSTEM, procedure_id=record.pk) == []
    assert LogbookEntry.objects.count() == 1


def test_an_assisting_trainee_gets_an_assistant_entry(personas, patient):
    trainee_case(personas, patient, assistant=True)
    entry = LogbookEntry.objects.get()
    assert entry.role == LogbookRole.ASSISTANT and entry.supervisor == personas["attending"]


def test_only_the_system_makes_entries(personas, patient):
    record = trainee_case(personas, patient)
    with pytest.raises(Forbidden):
        services.logbook_entries_make(actor=personas["trainee"], procedure_id=record.pk)


def test_the_supervisor_verifies_or_queries_and_nobody_else(personas, patient):
    trainee_case(personas, patient)
    entry = LogbookEntry.objects.get()
    other = _other_physician()
    with pytest.raises(Forbidden):
        services.logbook_entry_verify(actor=other, entry_id=entry.pk)
    with pytest.raises(Forbidden):
        services.logbook_entry_verify(actor=personas["trainee"], entry_id=entry.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.logbook_entry_query(actor=personas["attending"], entry_id=entry.pk, note=" ")
    assert "note" in exc.value.errors
    services.logbook_entry_query(
        actor=personas["attending"], entry_id=entry.pk, note="Access was radial, not femoral."
    )
    queue = list(selectors.verification_queue(actor=personas["attending"]))
    assert [(e.pk, e.status) for e in queue] == [(entry.pk, EntryStatus.QUERIED)]
    services.logbook_entry_verify(actor=personas["attending"], entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.VERIFIED and entry.verified_by == personas["attending"]
    assert list(selectors.verification_queue(actor=personas["attending"])) == []


def _other_physician():
    from irflow.testing.fixtures import make_user

    return make_user("other", "physician")


def test_programme_counts_against_ebir(personas, patient):
    """Three cases: two vascular as first operator (one verified), one assisting. EBIR counts
    verified first-operator entries only: 1 of 250, 1 of 150 vascular or oncology."""
    first = trainee_case(personas, patient, hour=9)
    trainee_case(personas, patient, hour=11)
    trainee_case(personas, patient, hour=13, assistant=True)
    ebir = Programme.objects.get(code="ebir")
    services.enrol(actor=personas["admin"], trainee_id=personas["trainee"].pk, programme_id=ebir.pk)
    entry = LogbookEntry.objects.get(record=first)
    services.logbook_entry_verify(actor=personas["attending"], entry_id=entry.pk)
    [(programme, progress)] = selectors.programme_progress(
        actor=personas["trainee"], trainee_id=personas["trainee"].pk
    )
    assert programme == ebir
    assert [(p.requirement.minimum, p.count, p.met) for p in progress] == [
        (250, 1, False),
        (150, 1, False),
    ]
    [row] = selectors.logbook_counts(actor=personas["trainee"], trainee_id=personas["trainee"].pk)
    assert (row.first_operator, row.assistant, row.verified) == (2, 1, 1)


def test_a_trainee_sees_only_their_own_logbook(personas, patient):
    from irflow.testing.fixtures import make_user

    other = make_user("other_trainee", "trainee")
    with pytest.raises(Forbidden):
        selectors.logbook(actor=other, trainee_id=personas["trainee"].pk)
    for name in ("nurse", "scheduler", "referrer"):
        with pytest.raises(Forbidden):
            selectors.logbook(actor=personas[name], trainee_id=personas["trainee"].pk)


def test_practice_figures_by_hand(personas, patient):
    """The attending operates twice (one technical failure, one adverse event); the trainee
    once. Hand-computed: attending volume 2, success 1/2, AE 1/2."""
    from irflow.outcomes.models import AdverseEvent

    attending = personas["attending"]
    first = completed(
        attending,
        make_booking(
            attending, make_order(attending, patient), fresh_room(),
            past_weekday_at(9, days_back=20),
            primary_operator=attending,
        ),
    )  # fmt: skip
    second = completed(
        attending,
        make_booking(
            attending, make_order(attending, patient), fresh_room(),
            past_weekday_at(11, days_back=20),
            primary_operator=attending,
        ),
    )  # fmt: skip
    ProcedureRecord.objects.filter(pk=second.pk).update(technical_success="failure")
    AdverseEvent.objects.create(
        patient=patient, record=first, onset_at=first.ended_at, detection="intra_procedure",
        description="Haematoma", sir_grade="mild", recorded_by=attending,
    )  # fmt: skip
    trainee_case(personas, patient, hour=14)
    rows = selectors.practice_figures(
        actor=personas["qi_lead"], start=date(2000, 1, 1), end=date(2100, 1, 1)
    )
    by = {r.operator.username: r for r in rows}
    assert (by["attending"].volume, by["attending"].success_rate, by["attending"].ae_rate) == (
        2,
        0.5,
        0.5,
    )
    assert by["trainee"].volume == 1 and by["trainee"].ae_rate == 0
    assert by["attending"].dap_median_gy_cm2 is None  # no dose report
    with pytest.raises(Forbidden):
        selectors.practice_figures(actor=personas["trainee"], start=date.today(), end=date.today())
