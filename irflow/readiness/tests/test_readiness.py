"""Readiness computed on read: a changed fact is seen on the next read, however it changed;
reads never write; overrides audited; the sign-in snapshot kept as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from irflow.clinical import messages as core_messages
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.patients.models import LabResult
from irflow.patients.services import medication_add
from irflow.readiness import engine, services
from irflow.readiness.models import (
    MSG_ACK_IMMUTABLE,
    Acknowledgement,
    ReadinessSnapshot,
    SnapshotKind,
)
from irflow.readiness.selectors import (
    booking_readiness,
    readiness_detail,
    readiness_for_bookings,
)
from irflow.readiness.tests.helpers import booking_for, lab, nearly_ready

pytestmark = pytest.mark.django_db


def rule_ids(view, status=None):
    return [f["rule_id"] for f in view.findings if status is None or f["status"] == status]


def test_nothing_recorded_is_never_ready(attending, patient):
    booking = booking_for(attending, patient)
    view = booking_readiness(actor=attending, booking_id=booking.pk)
    assert view.state == "not_ready" and view.snapshot.blocking
    missing = rule_ids(view, "missing_data")
    assert "sir-2019.inr.high-risk" in missing
    assert "checklists.sign-in.consent" in missing
    assert "sir-2019.medications.review" in missing


def test_a_new_lab_is_seen_on_the_next_read(nurse, attending, patient):
    booking = nearly_ready(attending, patient)
    before = booking_readiness(actor=nurse, booking_id=booking.pk)
    assert before.state == "not_ready"
    assert rule_ids(before, "missing_data") == ["sir-2019.inr.high-risk"]
    lab(nurse, patient, "inr", "1.1")
    after = booking_readiness(actor=nurse, booking_id=booking.pk)
    assert after.state == "ready"
    assert after.snapshot.fingerprint != before.snapshot.fingerprint


def test_a_change_made_behind_the_services_back_is_seen_too(nurse, attending, patient):
    """No signal or task keeps readiness fresh: a bulk update (as an import or an HL7
    interface may do) is seen on the next read like any other change."""
    booking = nearly_ready(attending, patient)
    lab(nurse, patient, "inr", "1.1")
    assert booking_readiness(actor=nurse, booking_id=booking.pk).state == "ready"
    LabResult.objects.filter(patient=patient, analyte="inr").update(value="2.9")
    assert booking_readiness(actor=nurse, booking_id=booking.pk).state == "not_ready"


def test_an_unchanged_case_is_not_evaluated_again(attending, patient):
    booking = nearly_ready(attending, patient)
    first = booking_readiness(actor=attending, booking_id=booking.pk).snapshot
    again = booking_readiness(actor=attending, booking_id=booking.pk).snapshot
    assert again is first  # the process's cache, keyed by every input


def test_reading_readiness_never_writes(attending, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    booking = nearly_ready(attending, patient)
    engine.CACHE.clear()
    with CaptureQueriesContext(connection) as queries:
        readiness_detail(booking_id=booking.pk)
        readiness_for_bookings(bookings=[booking])
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def test_time_alone_makes_a_snapshot_stale(attending, patient):
    """Inside the hold window, "hold upcoming" becomes "last dose not recorded"."""
    booking = nearly_ready(attending, patient)
    lab(attending, patient, "inr", "1.0")
    lab(attending, patient, "creatinine", "80")
    medication_add(
        actor=attending,
        patient_id=patient.pk,
        name="Apixaban 5 mg",
        drug="apixaban",
        frequency="bd",
        dose_times=["08:00", "20:00"],
    )
    early = booking.start - timedelta(days=5)
    view = readiness_for_bookings(bookings=[booking], now=early)[booking.pk]
    (med,) = [f for f in view.evaluation["findings"] if f["rule_id"] == "sir-2019.hold.apixaban"]
    assert med["status"] == "warning"
    assert view.valid_until is not None and view.valid_until < booking.start
    late = view.valid_until + timedelta(minutes=1)
    later = readiness_for_bookings(bookings=[booking], now=late)[booking.pk]
    (med,) = [f for f in later.evaluation["findings"] if f["rule_id"] == "sir-2019.hold.apixaban"]
    assert med["status"] == "missing_data"
    assert later.effective_state == "not_ready"


def test_emergent_cases_are_flagged_never_blocked(attending, patient):
    booking = booking_for(attending, patient, priority="emergent")
    view = booking_readiness(actor=attending, booking_id=booking.pk)
    assert view.state == "not_ready"
    assert view.snapshot.emergent and not view.snapshot.blocking
    assert view.data["notice"] == core_messages.EMERGENT_NOTICE


def test_only_physicians_acknowledge_with_a_reason(attending, nurse, patient):
    booking = nearly_ready(attending, patient)
    with pytest.raises(Forbidden):
        services.finding_acknowledge(
            actor=nurse, booking_id=booking.pk, rule_id="sir-2019.inr.high-risk", reason="x"
        )
    with pytest.raises(ValidationFailed) as exc:
        services.finding_acknowledge(
            actor=attending, booking_id=booking.pk, rule_id="sir-2019.inr.high-risk", reason=" "
        )
    assert exc.value.errors["reason"] == [services.MSG_REASON_REQUIRED]


def test_an_acknowledged_finding_is_shown_as_such_and_never_passes(attending, patient):
    booking = nearly_ready(attending, patient)
    ack = services.finding_acknowledge(
        actor=attending,
        booking_id=booking.pk,
        rule_id="sir-2019.inr.high-risk",
        reason="INR stable for years; point-of-care INR in the room.",
    )
    view = booking_readiness(actor=attending, booking_id=booking.pk)
    (inr,) = [f for f in view.findings if f["rule_id"] == "sir-2019.inr.high-risk"]
    assert inr["status"] == "missing_data"  # the rules' verdict is unchanged
    assert inr["acknowledgement"]["reason"].startswith("INR stable")
    assert view.snapshot.state == "not_ready"
    assert view.state == "needs_review"  # overridden missing data is never "ready"
    entry = LogEntry.objects.get_for_object(ack).get()
    assert entry.actor == attending
    with pytest.raises(Conflict):
        services.finding_acknowledge(
            actor=attending, booking_id=booking.pk, finding_key=inr["key"], reason="again"
        )
    kept = Acknowledgement.objects.get(pk=ack.pk)
    kept.reason = "changed afterwards"
    with pytest.raises(Conflict) as changed:
        kept.save()
    assert changed.value.message == MSG_ACK_IMMUTABLE
    with pytest.raises(Conflict) as removed:
        Acknowledgement.objects.get(pk=ack.pk).delete()
    assert removed.value.message == MSG_ACK_IMMUTABLE
    assert Acknowledgement.objects.get(pk=ack.pk).reason.startswith("INR stable")


def test_the_operators_choice_cannot_be_acknowledged_away(attending, patient):
    booking = booking_for(attending, patient, "PTA-FP")
    with pytest.raises(ValidationFailed) as exc:
        services.finding_acknowledge(
            actor=attending, booking_id=booking.pk, rule_id="sir-2019.category", reason="Later"
        )
    assert exc.value.errors["finding_key"] == [services.MSG_CHOOSE_RISK]


@pytest.mark.parametrize(
    "change",
    [
        lambda who, p, b: services.preparation_update(
            actor=who["nurse"], booking_id=b.pk, consent="pending"
        ),
        lambda who, p, b: medication_add(
            actor=who["nurse"], patient_id=p.pk, name="Aspirin", drug="aspirin"
        ),
        lambda who, p, b: services.policy_update(
            actor=who["admin"], overrides={"sir-2019.inr.high-risk": {"inr_max": 1.8}}
        ),
        lambda who, p, b: finding_acknowledge_inr(who["attending"], b),
    ],
    ids=["preparation", "medication", "policy", "acknowledgement"],
)
def test_every_input_is_seen_on_the_next_read(attending, personas, patient, change):
    booking = nearly_ready(attending, patient)
    before = readiness_detail(booking_id=booking.pk).snapshot.fingerprint
    change(personas, patient, booking)
    after = readiness_detail(booking_id=booking.pk).snapshot.fingerprint
    assert after != before


def finding_acknowledge_inr(attending, booking):
    return services.finding_acknowledge(
        actor=attending, booking_id=booking.pk, rule_id="sir-2019.inr.high-risk", reason="POC INR"
    )


def test_policy_refuses_out_of_range_values_with_the_cores_message(personas):
    admin = personas["admin"]
    with pytest.raises(ValidationFailed) as exc:
        services.policy_update(actor=admin, overrides={"sir-2019.inr.high-risk": {"inr_max": 2.5}})
    expected = core_messages.POLICY_OUT_OF_RANGE.format(
        rule_id="sir-2019.inr.high-risk",
        param="inr_max",
        value=2.5,
        low="1.5",
        high="1.8",
        unit="INR",
    )
    assert exc.value.errors == {"sir-2019.inr.high-risk.inr_max": [expected]}
    with pytest.raises(Forbidden):
        services.policy_update(actor=personas["attending"], overrides={})


def test_a_site_choice_changes_the_verdict_and_is_audited(personas, attending, patient):
    booking = nearly_ready(attending, patient)
    lab(attending, patient, "inr", "1.7")
    assert booking_readiness(actor=attending, booking_id=booking.pk).state == "not_ready"
    row = services.policy_value_set(
        actor=personas["admin"], rule_id="sir-2019.inr.high-risk", param="inr_max", value=1.8
    )
    assert row.overrides == {"sir-2019.inr.high-risk": {"inr_max": 1.8}}
    assert booking_readiness(actor=attending, booking_id=booking.pk).state == "ready"
    entry = LogEntry.objects.get_for_object(row).latest("timestamp")
    assert entry.actor == personas["admin"]
    assert "inr_max" in str(entry.changes)


def test_the_sign_in_snapshot_is_kept_as_it_was(attending, patient):
    booking = nearly_ready(attending, patient)
    snap = services.readiness_sign_in_snapshot(actor=attending, booking_id=booking.pk)
    assert snap.kind == SnapshotKind.SIGN_IN and snap.effective_state == "not_ready"
    lab(attending, patient, "inr", "1.0")
    assert booking_readiness(actor=attending, booking_id=booking.pk).state == "ready"
    kept = ReadinessSnapshot.objects.get(pk=snap.pk)
    assert kept.effective_state == "not_ready"
    kept.state = "ready"
    with pytest.raises(Conflict):
        kept.save()
    with pytest.raises(Conflict):
        kept.delete()
    assert services.readiness_sign_in_snapshot(actor=attending, booking_id=booking.pk) == snap


def test_referrers_see_only_their_patients_readiness(referrer, attending, patient):
    from irflow.lib.errors import NotFound
    from irflow.patients.models import CareRelation

    booking = booking_for(attending, patient)
    with pytest.raises(NotFound):
        booking_readiness(actor=referrer, booking_id=booking.pk)
    CareRelation.objects.create(patient=patient, clinician=referrer)
    assert booking_readiness(actor=referrer, booking_id=booking.pk).state == "not_ready"


def test_preparation_refuses_bad_values(nurse, attending, patient):
    booking = booking_for(attending, patient)
    with pytest.raises(ValidationFailed) as exc:
        services.preparation_update(
            actor=nurse,
            booking_id=booking.pk,
            sedation="heavy",
            last_clear_fluids_at=timezone.now() + timedelta(hours=2),
        )
    assert set(exc.value.errors) == {"sedation", "last_clear_fluids_at"}
    assert exc.value.errors["last_clear_fluids_at"] == [services.MSG_IN_FUTURE]
