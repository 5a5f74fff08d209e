"""The day of the case, move by move: check-in, preparation, into the room, the record as it
is typed, completion, discharge, and the emergency override. Each move checks the rules of
`guards` first (one transaction, the booking and its room locked), then calls the record apps'
services. The modality's reports (MPPS) move the patient without being refused and raise flags.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import SYSTEM, Actor
from irflow.accounts.permissions import require
from irflow.checklists.models import SafetyOverride
from irflow.checklists.services import safety_flag_raise, safety_override_record
from irflow.dayofcase import guards
from irflow.dayofcase.cases import case_locked
from irflow.dayofcase.guards import BEFORE_ROOM, Move, Verdict
from irflow.devices.services import devices_from_procedure
from irflow.followup.rules import followup_rules_apply
from irflow.lib.errors import Conflict, NotFound, Refused, ValidationFailed
from irflow.procedures import services as procedures
from irflow.procedures.models import ProcedureRecord
from irflow.procedures.selectors import procedure_get
from irflow.recovery import services as recovery
from irflow.recovery.models import Disposition, RecoveryEpisode
from irflow.scheduling.models import BOOKING_STATES, Booking, BookingStatus
from irflow.scheduling.selectors import booking_get
from irflow.scheduling.services import booking_set_status

MSG_UNKNOWN_MOVE = "“{to}” is not a move of the day (arrived, in_preparation, in_room, recovery)."
MSG_DISCHARGE_ON_RECOVERY = (
    "Discharge from the recovery page: where the patient goes (home or admitted) is recorded there."
)
MSG_NOTHING_TO_OVERRIDE = "The rule “{rule}” is met for this patient: there is nothing to override."
MSG_UNKNOWN_RULE = "“{rule}” is not a rule of the day of the case."
MSG_CANCELLED = "This booking was cancelled."
MSG_NO_RECORD = "Check the patient in first: there is no procedure record to complete."


def refuse(verdict: Verdict) -> None:
    """Raise what the rules said, if they refused: 409 naming each rule (with the fields of
    the record they concern), or 422 when only the record itself is incomplete."""
    if verdict.allowed:
        return
    if verdict.blocking:
        raise Refused(
            {r.rule.code: r.message for r in verdict.blocking},
            fields={f: r.message for r in verdict.blocking for f in r.fields} | verdict.invalid,
        )
    raise ValidationFailed(verdict.invalid)


def _move(actor: Actor, booking: Booking, *targets: str) -> Booking:
    """Walk the booking along its state machine to the last of `targets` (skipping those it
    has passed), without rules: the caller checked them."""
    for target in targets:
        booking.refresh_from_db(fields=["status"])
        if booking.status == target:
            continue
        if BOOKING_STATES.can(booking.status, target):
            booking = booking_set_status(actor=actor, booking_id=booking.pk, status=target)
    return booking


@transaction.atomic
def case_check_in(*, actor: Actor, booking_id: int) -> ProcedureRecord:
    """Check the patient in: the procedure record opens and the booking is “arrived”.
    Checking in twice is harmless."""
    require(actor, "booking.progress")
    booking = booking_get(actor=actor, booking_id=booking_id, what="check-in")
    if booking.status == BookingStatus.CANCELLED:
        raise Conflict(MSG_CANCELLED, code="booking_cancelled")
    record = procedures.procedure_record_open(actor=actor, booking_id=booking.pk)
    if booking.status == BookingStatus.BOOKED:
        _move(actor, booking, BookingStatus.ARRIVED)
    return record


@transaction.atomic
def case_prepare(*, actor: Actor, booking_id: int) -> Booking:
    """The patient is being prepared (after check-in, before the room)."""
    require(actor, "booking.progress")
    booking = booking_get(actor=actor, booking_id=booking_id, what="status")
    case = case_locked(booking.pk)
    if case.record is None:
        raise Refused({"checked_in": guards.MSG_CHECK_IN})
    return _move(actor, case.booking, BookingStatus.IN_PREPARATION)


@transaction.atomic
def case_to_room(*, actor: Actor, booking_id: int, at: datetime | None = None) -> Booking:
    """The patient goes into the room: checked in, sign-in done, the room free, readiness
    findings that need action acknowledged (or overridden). The time in room is recorded."""
    require(actor, "booking.progress")
    booking = booking_get(actor=actor, booking_id=booking_id, what="status")
    case = case_locked(booking.pk)
    refuse(guards.verdict(case, Move.IN_ROOM))
    booking = _move(actor, case.booking, BookingStatus.IN_ROOM)
    assert case.record is not None
    if case.record.in_room_at is None and case.record.status == "open":
        procedures.procedure_record_update(
            actor=actor,
            procedure_id=case.record.pk,
            group="times",
            values={"in_room_at": at or timezone.now()},
        )
    return booking


def _field_refusal(verdict: Verdict, field: str) -> None:
    """As `refuse`, with each rule's message also on `field` (the form shows it there)."""
    if verdict.allowed:
        return
    if verdict.blocking:
        raise Refused(
            {r.rule.code: r.message for r in verdict.blocking},
            fields={field: " ".join(r.message for r in verdict.blocking)},
        )
    raise ValidationFailed(verdict.invalid)


@transaction.atomic
def case_record_update(
    *, actor: Actor, procedure_id: int, group: str, values: dict[str, Any]
) -> ProcedureRecord:
    """Save one group of the record. Recording the time in room puts the patient in the
    room (its rules apply); recording the start needs the time-out."""
    record = procedure_get(
        actor=actor,
        procedure_id=procedure_id,
        what="procedure record edit",
        action="procedure.record",
    )
    if group == "times":
        case = case_locked(record.booking_id)
        entering = values.get("in_room_at") not in (None, "") and record.in_room_at is None
        starting = values.get("started_at") not in (None, "") and record.started_at is None
        if entering and case.booking.status in BEFORE_ROOM:
            _field_refusal(guards.verdict(case, Move.IN_ROOM), "in_room_at")
        if starting:
            _field_refusal(guards.verdict(case, Move.START), "started_at")
        record = procedures.procedure_record_update(
            actor=actor, procedure_id=procedure_id, group=group, values=values
        )
        if entering and case.booking.status in BEFORE_ROOM:
            _move(actor, case.booking, BookingStatus.IN_ROOM)
        return record
    return procedures.procedure_record_update(
        actor=actor, procedure_id=procedure_id, group=group, values=values
    )


@transaction.atomic
def case_complete(*, actor: Actor, procedure_id: int) -> ProcedureRecord:
    """Complete the procedure: sign-out done, access site and what the catalogue requires
    recorded, the times in order. The patient goes to recovery, the devices left in are
    registered (and those taken out closed), the follow-up tasks are created."""
    record = procedure_get(
        actor=actor, procedure_id=procedure_id, what="complete", action="procedure.record"
    )
    case = case_locked(record.booking_id)
    refuse(guards.verdict(case, Move.COMPLETE))
    record = procedures.procedure_record_complete(actor=actor, procedure_id=procedure_id)
    _move(actor, case.booking, BookingStatus.IN_ROOM, BookingStatus.RECOVERY)
    devices_from_procedure(actor=actor, procedure_id=record.pk)
    followup_rules_apply(actor=SYSTEM, procedure_id=record.pk)
    recovery.recovery_open(actor=actor, procedure_id=record.pk)
    return record


@transaction.atomic
def case_discharge(
    *,
    actor: Actor,
    procedure_id: int,
    disposition: str,
    discharged_at: datetime | None = None,
    admitted_to: str = "",
    now: datetime | None = None,
) -> RecoveryEpisode:
    """Discharge from recovery: home the same day or admitted, once the discharge criteria are
    met (the modified Aldrete score after sedation; PADSS for home) or a physician overrode
    them. The booking is discharged and the catalogue's follow-up tasks exist from here on."""
    record = procedure_get(
        actor=actor, procedure_id=procedure_id, what="discharge", action="recovery.record"
    )
    case = case_locked(record.booking_id)
    case.discharge_to = disposition
    found = guards.verdict(case, Move.DISCHARGE)
    if found.blocking and disposition in Disposition.values:
        # Only the rules: the recovery service says what is wrong with the form itself.
        refuse(Verdict(move=found.move, refusals=found.refusals))
    episode = recovery.recovery_discharge(
        actor=actor,
        procedure_id=procedure_id,
        disposition=disposition,
        discharged_at=discharged_at,
        admitted_to=admitted_to,
        now=now,
    )
    record = episode.record
    _move(
        actor,
        record.booking,
        BookingStatus.IN_ROOM,
        BookingStatus.RECOVERY,
        BookingStatus.DISCHARGED,
    )
    followup_rules_apply(actor=SYSTEM, procedure_id=record.pk)
    return episode


MOVES = {
    BookingStatus.ARRIVED: "check_in",
    BookingStatus.IN_PREPARATION: "prepare",
    BookingStatus.IN_ROOM: "to_room",
    BookingStatus.RECOVERY: "complete",
}


def case_move(*, actor: Actor, booking_id: int, to: str) -> Booking:
    """Move the patient to the day's next status (the board's buttons, the REST API): each
    through the move that checks its rules."""
    require(actor, "booking.progress")
    if to == BookingStatus.DISCHARGED:
        raise Conflict(MSG_DISCHARGE_ON_RECOVERY, code="discharge_on_recovery")
    if to not in MOVES:
        raise ValidationFailed({"status": MSG_UNKNOWN_MOVE.format(to=to)})
    if to == BookingStatus.ARRIVED:
        case_check_in(actor=actor, booking_id=booking_id)
    elif to == BookingStatus.IN_PREPARATION:
        case_prepare(actor=actor, booking_id=booking_id)
    elif to == BookingStatus.IN_ROOM:
        case_to_room(actor=actor, booking_id=booking_id)
    else:
        record = ProcedureRecord.objects.filter(booking_id=booking_id).first()
        if record is None:
            booking_get(actor=actor, booking_id=booking_id, what="status")  # 404 first
            raise Refused({"checked_in": MSG_NO_RECORD})
        case_complete(actor=actor, procedure_id=record.pk)
    return booking_get(actor=actor, booking_id=booking_id, what="status")


@transaction.atomic
def case_override(*, actor: Actor, booking_id: int, rule: str, reason: str) -> SafetyOverride:
    """A physician overrides one rule that refuses now, in an emergency, saying why; the
    override is kept and shown on the record, the board and the report."""
    require(actor, "case.override")
    booking = booking_get(actor=actor, booking_id=booking_id, what="emergency override")
    if rule not in guards.RULES_BY_CODE:
        raise ValidationFailed({"rule": MSG_UNKNOWN_RULE.format(rule=rule)})
    declared = guards.RULES_BY_CODE[rule]
    case = case_locked(booking.pk)
    refusal = next(
        (r for r in guards.verdict(case, declared.move).refusals if r.rule.code == rule), None
    )
    if refusal is None:
        raise Conflict(
            MSG_NOTHING_TO_OVERRIDE.format(rule=declared.text), code="nothing_to_override"
        )
    return safety_override_record(
        actor=actor,
        booking_id=booking.pk,
        rule=rule,
        rule_text=declared.text,
        refusal=refusal.message,
        reason=reason,
    )


def _raise_flags(booking_id: int, flags: dict[str, str]) -> None:
    for kind, detail in flags.items():
        safety_flag_raise(booking_id=booking_id, kind=kind, detail=detail, source="mpps")


@transaction.atomic
def case_modality_started(*, actor: Actor, booking_id: int) -> Booking:
    """The modality reports the procedure in progress (MPPS: the system acts, or whoever
    reconciled the step): the patient is in the room. Never refused by the day's rules — a
    machine cannot be told no — but what they would have refused is flagged for review (no
    sign-in, no time-out, another patient in the room)."""
    require(actor, "booking.progress")
    case = case_locked(booking_id)
    if case.booking.status not in BEFORE_ROOM and case.booking.status != BookingStatus.IN_ROOM:
        return case.booking
    _raise_flags(case.booking.pk, guards.flags_for_modality_start(case))
    return _move(actor, case.booking, BookingStatus.IN_ROOM)


@transaction.atomic
def case_modality_finished(*, actor: Actor, booking_id: int) -> Booking:
    """The modality reports the procedure finished (MPPS completed or discontinued): the
    patient leaves the room. Flagged if the sign-out was not done."""
    require(actor, "booking.progress")
    case = case_locked(booking_id)
    if case.booking.status in (BookingStatus.RECOVERY, BookingStatus.DISCHARGED):
        return case.booking
    if case.booking.status == BookingStatus.CANCELLED:
        return case.booking
    if case.booking.status in BEFORE_ROOM:
        _raise_flags(case.booking.pk, guards.flags_for_modality_start(case))
    _raise_flags(case.booking.pk, guards.flags_for_modality_end(case))
    return _move(actor, case.booking, BookingStatus.IN_ROOM, BookingStatus.RECOVERY)


def rule_or_404(code: str) -> guards.Rule:
    rule = guards.RULES_BY_CODE.get(code)
    if rule is None:
        raise NotFound(MSG_UNKNOWN_RULE.format(rule=code))
    return rule
