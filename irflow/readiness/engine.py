"""Evaluate bookings: load their facts in bulk, ask the core, keep the snapshot fresh.

No permission checks here: selectors and services call this after checking them. A stored
snapshot is used only while it is fresh — same fingerprint (inputs, policy, rule-set versions,
acknowledgements) and not past `valid_until` — otherwise the booking is evaluated again and
the snapshot replaced, so no page ever shows an outdated result.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from irflow.clinical import CaseInput, Evaluation, SitePolicy, evaluate, rule
from irflow.clinical.contrast import REGIMEN_RULES
from irflow.clinical.findings import STATE_RANK
from irflow.clinical.timeutil import utc
from irflow.patients.models import Allergy, Condition, LabResult, Medication
from irflow.readiness.mapping import Facts, case_input, fingerprint, lab_window_start
from irflow.readiness.mapping import preparation_defaults as _defaults
from irflow.readiness.models import (
    Acknowledgement,
    LastDose,
    Preparation,
    ReadinessSnapshot,
    SnapshotKind,
)
from irflow.readiness.policy import site_policy
from irflow.scheduling.models import Booking

# The accelerated IV regimen starts "now": its times move with the clock.
ACCELERATED_REFRESH = timedelta(minutes=10)
# What an acknowledged finding counts as when the findings add up to a state.
ACKNOWLEDGED_STATUS = {
    "pass": "pass",
    "warning": "pass",
    "action_needed": "warning",
    "missing_data": "warning",
}
STATUS_STATE = {
    "pass": "ready",
    "warning": "needs_review",
    "missing_data": "not_ready",
    "action_needed": "not_ready",
}


def finding_key(rule_id: str, status: str, message: str) -> str:
    """Names one finding as it is: an acknowledgement applies to this exact finding."""
    return hashlib.sha256(f"{rule_id}\n{status}\n{message}".encode()).hexdigest()[:32]


def preparation_for(booking: Booking) -> Preparation:
    """The booking's preparation, or an unsaved one with the catalogue's defaults."""
    try:
        return booking.preparation
    except Preparation.DoesNotExist:
        return Preparation(booking=booking, **_defaults(booking.order.procedure_type))


def bookings_with_facts(ids: Iterable[int]) -> list[Booking]:
    """Bookings with everything `facts_for` reads, in a fixed number of queries."""
    return list(
        Booking.objects.filter(pk__in=list(ids))
        .select_related("order__procedure_type", "patient", "preparation", "room")
        .prefetch_related(
            Prefetch(
                "readiness_acknowledgements",
                queryset=Acknowledgement.objects.select_related("acknowledged_by"),
            ),
            Prefetch(
                "readiness_snapshots",
                queryset=ReadinessSnapshot.objects.filter(kind=SnapshotKind.CURRENT),
                to_attr="current_snapshots",
            ),
        )
    )


def facts_for(bookings: Sequence[Booking], policy: SitePolicy) -> dict[int, Facts]:
    """Load labs, medications, allergies, conditions and last doses for many bookings."""
    patient_ids = {b.patient_id for b in bookings}
    earliest = min((lab_window_start(b.start, policy) for b in bookings), default=None)
    labs: dict[int, list[LabResult]] = defaultdict(list)
    if earliest is not None:
        for lab in LabResult.objects.filter(patient_id__in=patient_ids, collected_at__gte=earliest):
            labs[lab.patient_id].append(lab)
    meds: dict[int, list[Medication]] = defaultdict(list)
    for med in Medication.objects.filter(patient_id__in=patient_ids, active=True):
        meds[med.patient_id].append(med)
    allergies: dict[int, list[Allergy]] = defaultdict(list)
    for allergy in Allergy.objects.filter(patient_id__in=patient_ids, is_active=True):
        allergies[allergy.patient_id].append(allergy)
    conditions: dict[int, list[Condition]] = defaultdict(list)
    for condition in Condition.objects.filter(patient_id__in=patient_ids, active=True):
        conditions[condition.patient_id].append(condition)
    doses: dict[int, list[LastDose]] = defaultdict(list)
    for dose in LastDose.objects.filter(preparation__booking__in=[b.pk for b in bookings]):
        doses[dose.preparation_id].append(dose)
    result = {}
    for b in bookings:
        prep = preparation_for(b)
        result[b.pk] = Facts(
            booking=b,
            preparation=prep,
            labs=tuple(sorted(labs[b.patient_id], key=lambda lab: (lab.collected_at, lab.pk))),
            medications=tuple(sorted(meds[b.patient_id], key=lambda m: m.pk)),
            allergies=tuple(sorted(allergies[b.patient_id], key=lambda a: a.pk)),
            conditions=tuple(sorted(conditions[b.patient_id], key=lambda c: c.pk)),
            last_doses=tuple(doses.get(prep.pk, ())) if prep.pk else (),
        )
    return result


@dataclass
class Computed:
    """One booking's evaluation, ready to store or show."""

    case: CaseInput
    fingerprint: str
    evaluation: Evaluation | None


def with_rules(data: dict[str, Any]) -> dict[str, Any]:
    """Add source and confidence to every part of an evaluation that names a rule."""
    for dose in data.get("premedication") or []:
        _add_rule(dose)
    if data.get("fasting"):
        _add_rule(data["fasting"])
    for item in data.get("medication_plan") or []:
        item["site_default"] = item.get("confidence") == "U"
    for f in data.get("findings") or []:
        f["site_default"] = f.get("confidence") == "U"
    return data


def _add_rule(part: dict[str, Any]) -> None:
    r = rule(part["rule_id"])
    part.update(
        rule_set=r.rule_set,
        rule_set_version=r.rule_set_version,
        source=r.source,
        confidence=r.confidence,
        verified=r.verified,
        site_default=r.site_default,
    )


def apply_acknowledgements(
    data: dict[str, Any], acknowledgements: Iterable[Acknowledgement]
) -> dict[str, Any]:
    """Mark acknowledged findings and work out the state they add up to.

    An acknowledged warning counts as a pass; an acknowledged "action needed" or "missing
    data" counts as a warning — never as a pass, so an overridden case is at best "needs
    review". An emergent case is flagged, never blocked.
    """
    by_key = {a.finding_key: a for a in acknowledgements}
    worst = "ready"
    for f in data["findings"]:
        key = finding_key(f["rule_id"], f["status"], f["message"])
        ack = by_key.get(key)
        f["key"] = key
        f["acknowledgement"] = (
            {
                "by": str(ack.acknowledged_by),
                "at": ack.acknowledged_at.isoformat() if ack.acknowledged_at else None,
                "reason": ack.reason,
            }
            if ack
            else None
        )
        counted = ACKNOWLEDGED_STATUS[f["status"]] if ack else f["status"]
        state = STATUS_STATE[counted]
        if STATE_RANK[state] > STATE_RANK[worst]:  # type: ignore[index]
            worst = state
    data["effective_state"] = worst
    data["effective_blocking"] = worst == "not_ready" and not data["emergent_override"]
    return data


def valid_until(case: CaseInput, evaluation: Evaluation, now: datetime) -> datetime | None:
    """The next moment the verdict can change with time alone, or None if it cannot."""
    moments = [case.planned_start]
    moments += [item.hold_from for item in evaluation.medication_plan if item.hold_from]
    moments += [lab.collected_at for lab in case.labs]
    moments += [m.last_dose_at for m in case.medications or () if m.last_dose_at]
    future = [m for m in moments if utc(m) > utc(now)]
    accelerated = REGIMEN_RULES["accelerated_iv"]
    if any(dose.rule_id == accelerated for dose in evaluation.premedication):
        future.append(now + ACCELERATED_REFRESH)
    return min(future, key=utc) if future else None


def is_fresh(snapshot: ReadinessSnapshot | None, print_: str, now: datetime) -> bool:
    if snapshot is None or snapshot.fingerprint != print_:
        return False
    return snapshot.valid_until is None or snapshot.valid_until > now


def readiness_current(
    bookings: Sequence[Booking], *, now: datetime | None = None, policy: SitePolicy | None = None
) -> dict[int, ReadinessSnapshot]:
    """The fresh current snapshot of each booking (evaluating and storing where stale).

    `bookings` should come from `bookings_with_facts` (else each is reloaded).
    """
    now = now or timezone.now()
    policy = policy or site_policy()
    if any(not hasattr(b, "current_snapshots") for b in bookings):
        bookings = bookings_with_facts([b.pk for b in bookings])
    all_facts = facts_for(bookings, policy)
    result: dict[int, ReadinessSnapshot] = {}
    for booking in bookings:
        acks = list(booking.readiness_acknowledgements.all())
        case = case_input(all_facts[booking.pk])
        print_ = fingerprint(case, policy, (a.finding_key for a in acks))
        current: list[ReadinessSnapshot] = getattr(booking, "current_snapshots", [])
        stored = current[0] if current else None
        if is_fresh(stored, print_, now):
            assert stored is not None
            result[booking.pk] = stored
            continue
        result[booking.pk] = _store(booking, case, print_, acks, policy=policy, now=now)
    return result


def evaluate_booking(
    booking: Booking, *, now: datetime, policy: SitePolicy
) -> tuple[CaseInput, Evaluation, dict[str, Any], str]:
    """Evaluate one booking now, without storing: (input, evaluation, data, fingerprint)."""
    (loaded,) = bookings_with_facts([booking.pk])
    case = case_input(facts_for([loaded], policy)[loaded.pk])
    acks = list(loaded.readiness_acknowledgements.all())
    evaluation = evaluate(case, now=now, policy=policy)
    data = apply_acknowledgements(with_rules(evaluation.to_dict()), acks)
    return case, evaluation, data, fingerprint(case, policy, (a.finding_key for a in acks))


def _store(
    booking: Booking,
    case: CaseInput,
    print_: str,
    acks: list[Acknowledgement],
    *,
    policy: SitePolicy,
    now: datetime,
) -> ReadinessSnapshot:
    evaluation = evaluate(case, now=now, policy=policy)
    data = apply_acknowledgements(with_rules(evaluation.to_dict()), acks)
    values = {
        "state": evaluation.state,
        "effective_state": data["effective_state"],
        "blocking": data["effective_blocking"],
        "emergent": evaluation.emergent_override,
        "evaluation": data,
        "rule_sets": dict(evaluation.rule_sets),
        "fingerprint": print_,
        "evaluated_at": now,
        "valid_until": valid_until(case, evaluation, now),
    }
    try:
        with transaction.atomic():
            snapshot, _ = ReadinessSnapshot.objects.update_or_create(
                booking=booking, kind=SnapshotKind.CURRENT, defaults=values
            )
    except IntegrityError:
        # A concurrent reader stored it first; ours is as fresh.
        snapshot = ReadinessSnapshot.objects.get(booking=booking, kind=SnapshotKind.CURRENT)
        for name, value in values.items():
            setattr(snapshot, name, value)
        snapshot.save()
    return snapshot


def state_rank(state: str) -> int:
    return STATE_RANK[state]  # type: ignore[index]
