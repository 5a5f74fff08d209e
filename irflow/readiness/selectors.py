"""Reads of readiness: permission-checked, access-logged, computed from the facts as they are
now (see `irflow.readiness.engine`; a read never writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import OWN, require
from irflow.audit.services import access_log_record
from irflow.clinical import (
    CaseInput,
    InputError,
    SitePolicy,
    evaluate,
    rule,
    ruleset,
    rulesets,
)
from irflow.clinical.rules import UnknownRuleError
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.patients.models import CareRelation, Medication
from irflow.readiness import engine
from irflow.readiness.engine import Readiness
from irflow.readiness.models import (
    LETTERHEAD_FIELDS,
    Acknowledgement,
    Preparation,
    ReadinessSnapshot,
    SnapshotKind,
)
from irflow.readiness.policy import policy_settings, site_policy
from irflow.scheduling.models import Booking

MSG_BOOKING_NOT_FOUND = "No such booking, or you may not see this patient's bookings."
MSG_RULESET_NOT_FOUND = "No rule set {ruleset_id!r}."


def booking_get(*, actor: Actor, booking_id: int, action: str, what: str) -> Booking:
    """One booking `actor` may act on (`action`), its read written to the access log."""
    scope = require(actor, action)
    booking = (
        Booking.objects.select_related("order__procedure_type", "patient", "room")
        .filter(pk=booking_id, patient__is_active=True)
        .first()
    )
    if booking is None:
        raise NotFound(MSG_BOOKING_NOT_FOUND)
    if (
        scope is OWN
        and not CareRelation.objects.filter(
            patient_id=booking.patient_id, clinician=person(actor)
        ).exists()
    ):
        raise NotFound(MSG_BOOKING_NOT_FOUND)
    access_log_record(actor=actor, patient=booking.patient, what=f"{what} (booking {booking.pk})")
    return booking


@dataclass
class BookingReadiness:
    """Everything the readiness page, the panel and the API show for one booking."""

    booking: Booking
    snapshot: Readiness  # the current evaluation
    data: dict[str, Any]
    preparation: Preparation
    antithrombotics: list[Medication]
    last_doses: dict[int, datetime]
    sign_in: ReadinessSnapshot | None
    policy: SitePolicy

    @property
    def state(self) -> str:
        return self.snapshot.effective_state

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.data["findings"]

    @property
    def findings_by_urgency(self) -> list[dict[str, Any]]:
        """Open findings first (action needed, missing data, warnings), passes last."""
        order = {"action_needed": 0, "missing_data": 1, "warning": 2, "pass": 3}
        return sorted(
            self.findings, key=lambda f: (bool(f.get("acknowledgement")), order[f["status"]])
        )

    @property
    def rule_sets_used(self) -> dict[str, str]:
        """Versions of the rule sets the findings come from."""
        return {f["rule_set"]: f["rule_set_version"] for f in self.findings}


def booking_readiness(
    *, actor: Actor, booking_id: int, now: datetime | None = None, what: str = "readiness"
) -> BookingReadiness:
    """One booking's readiness now."""
    booking_get(actor=actor, booking_id=booking_id, action="readiness.view", what=what)
    return readiness_detail(booking_id=booking_id, now=now)


def readiness_detail(*, booking_id: int, now: datetime | None = None) -> BookingReadiness:
    """As `booking_readiness`, for callers that checked permission and logged the read."""
    policy = site_policy()
    (booking,) = engine.bookings_with_facts([booking_id])
    snapshot = engine.readiness_current([booking], now=now, policy=policy)[booking.pk]
    prep = engine.preparation_for(booking)
    meds = list(
        Medication.objects.filter(
            patient_id=booking.patient_id, active=True, is_antithrombotic=True
        )
    )
    last = {d.medication_id: d.taken_at for d in prep.last_doses.all()} if prep.pk else {}
    sign_in = ReadinessSnapshot.objects.filter(booking=booking, kind=SnapshotKind.SIGN_IN).first()
    return BookingReadiness(
        booking=booking,
        snapshot=snapshot,
        data=snapshot.evaluation,
        preparation=prep,
        antithrombotics=meds,
        last_doses=last,
        sign_in=sign_in,
        policy=policy,
    )


def readiness_for_bookings(
    *, bookings: list[Booking], now: datetime | None = None, fresh: bool = False
) -> dict[int, Readiness]:
    """Readiness of many bookings now (for the board): the caller checked permission and
    logged the read. A fixed number of queries whatever the number of bookings.

    `fresh`: the bookings were just loaded, with their patient, room and order's procedure
    type; what the engine reads on them is attached to them rather than loading them again."""
    if not bookings:
        return {}
    if fresh:
        return engine.readiness_current(with_facts(bookings), now=now)
    return engine.readiness_current(engine.bookings_with_facts([b.pk for b in bookings]), now=now)


def with_facts(bookings: list[Booking]) -> list[Booking]:
    """These bookings (loaded with their patient, room and order's procedure type) with what
    the engine reads on them attached — the preparation, the acknowledgements — in two
    queries, instead of loading them all again."""
    prefetch_related_objects(
        bookings,
        "preparation",
        Prefetch(
            "readiness_acknowledgements",
            queryset=Acknowledgement.objects.select_related("acknowledged_by"),
        ),
    )
    return bookings


def case_evaluate(*, actor: Actor, case: CaseInput, now: datetime | None = None) -> dict[str, Any]:
    """Evaluate a case sent by another system (no patient record is read or written)."""
    require(actor, "readiness.evaluate")
    try:
        evaluation = evaluate(case, now=now or timezone.now(), policy=site_policy())
    except InputError as exc:
        raise ValidationFailed({exc.field: str(exc)}) from exc
    return engine.with_rules(evaluation.to_dict())


def rulesets_list(*, actor: Actor) -> list[dict[str, Any]]:
    """Every rule set, each rule with its source, confidence and site values."""
    require(actor, "ruleset.view")
    policy = site_policy()
    return [_ruleset_data(rs.id, policy) for rs in rulesets()]


def ruleset_get(*, actor: Actor, ruleset_id: str) -> dict[str, Any]:
    """One rule set with its rules, sources, confidence and site values."""
    require(actor, "ruleset.view")
    try:
        return _ruleset_data(ruleset_id, site_policy())
    except UnknownRuleError:
        raise NotFound(MSG_RULESET_NOT_FOUND.format(ruleset_id=ruleset_id)) from None


def _ruleset_data(ruleset_id: str, policy: SitePolicy) -> dict[str, Any]:
    data = ruleset(ruleset_id).to_dict()
    for r in data["rules"]:
        r["rule_id"] = r["id"]
        resolved = policy.values_for(r["id"])
        for name, value in r["values"].items():
            site = resolved[name].to_dict()
            value["site_value"] = site["value"]
            value["origin"] = site["origin"]
            value["site_default"] = site["site_default"]
    return data


def policy_view(*, actor: Actor) -> dict[str, Any]:
    """The site policy: overrides, time zone, and every configurable value with its origin."""
    require(actor, "ruleset.view")
    row = policy_settings()
    policy = site_policy(row)
    values = []
    for rs in rulesets():
        for r in rs.rules:
            for name, spec in r.values.items():
                if not (spec.configurable or spec.kind == "range"):
                    continue
                resolved = policy.resolve(r.id, name)
                values.append(
                    {
                        **resolved.to_dict(),
                        "kind": spec.kind,
                        "title": r.title,
                        "rule_set": r.rule_set,
                        "rule_set_version": r.rule_set_version,
                        "source": r.source,
                        "confidence": r.confidence,
                        "choices": list(spec.choices) if spec.choices else None,
                        "allowed": list(spec.allowed) if spec.allowed else None,
                        "note": spec.note,
                    }
                )
    return {
        "overrides": policy.to_mapping(),
        "timezone": policy.timezone,
        "arrival_lead_min": row.arrival_lead_min,
        "letterhead": {f: getattr(row, f) for f in LETTERHEAD},
        "version": row.version,
        "updated_at": row.updated_at,
        "values": values,
    }


LETTERHEAD = LETTERHEAD_FIELDS


def rule_info(rule_id: str) -> dict[str, Any]:
    """Source and confidence of one rule (for templates)."""
    r = rule(rule_id)
    return {
        "id": r.id,
        "title": r.title,
        "rule_set": r.rule_set,
        "rule_set_version": r.rule_set_version,
        "source": r.source,
        "confidence": r.confidence,
        "site_default": r.site_default,
    }
