"""Evaluate bookings: load their facts in bulk and ask the core. Reads never write.

Readiness is computed on read, from the facts as they are now. No permission checks here:
selectors and services call this after checking them. Each process keeps the evaluations it
made in a small cache, keyed by booking and by a fingerprint of every input (the facts, the
policy, the rule-set versions, the acknowledgements); an entry is used only while the clock is
before its `valid_until` (the next moment the verdict can change with time alone — a hold
window opening, …). So a changed fact is seen on the next read, whoever changed it and however
(a form, the API, an HL7 message, a bulk update), and nothing is stored to go stale. The one
stored evaluation is the sign-in snapshot, kept as it was, for good.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from irflow.clinical import CaseInput, Evaluation, SitePolicy, evaluate, rule
from irflow.clinical.contrast import REGIMEN_RULES
from irflow.clinical.findings import STATE_RANK, effective_state, finding_key
from irflow.clinical.timeutil import utc
from irflow.patients.models import Allergy, Condition, LabResult, Medication
from irflow.readiness.mapping import Facts, case_input, fingerprint, lab_window_start
from irflow.readiness.mapping import preparation_defaults as _defaults
from irflow.readiness.models import Acknowledgement, LastDose, Preparation
from irflow.readiness.policy import site_policy
from irflow.scheduling.models import Booking

# The accelerated IV regimen starts "now": its times move with the clock.
ACCELERATED_REFRESH = timedelta(minutes=10)


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
    evaluation: Evaluation, acknowledgements: Iterable[Acknowledgement]
) -> dict[str, Any]:
    """The evaluation as data, each finding with its key and its acknowledgement (if any),
    and the state the findings add up to with them (the core's `effective_state`: an
    overridden case is at best "needs review"). An emergent case is flagged, never blocked."""
    data = with_rules(evaluation.to_dict())
    by_key = {a.finding_key: a for a in acknowledgements}
    for finding, shown in zip(evaluation.findings, data["findings"], strict=True):
        key = finding_key(finding)
        ack = by_key.get(key)
        shown["key"] = key
        shown["acknowledgement"] = (
            {
                "by": str(ack.acknowledged_by),
                "at": ack.acknowledged_at.isoformat() if ack.acknowledged_at else None,
                "reason": ack.reason,
            }
            if ack
            else None
        )
    data["effective_state"] = effective_state(evaluation.findings, by_key.keys())
    data["effective_blocking"] = (
        data["effective_state"] == "not_ready" and not data["emergent_override"]
    )
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


@dataclass(frozen=True)
class Readiness:
    """One booking's readiness as evaluated at `evaluated_at` (not stored)."""

    booking_id: int
    state: str  # the rules' verdict
    effective_state: str  # with physicians' acknowledgements applied
    blocking: bool
    emergent: bool
    evaluation: dict[str, Any]
    rule_sets: dict[str, str]
    fingerprint: str
    evaluated_at: datetime
    valid_until: datetime | None

    def fresh_at(self, now: datetime) -> bool:
        return self.evaluated_at <= now and (self.valid_until is None or now < self.valid_until)

    @property
    def open_findings(self) -> list[dict[str, Any]]:
        """Findings that are not a pass and that no physician acknowledged."""
        return [
            f
            for f in self.evaluation["findings"]
            if f["status"] != "pass" and not f.get("acknowledgement")
        ]


class _Cache:
    """Evaluations this process made, by (booking, fingerprint); bounded, thread-safe."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[int, str], Readiness] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, booking_id: int, print_: str, now: datetime) -> Readiness | None:
        with self.lock:
            found = self.entries.get((booking_id, print_))
            if found is None or not found.fresh_at(now):
                return None
            self.entries.move_to_end((booking_id, print_))
            return found

    def put(self, readiness: Readiness) -> None:
        with self.lock:
            self.entries[(readiness.booking_id, readiness.fingerprint)] = readiness
            self.entries.move_to_end((readiness.booking_id, readiness.fingerprint))
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


CACHE = _Cache()


def readiness_current(
    bookings: Sequence[Booking], *, now: datetime | None = None, policy: SitePolicy | None = None
) -> dict[int, Readiness]:
    """The readiness of each booking now, in a fixed number of queries (nothing is written).

    `bookings` should come from `bookings_with_facts` (else each is reloaded).
    """
    now = now or timezone.now()
    policy = policy or site_policy()
    if any(not _has_facts(b) for b in bookings):
        bookings = bookings_with_facts([b.pk for b in bookings])
    all_facts = facts_for(bookings, policy)
    result: dict[int, Readiness] = {}
    for booking in bookings:
        acks = list(booking.readiness_acknowledgements.all())
        case = case_input(all_facts[booking.pk])
        print_ = fingerprint(case, policy, (a.finding_key for a in acks))
        cached = CACHE.get(booking.pk, print_, now)
        if cached is None:
            cached = _evaluated(booking.pk, case, print_, acks, policy=policy, now=now)
            CACHE.put(cached)
        result[booking.pk] = cached
    return result


def _has_facts(booking: Booking) -> bool:
    cache = getattr(booking, "_prefetched_objects_cache", {})
    return "readiness_acknowledgements" in cache


def evaluate_booking(
    booking: Booking, *, now: datetime, policy: SitePolicy
) -> tuple[CaseInput, Evaluation, dict[str, Any], str]:
    """Evaluate one booking now, without the cache: (input, evaluation, data, fingerprint)."""
    (loaded,) = bookings_with_facts([booking.pk])
    case = case_input(facts_for([loaded], policy)[loaded.pk])
    acks = list(loaded.readiness_acknowledgements.all())
    evaluation = evaluate(case, now=now, policy=policy)
    data = apply_acknowledgements(evaluation, acks)
    return case, evaluation, data, fingerprint(case, policy, (a.finding_key for a in acks))


def _evaluated(
    booking_id: int,
    case: CaseInput,
    print_: str,
    acks: list[Acknowledgement],
    *,
    policy: SitePolicy,
    now: datetime,
) -> Readiness:
    evaluation = evaluate(case, now=now, policy=policy)
    data = apply_acknowledgements(evaluation, acks)
    return Readiness(
        booking_id=booking_id,
        state=evaluation.state,
        effective_state=data["effective_state"],
        blocking=data["effective_blocking"],
        emergent=evaluation.emergent_override,
        evaluation=data,
        rule_sets=dict(evaluation.rule_sets),
        fingerprint=print_,
        evaluated_at=now,
        valid_until=valid_until(case, evaluation, now),
    )


def state_rank(state: str) -> int:
    return STATE_RANK[state]  # type: ignore[index]
