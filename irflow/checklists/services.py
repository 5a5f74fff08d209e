"""Completing a checklist phase (checked, who was present, readiness at the time-out); the
emergency overrides of the day-of-case rules; the flags raised when a modality did what the
rules would have refused."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person, person_only
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.accounts.roles import CLINICAL_STAFF, Role
from irflow.checklists.models import (
    PHASE_ORDER,
    ChecklistRecord,
    FlagKind,
    Phase,
    SafetyFlag,
    SafetyOverride,
)
from irflow.clinical import checklist_items
from irflow.lib.db import violates
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.versions import save_fields
from irflow.readiness.selectors import booking_get, readiness_detail
from irflow.readiness.services import readiness_sign_in_snapshot

MSG_UNKNOWN_PHASE = "“{phase}” is not a checklist phase (sign_in, time_out, sign_out)."
MSG_ALREADY_DONE = "The {phase} of this booking was already completed; it cannot be changed."
MSG_PREVIOUS_FIRST = "Complete the {previous} first."
MSG_REQUIRED_ITEMS = "Confirm every required item: {items}."
MSG_NOT_CONDITIONAL = "Only items that apply in some cases can be marked not applicable: {items}."
MSG_UNKNOWN_ITEMS = "Not items of this checklist: {items}."
MSG_TEAM_PRESENT = "Record who is present: at least {count} members of the team."
MSG_TEAM_UNKNOWN = "Not active clinical staff: {ids}."
MSG_OPEN_FINDINGS = (
    "The time-out cannot be completed: readiness findings need action or an acknowledgement "
    "by a physician first ({rules})."
)
MSG_OVERRIDE_REASON = "Say why the rule is overridden (the reason is kept and shown)."
MSG_ALREADY_OVERRIDDEN = "This rule was already overridden for this booking."
MSG_FLAG_NOT_FOUND = "No such flag on this booking."
MSG_FLAG_REVIEWED = "This flag was already reviewed."
MIN_TEAM = 2
# Findings that stop a time-out until they are resolved or acknowledged.
OPEN_STATUSES = ("action_needed", "missing_data")
TEAM_ROLES = CLINICAL_STAFF | {Role.PHYSICIAN}


def open_findings(findings: Iterable[dict]) -> list[dict]:
    """Findings that need action (or data) and that no physician acknowledged."""
    return [f for f in findings if f["status"] in OPEN_STATUSES and not f.get("acknowledgement")]


@transaction.atomic
def checklist_complete(
    *,
    actor: Actor,
    booking_id: int,
    phase: str,
    done: Iterable[str],
    not_applicable: Iterable[str] = (),
    present: Iterable[int] = (),
    note: str = "",
) -> ChecklistRecord:
    """Record one phase as completed; refuses a second completion, a skipped phase, a
    missing required item, and a time-out with open readiness findings (not emergent)."""
    require(actor, "checklist.complete")
    if phase not in Phase.values:
        raise ValidationFailed({"phase": MSG_UNKNOWN_PHASE.format(phase=phase)})
    booking = booking_get(
        actor=actor, booking_id=booking_id, action="checklist.complete", what=f"{phase} checklist"
    )
    label = Phase(phase).label.lower()
    if ChecklistRecord.objects.filter(booking=booking, phase=phase).exists():
        raise Conflict(MSG_ALREADY_DONE.format(phase=label), code="already_completed")
    index = PHASE_ORDER.index(Phase(phase))
    if index > 0:
        previous = PHASE_ORDER[index - 1]
        if not ChecklistRecord.objects.filter(booking=booking, phase=previous).exists():
            raise Conflict(
                MSG_PREVIOUS_FIRST.format(previous=previous.label.lower()), code="previous_phase"
            )
    items, errors = _answers(phase, set(done), set(not_applicable))
    team: list[dict] = []
    if phase == Phase.TIME_OUT:
        team, team_error = _team(set(present))
        if team_error:
            errors["present"] = [team_error]
    if errors:
        raise ValidationFailed(errors)
    readiness = readiness_detail(booking_id=booking.pk)
    still_open = open_findings(readiness.findings)
    emergent = bool(readiness.data.get("emergent_override"))
    if phase == Phase.TIME_OUT and still_open and not emergent:
        rules = ", ".join(sorted({f["rule_id"] for f in still_open}))
        raise Conflict(MSG_OPEN_FINDINGS.format(rules=rules), code="open_findings")
    with history_actor(actor):
        if phase == Phase.SIGN_IN:
            readiness_sign_in_snapshot(actor=actor, booking_id=booking.pk)
        try:
            with transaction.atomic():
                return ChecklistRecord.objects.create(
                    booking=booking,
                    phase=phase,
                    items=items,
                    present=team,
                    readiness_state=readiness.state,
                    emergent=emergent,
                    open_findings=[
                        {k: f[k] for k in ("rule_id", "status", "message", "source", "confidence")}
                        for f in still_open
                    ]
                    if emergent
                    else [],
                    note=(note or "").strip()[:500],
                    completed_by=person_only(actor),
                )
        except IntegrityError as exc:  # completed a moment ago by someone else
            if not violates(
                exc, constraints=("checklist_once_per_phase",), unique=[("booking_id", "phase")]
            ):
                raise
            raise Conflict(MSG_ALREADY_DONE.format(phase=label), code="already_completed") from exc


def _answers(
    phase: str, done: set[str], not_applicable: set[str]
) -> tuple[list[dict], dict[str, list[str]]]:
    defined = checklist_items(phase)  # type: ignore[arg-type]
    known = {i.id for i in defined}
    errors: dict[str, list[str]] = {}
    unknown = sorted((done | not_applicable) - known)
    if unknown:
        errors.setdefault("done", []).append(MSG_UNKNOWN_ITEMS.format(items=", ".join(unknown)))
    not_conditional = sorted(i.id for i in defined if i.id in not_applicable and not i.applies_when)
    if not_conditional:
        errors["not_applicable"] = [MSG_NOT_CONDITIONAL.format(items=", ".join(not_conditional))]
    missing = [
        i.text for i in defined if i.required and i.id not in done and i.id not in not_applicable
    ]
    if missing:
        errors.setdefault("done", []).append(MSG_REQUIRED_ITEMS.format(items="; ".join(missing)))
    items = []
    for i in defined:
        answer = (
            "done" if i.id in done else "not_applicable" if i.id in not_applicable else "not_done"
        )
        items.append({**i.to_dict(), "answer": answer})
    return items, errors


def _team(ids: set[int]) -> tuple[list[dict], str]:
    if len(ids) < MIN_TEAM:
        return [], MSG_TEAM_PRESENT.format(count=MIN_TEAM)
    users = list(User.objects.filter(pk__in=ids, is_active=True, role__in=list(TEAM_ROLES)))
    missing = sorted(ids - {u.pk for u in users})
    if missing:
        return [], MSG_TEAM_UNKNOWN.format(ids=", ".join(map(str, missing)))
    team = [{"user_id": u.pk, "name": str(u), "role": u.role_label} for u in users]
    return sorted(team, key=lambda m: m["name"]), ""


@transaction.atomic
def safety_override_record(
    *, actor: Actor, booking_id: int, rule: str, rule_text: str, refusal: str, reason: str
) -> SafetyOverride:
    """Record a physician's emergency override of one rule (the day-of-case layer checks that
    the rule exists and refuses now); kept for good."""
    require(actor, "case.override")
    booking = booking_get(
        actor=actor, booking_id=booking_id, action="case.override", what="emergency override"
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": MSG_OVERRIDE_REASON})
    with history_actor(actor):
        try:
            with transaction.atomic():
                return SafetyOverride.objects.create(
                    booking=booking,
                    rule=rule,
                    rule_text=rule_text[:200],
                    refusal=refusal[:500],
                    reason=reason[:500],
                    overridden_by=person_only(actor),
                )
        except IntegrityError as exc:
            if not violates(
                exc, constraints=("safety_override_once",), unique=[("booking_id", "rule")]
            ):
                raise
            raise Conflict(MSG_ALREADY_OVERRIDDEN, code="already_overridden") from exc


def safety_flag_raise(
    *, booking_id: int, kind: str, detail: str = "", source: str = "mpps"
) -> SafetyFlag:
    """Record what a machine did out of order (once per booking and kind); never refuses."""
    flag, _ = SafetyFlag.objects.get_or_create(
        booking_id=booking_id,
        kind=FlagKind(kind),
        defaults={"detail": detail[:300], "source": source[:20]},
    )
    return flag


@transaction.atomic
def safety_flag_review(
    *, actor: Actor, booking_id: int, flag_id: int, note: str = ""
) -> SafetyFlag:
    """A physician or nurse has looked at a flag (what happened, what was done)."""
    require(actor, "safety_flag.review")
    booking_get(actor=actor, booking_id=booking_id, action="safety_flag.review", what="safety flag")
    flag = SafetyFlag.objects.select_for_update().filter(pk=flag_id, booking_id=booking_id).first()
    if flag is None:
        raise NotFound(MSG_FLAG_NOT_FOUND)
    if flag.reviewed_at is not None:
        raise Conflict(MSG_FLAG_REVIEWED, code="already_reviewed")
    flag.reviewed_at = timezone.now()
    flag.reviewed_by = person(actor)
    flag.review_note = (note or "").strip()[:500]
    with history_actor(actor):
        save_fields(flag, "reviewed_at", "reviewed_by", "review_note")
    return flag
