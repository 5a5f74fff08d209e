"""Writes about logbooks: entries made from completed records (idempotent), the supervisor's
verification or query, programmes and enrolments."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.accounts.roles import Role
from irflow.lib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.procedures.models import ProcedureRecord, RecordStatus
from irflow.scheduling.models import TeamRole
from irflow.training.models import (
    Enrolment,
    EntryStatus,
    LogbookEntry,
    LogbookRole,
    Programme,
)

MSG_NOT_COMPLETED = "The procedure record is not completed yet."
MSG_NO_ENTRY = "There is no such logbook entry."
MSG_NOT_SUPERVISOR = "Only the entry's supervisor verifies it: {supervisor}."
MSG_QUERY_NOTE = "Say what is to be corrected: the note goes to the trainee."
MSG_NOT_PENDING = "This entry is {status} already."
MSG_NOT_TRAINEE = "Only trainees follow a training programme."
MSG_NO_PROGRAMME = "There is no such programme."


def _trainee_roles(record: ProcedureRecord) -> dict[int, str]:
    """Trainee user id -> logbook role: first operator beats assistant."""
    roles: dict[int, str] = {}
    operator = record.booking.primary_operator
    for member in record.team.filter(entered_in_error=False).select_related("user"):
        if member.user.role != Role.TRAINEE:
            continue
        if member.role == TeamRole.PRIMARY_OPERATOR:
            roles[member.user_id] = LogbookRole.FIRST_OPERATOR
        elif member.role in (TeamRole.ASSISTANT, TeamRole.TRAINEE):
            roles.setdefault(member.user_id, LogbookRole.ASSISTANT)
    if operator is not None and operator.role == Role.TRAINEE:
        roles[operator.pk] = LogbookRole.FIRST_OPERATOR
    return roles


def _supervisor(record: ProcedureRecord, trainee: User) -> User | None:
    """The supervising physician of the team; else the physician operating; else the trainee's
    own supervisor (their staff profile)."""
    member = (
        record.team.filter(entered_in_error=False, role=TeamRole.SUPERVISING_PHYSICIAN)
        .select_related("user")
        .first()
    )
    if member is not None:
        return member.user
    operator = record.booking.primary_operator
    if operator is not None and operator.role == Role.PHYSICIAN:
        return operator
    profile = getattr(trainee, "profile", None)
    return profile.supervisor if profile is not None else None


@transaction.atomic
def logbook_entries_make(*, actor: Actor, procedure_id: int) -> list[LogbookEntry]:
    """Make a logbook entry for each trainee in the completed record's team (first operator or
    assistant). Idempotent: a trainee who has an entry for the record keeps it as it is."""
    require(actor, "logbook.record")
    record = (
        ProcedureRecord.objects.select_related("order__procedure_type", "booking__primary_operator")
        .filter(pk=procedure_id)
        .first()
    )
    if record is None:
        raise NotFound("There is no such procedure record.")
    if record.status != RecordStatus.COMPLETED:
        raise Conflict(MSG_NOT_COMPLETED, code="not_completed")
    made = []
    have = set(LogbookEntry.objects.filter(record=record).values_list("trainee_id", flat=True))
    for trainee_id, role in _trainee_roles(record).items():
        if trainee_id in have:
            continue
        trainee = User.objects.select_related("profile").get(pk=trainee_id)
        with history_actor(actor):
            made.append(
                LogbookEntry.objects.create(
                    trainee=trainee,
                    record=record,
                    role=role,
                    category=record.order.procedure_type.category,
                    procedure_name=record.order.procedure_type.name[:200],
                    performed_on=record.procedure_day(),
                    supervisor=_supervisor(record, trainee),
                    outcome=record.technical_success,
                )
            )
    return made


def _entry_for_update(actor: Actor, entry_id: int) -> LogbookEntry:
    require(actor, "logbook.verify")
    entry = LogbookEntry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(MSG_NO_ENTRY)
    if entry.supervisor_id is not None and entry.supervisor_id != getattr(actor, "pk", None):
        raise Forbidden(MSG_NOT_SUPERVISOR.format(supervisor=entry.supervisor), code="forbidden")
    if entry.status == EntryStatus.VERIFIED:
        raise Conflict(MSG_NOT_PENDING.format(status="verified"), code="verified")
    return entry


@transaction.atomic
def logbook_entry_verify(*, actor: Actor, entry_id: int) -> LogbookEntry:
    """The supervisor verifies an entry (to verify or queried): it counts from now on."""
    entry = _entry_for_update(actor, entry_id)
    entry.status = EntryStatus.VERIFIED
    entry.verified_by = person(actor)
    entry.verified_at = timezone.now()
    if entry.supervisor_id is None:
        entry.supervisor = person(actor)
    with history_actor(actor):
        entry.save(update_fields=["status", "verified_by", "verified_at", "supervisor"])
    return entry


@transaction.atomic
def logbook_entry_query(*, actor: Actor, entry_id: int, note: str) -> LogbookEntry:
    """The supervisor queries an entry with a note (what is to be corrected)."""
    if not note.strip():
        raise ValidationFailed({"note": MSG_QUERY_NOTE}, message=MSG_QUERY_NOTE)
    entry = _entry_for_update(actor, entry_id)
    entry.status = EntryStatus.QUERIED
    entry.query_note = note.strip()[:500]
    with history_actor(actor):
        entry.save(update_fields=["status", "query_note"])
    return entry


@transaction.atomic
def enrol(
    *, actor: Actor, trainee_id: int, programme_id: int, started_on: date | None = None
) -> Enrolment:
    """Enrol trainee `trainee_id` in programme `programme_id` (once)."""
    require(actor, "programme.manage")
    trainee = User.objects.filter(pk=trainee_id, role=Role.TRAINEE).first()
    if trainee is None:
        raise ValidationFailed({"trainee": MSG_NOT_TRAINEE}, message=MSG_NOT_TRAINEE)
    programme = Programme.objects.filter(pk=programme_id, active=True).first()
    if programme is None:
        raise ValidationFailed({"programme": MSG_NO_PROGRAMME}, message=MSG_NO_PROGRAMME)
    try:
        with transaction.atomic(), history_actor(actor):
            enrolment, _ = Enrolment.objects.get_or_create(
                trainee=trainee, programme=programme, defaults={"started_on": started_on}
            )
    except IntegrityError as exc:  # a concurrent enrolment won
        raise Conflict("This trainee follows this programme already.", code="enrolled") from exc
    return enrolment
