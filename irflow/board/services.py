"""Writes of the multidisciplinary board: plan meetings, build the agenda, record decisions.

A decision for IR treatment orders the procedure; other decisions move the referral on
(declined with the board's recommendation, or more information needed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import require
from irflow.board.models import BoardAttendee, BoardCase, BoardMeeting, Decision
from irflow.catalogue.models import ProcedureType
from irflow.lib.db import violates
from irflow.lib.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.referrals.models import ReferralStatus
from irflow.referrals.selectors import referral_get
from irflow.referrals.services import referral_board_outcome, referral_order_create

MSG_TITLE = "Give the meeting a title."
MSG_NAIVE_TIME = "Give the time with its time zone."
MSG_MEETING_NOT_FOUND = "No such board meeting."
MSG_CASE_NOT_FOUND = "No such case on a board agenda."
MSG_NOT_FOR_BOARD = "Only a referral sent to the board can join an agenda (this one is {status})."
MSG_ALREADY_ON_AGENDA = "This referral is already on an agenda waiting for a decision."
MSG_ALREADY_DECIDED = "The board has already decided this case ({decision})."
MSG_DECISION = "Choose the board's decision."
MSG_TREATMENT = "Say which treatment the board recommends."
MSG_RATIONALE = "Record the board's rationale."
MSG_PROCEDURE = "Choose the IR procedure from the catalogue to order it."


@transaction.atomic
def board_meeting_create(
    *,
    actor: Actor,
    title: str,
    held_at: datetime,
    location: str = "",
    specialties: Iterable[str] = (),
    attendees: Iterable[tuple[str, str]] = (),
) -> BoardMeeting:
    """Plan a meeting: date and time, specialties, attendees (name, specialty)."""
    require(actor, "board.manage")
    errors = {}
    if not (title or "").strip():
        errors["title"] = MSG_TITLE
    if timezone.is_naive(held_at):
        errors["held_at"] = MSG_NAIVE_TIME
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        meeting = BoardMeeting.objects.create(
            title=title.strip()[:200],
            held_at=held_at,
            location=(location or "").strip()[:200],
            specialties=[s.strip()[:100] for s in specialties if s and s.strip()],
            created_by=person(actor),
        )
        BoardAttendee.objects.bulk_create(
            BoardAttendee(meeting=meeting, name=name.strip()[:150], specialty=spec.strip()[:100])
            for name, spec in attendees
            if name and name.strip()
        )
    return meeting


@transaction.atomic
def board_case_add(*, actor: Actor, meeting_id: int, referral_id: int) -> BoardCase:
    """Put a referral that was sent to the board on a meeting's agenda."""
    require(actor, "board.manage")
    meeting = BoardMeeting.objects.select_for_update().filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(MSG_MEETING_NOT_FOUND)
    referral = referral_get(actor=actor, referral_id=referral_id, what="board agenda")
    if referral.status != ReferralStatus.BOARD:
        raise InvalidTransition(
            MSG_NOT_FOR_BOARD.format(status=referral.get_status_display().lower())
        )
    if BoardCase.objects.filter(referral=referral, decision="").exists():
        raise Conflict(MSG_ALREADY_ON_AGENDA, code="already_on_agenda")
    position = (meeting.cases.aggregate(m=Max("position"))["m"] or 0) + 1
    try:
        with transaction.atomic(), history_actor(actor):
            return BoardCase.objects.create(meeting=meeting, referral=referral, position=position)
    except IntegrityError as exc:
        if not violates(
            exc,
            constraints=("board_case_once", "board_case_one_open"),
            unique=[("meeting_id", "referral_id"), ("referral_id",)],
        ):
            raise
        raise Conflict(MSG_ALREADY_ON_AGENDA, code="already_on_agenda") from exc


def decision_problems(
    *, decision: str, recommended_treatment: str, rationale: str, procedure_chosen: bool
) -> dict[str, str]:
    """What `board_decision_record` would refuse in a decision, by field: a treatment needs
    its name, IR treatment its catalogue procedure, every decision its rationale. The
    decision form asks it too, so that every message shows at the first try."""
    errors = {}
    if decision not in Decision.values:
        errors["decision"] = MSG_DECISION
    if (
        decision in (Decision.IR_TREATMENT, Decision.OTHER_TREATMENT)
        and not (recommended_treatment or "").strip()
    ):
        errors["recommended_treatment"] = MSG_TREATMENT
    if not (rationale or "").strip():
        errors["rationale"] = MSG_RATIONALE
    if decision == Decision.IR_TREATMENT and not procedure_chosen:
        errors["procedure_type"] = MSG_PROCEDURE
    return errors


@transaction.atomic
def board_decision_record(
    *,
    actor: Actor,
    case_id: int,
    decision: str,
    recommended_treatment: str = "",
    rationale: str = "",
    agreed_by: str = "",
    procedure_type: ProcedureType | None = None,
    priority: str | None = None,
    laterality: str | None = None,
    site: str | None = None,
) -> BoardCase:
    """Record the board's decision on a case; IR treatment creates the order."""
    require(actor, "board.decide")
    case = (
        BoardCase.objects.select_for_update()
        .select_related("referral__patient", "meeting")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound(MSG_CASE_NOT_FOUND)
    if case.decision:
        raise Conflict(
            MSG_ALREADY_DECIDED.format(decision=case.get_decision_display().lower()),
            code="already_decided",
        )
    errors = decision_problems(
        decision=decision,
        recommended_treatment=recommended_treatment,
        rationale=rationale,
        procedure_chosen=procedure_type is not None,
    )
    if errors:
        raise ValidationFailed(errors)
    referral = case.referral
    if referral.status != ReferralStatus.BOARD:
        raise InvalidTransition(
            MSG_NOT_FOR_BOARD.format(status=referral.get_status_display().lower())
        )
    treatment, why = recommended_treatment.strip(), rationale.strip()
    if decision == Decision.IR_TREATMENT:
        case.order = referral_order_create(
            actor=actor,
            referral_id=referral.pk,
            procedure_type=procedure_type,
            priority=priority,
            laterality=laterality,
            site=site,
            note=f"Board decision: {treatment}",
            action="board.decide",
        )
    elif decision == Decision.OTHER_TREATMENT:
        case.referral = referral_board_outcome(
            actor=actor,
            referral_id=referral.pk,
            target=ReferralStatus.DECLINED,
            note=f"The board recommends {treatment}. {why}",
        )
    elif decision == Decision.MORE_INFORMATION:
        case.referral = referral_board_outcome(
            actor=actor, referral_id=referral.pk, target=ReferralStatus.MORE_INFO, note=why
        )
    case.decision = decision
    case.recommended_treatment = treatment[:300]
    case.rationale = why
    case.agreed_by = (agreed_by or "").strip()[:300]
    case.decided_at = timezone.now()
    case.decided_by = person(actor)
    with history_actor(actor):
        case.save()
    return case
