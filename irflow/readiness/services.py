"""Writes of readiness: preparation, last doses, acknowledgements, site policy, snapshots."""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person, person_only
from irflow.accounts.permissions import require
from irflow.clinical import PolicyError, SitePolicy
from irflow.clinical.bleeding import CATEGORY
from irflow.clinical.inputs import (
    ARTERIAL_ACCESSES,
    CONSENT_STATES,
    CONTRAST_ROUTES,
    PREMEDICATION_REGIMENS,
    SEDATION_LEVELS,
    THROMBOTIC_RISKS,
)
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.versions import save_fields
from irflow.patients.models import Medication
from irflow.readiness import engine
from irflow.readiness.logo import Upload, logo_check
from irflow.readiness.models import (
    INTAKE_FIELDS,
    LETTERHEAD_FIELDS,
    Acknowledgement,
    Anuric,
    LastDose,
    PolicySettings,
    Preparation,
    ReadinessSnapshot,
    SnapshotKind,
    Stay,
)
from irflow.readiness.policy import policy_settings, site_policy
from irflow.readiness.selectors import booking_get
from irflow.scheduling.models import Booking

MSG_NAIVE = "Give the time with its time zone."
MSG_IN_FUTURE = "This time is in the future."
MSG_NOT_A_CHOICE = "“{value}” is not one of: {choices}."
MSG_UNKNOWN_FIELD = "This field cannot be changed here."
MSG_NOT_ANTITHROMBOTIC = "Last doses are recorded for this patient's antithrombotics only."
MSG_REASON_REQUIRED = "Give the reason for overriding this finding."
MSG_NO_SUCH_FINDING = "This finding is not in the current evaluation (it may have changed)."
MSG_PASSED_NEEDS_NO_ACK = "A passed finding needs no acknowledgement."
MSG_ALREADY_ACKNOWLEDGED = "This finding was already acknowledged."
MSG_CHOOSE_RISK = (
    "Record the bleeding-risk category instead: readiness cannot pass until the operator chooses."
)
MSG_AMBIGUOUS_RULE = "This rule has several findings; name the finding by its key."
MSG_ARRIVAL = "Arrival lead time must be between 0 and 480 minutes."
MSG_POLICY_VALUE = "Give a value."
MSG_TOO_LONG = "At most {limit} characters."
# A small allowance for clock differences between devices.
FUTURE_GRACE = timedelta(minutes=5)

# Field -> the values it takes (the core's vocabularies; blank is "not recorded").
CHOICES: dict[str, tuple[str, ...]] = {
    "sedation": SEDATION_LEVELS,
    "contrast_route": CONTRAST_ROUTES,
    "premedication": PREMEDICATION_REGIMENS,
    "access_site": ARTERIAL_ACCESSES,
    "consent": CONSENT_STATES,
    "anuric": tuple(v for v in Anuric.values if v),
    "stay": tuple(v for v in Stay.values if v),
    "thrombotic_risk": THROMBOTIC_RISKS,
}
FLAGS = ("medications_confirmed", "allergies_confirmed", "intake_asked")
PREPARATION_FIELDS = (*CHOICES, *FLAGS, *INTAKE_FIELDS.values())


def _check_past(field: str, value: datetime | None, now: datetime) -> None:
    if value is None:
        return
    if timezone.is_naive(value):
        raise ValidationFailed({field: MSG_NAIVE})
    if value > now + FUTURE_GRACE:
        raise ValidationFailed({field: MSG_IN_FUTURE})


@transaction.atomic
def preparation_update(*, actor: Actor, booking_id: int, **changes: Any) -> Preparation:
    """Record the booking's preparation (sedation, contrast, consent, intake, …); blank
    values mean "not recorded"."""
    booking = booking_get(
        actor=actor, booking_id=booking_id, action="preparation.edit", what="preparation"
    )
    unknown = set(changes) - set(PREPARATION_FIELDS)
    if unknown:
        raise ValidationFailed(dict.fromkeys(sorted(unknown), MSG_UNKNOWN_FIELD))
    errors: dict[str, str] = {}
    now = timezone.now()
    for field, value in changes.items():
        if field in CHOICES:
            value = value or ""
            if value and value not in CHOICES[field]:
                allowed = ", ".join(CHOICES[field])
                errors[field] = MSG_NOT_A_CHOICE.format(value=value, choices=allowed)
            changes[field] = value
        elif field in FLAGS:
            changes[field] = bool(value)
        else:
            try:
                _check_past(field, value, now)
            except ValidationFailed as exc:
                errors[field] = exc.errors[field][0]
    if errors:
        raise ValidationFailed(errors)
    prep = Preparation.objects.select_for_update().filter(
        booking=booking
    ).first() or engine.preparation_for(booking)
    if "premedication" in changes and changes["premedication"] != prep.premedication:
        # The patient can take no dose before this moment: the schedule is judged from it.
        prep.premedication_planned_at = now if changes["premedication"] else None
    for field, value in changes.items():
        setattr(prep, field, value)
    if any(changes.get(f) for f in INTAKE_FIELDS.values()):
        prep.intake_asked = True
    prep.updated_by = person(actor)
    with history_actor(actor):
        if prep.pk is None:
            prep.save()
        else:  # only what changed, on the locked row
            save_fields(prep, *changes, "premedication_planned_at", "intake_asked", "updated_by")
    return prep


@transaction.atomic
def last_dose_record(
    *, actor: Actor, booking_id: int, medication_id: int, taken_at: datetime
) -> LastDose:
    """Record when the patient last took one of their antithrombotics."""
    booking = booking_get(
        actor=actor, booking_id=booking_id, action="preparation.edit", what="last dose"
    )
    medication = Medication.objects.filter(
        pk=medication_id, patient_id=booking.patient_id, is_antithrombotic=True
    ).first()
    if medication is None:
        raise ValidationFailed({"medication_id": MSG_NOT_ANTITHROMBOTIC})
    _check_past("taken_at", taken_at, timezone.now())
    prep = Preparation.objects.filter(booking=booking).first()
    with history_actor(actor):
        if prep is None:
            prep = engine.preparation_for(booking)
            prep.updated_by = person(actor)
            prep.save()
        dose = LastDose.objects.filter(preparation=prep, medication=medication).first()
        if dose is None:
            dose = LastDose(preparation=prep, medication=medication)
        dose.taken_at = taken_at
        dose.recorded_by = person(actor)
        dose.save()
    return dose


@transaction.atomic
def finding_acknowledge(
    *,
    actor: Actor,
    booking_id: int,
    reason: str,
    finding_key: str = "",
    rule_id: str = "",
) -> Acknowledgement:
    """A physician overrides one finding of the current evaluation, giving the reason."""
    require(actor, "readiness.acknowledge")
    booking_get(
        actor=actor, booking_id=booking_id, action="readiness.acknowledge", what="acknowledge"
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": MSG_REASON_REQUIRED})
    _, _, data, _ = engine.evaluate_booking(
        Booking.objects.get(pk=booking_id), now=timezone.now(), policy=site_policy()
    )
    candidates = [
        f
        for f in data["findings"]
        if (finding_key and f["key"] == finding_key)
        or (not finding_key and f["rule_id"] == rule_id)
    ]
    if not candidates:
        raise NotFound(MSG_NO_SUCH_FINDING, code="no_such_finding")
    if len(candidates) > 1:
        raise ValidationFailed({"finding_key": MSG_AMBIGUOUS_RULE})
    (finding,) = candidates
    if finding["status"] == "pass":
        raise ValidationFailed({"finding_key": MSG_PASSED_NEEDS_NO_ACK})
    if finding["rule_id"] == CATEGORY:
        raise ValidationFailed({"finding_key": MSG_CHOOSE_RISK})
    if finding["acknowledgement"] is not None:
        raise Conflict(MSG_ALREADY_ACKNOWLEDGED, code="already_acknowledged")
    with history_actor(actor):
        return Acknowledgement.objects.create(
            booking_id=booking_id,
            rule_id=finding["rule_id"],
            finding_key=finding["key"],
            status=finding["status"],
            message=finding["message"],
            reason=reason[:500],
            acknowledged_by=person_only(actor),
        )


@transaction.atomic
def readiness_sign_in_snapshot(*, actor: Actor, booking_id: int) -> ReadinessSnapshot:
    """Keep the readiness at sign-in, as it was, for good (once per booking)."""
    existing = ReadinessSnapshot.objects.filter(
        booking_id=booking_id, kind=SnapshotKind.SIGN_IN
    ).first()
    if existing is not None:
        return existing
    (booking,) = engine.bookings_with_facts([booking_id])
    current = engine.readiness_current([booking])[booking_id]
    return ReadinessSnapshot.objects.create(
        booking_id=booking_id,
        kind=SnapshotKind.SIGN_IN,
        state=current.state,
        effective_state=current.effective_state,
        blocking=current.blocking,
        emergent=current.emergent,
        evaluation=copy.deepcopy(current.evaluation),
        rule_sets=current.rule_sets,
        fingerprint=current.fingerprint,
        evaluated_at=current.evaluated_at,
        valid_until=None,
        created_by=person(actor),
    )


# ------------------------------------------------------------------ site policy


def _validated(overrides: dict[str, Any]) -> SitePolicy:
    from django.conf import settings

    try:
        return SitePolicy.from_mapping(overrides, timezone=settings.TIME_ZONE)
    except PolicyError as exc:
        field = f"{exc.rule_id}.{exc.param}" if exc.param != "*" else exc.rule_id
        raise ValidationFailed({field: str(exc)}, message=str(exc)) from exc


@transaction.atomic
def policy_update(
    *,
    actor: Actor,
    overrides: dict[str, Any] | None = None,
    arrival_lead_min: int | None = None,
    letterhead: dict[str, str] | None = None,
) -> PolicySettings:
    """Replace the site's overrides (validated by the core: out-of-range values are refused),
    the arrival lead time or the letterhead (hospital, department, phone, address)."""
    require(actor, "policy.manage")
    PolicySettings.objects.get_or_create(pk=policy_settings().pk)
    row = PolicySettings.objects.select_for_update().get(pk=policy_settings().pk)
    if overrides is not None:
        row.overrides = _validated(overrides).to_mapping()
    if arrival_lead_min is not None:
        if not 0 <= arrival_lead_min <= 480:
            raise ValidationFailed({"arrival_lead_min": MSG_ARRIVAL})
        row.arrival_lead_min = arrival_lead_min
    if letterhead is not None:
        require(actor, "department.manage")
        _letterhead_set(row, letterhead)
    row.version += 1
    row.updated_by = person(actor)
    with history_actor(actor):
        row.save()
    return row


def _letterhead_set(row: PolicySettings, letterhead: dict[str, str]) -> None:
    unknown = set(letterhead) - set(LETTERHEAD_FIELDS)
    if unknown:
        raise ValidationFailed(dict.fromkeys(sorted(unknown), MSG_UNKNOWN_FIELD))
    errors = {}
    for field, value in letterhead.items():
        limit = getattr(PolicySettings._meta.get_field(field), "max_length", 0) or 0
        value = (value or "").strip()
        if len(value) > limit:
            errors[field] = MSG_TOO_LONG.format(limit=limit)
        setattr(row, field, value)
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def department_update(
    *,
    actor: Actor,
    letterhead: dict[str, str],
    logo: Upload | None = None,
    remove_logo: bool = False,
) -> PolicySettings:
    """The department as letters and reports name it: hospital and department names, address,
    phone numbers (the letterhead) and the logo (a PNG or JPEG, checked by its content)."""
    require(actor, "department.manage")
    PolicySettings.objects.get_or_create(pk=policy_settings().pk)
    row = PolicySettings.objects.select_for_update().get(pk=policy_settings().pk)
    errors: dict[str, list[str]] = {}
    try:
        _letterhead_set(row, letterhead)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if logo is not None:
        checked = logo_check(logo)
        if isinstance(checked, str):
            errors["logo"] = [checked]
        else:
            row.logo, row.logo_content_type = checked.content, checked.content_type
            row.logo_sha256 = hashlib.sha256(checked.content).hexdigest()
    elif remove_logo:
        row.logo, row.logo_content_type, row.logo_sha256 = b"", "", ""
    if errors:
        raise ValidationFailed(errors)
    row.version += 1
    row.updated_by = person(actor)
    with history_actor(actor):
        row.save()
    return row


def policy_value_set(*, actor: Actor, rule_id: str, param: str, value: Any) -> PolicySettings:
    """Set one value of the site policy (None: back to the published value)."""
    row = policy_settings()
    overrides = copy.deepcopy(row.overrides or {})
    if value is None or value == "":
        overrides.get(rule_id, {}).pop(param, None)
        if rule_id in overrides and not overrides[rule_id]:
            del overrides[rule_id]
    else:
        overrides.setdefault(rule_id, {})[param] = value
    return policy_update(actor=actor, overrides=overrides)
