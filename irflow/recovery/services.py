"""Writes of recovery: open it when the procedure is completed, record observations and pain
scores, discharge (home the same day or admitted) with printable instructions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person, person_only
from irflow.accounts.permissions import require
from irflow.clinical import pain_band
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.procedures.models import ProcedureRecord
from irflow.procedures.selectors import procedure_get
from irflow.recovery.instructions import default_instructions
from irflow.recovery.models import Disposition, PainScore, RecoveryEpisode

MSG_NOT_FOUND = "No recovery for this procedure yet: complete the procedure record first."
MSG_DISCHARGED = "The patient was discharged at {at}; recovery can no longer be changed."
MSG_PAIN_RANGE = (
    "A pain score is a whole number from 0 (no pain) to 10 (worst imaginable): “{value}”."
)
MSG_PAIN_TIME = "The pain score time cannot be before the patient left the room ({at})."
MSG_DISCHARGE_BEFORE = (
    "The discharge time ({at}) cannot be before the patient left the room ({out})."
)
MSG_DISPOSITION = "Choose home the same day or admitted."
MSG_ADMITTED_TO = "Say where the patient was admitted to."
MSG_NAIVE = "Give the time with its time zone."
MSG_FUTURE = "The time cannot be in the future."


def _fmt(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %H:%M")


def recovery_open(*, actor: Actor, procedure_id: int) -> RecoveryEpisode:
    """Start recovery when the procedure is completed (inside its transaction); idempotent."""
    episode = RecoveryEpisode.objects.filter(record_id=procedure_id).first()
    if episode is not None:
        return episode
    record = ProcedureRecord.objects.select_related("order__procedure_type").get(pk=procedure_id)
    with history_actor(actor):
        return RecoveryEpisode.objects.create(
            record=record,
            patient_id=record.patient_id,
            started_at=record.out_at or timezone.now(),
            discharge_instructions=default_instructions(record),
        )


def _episode(actor: Actor, procedure_id: int) -> RecoveryEpisode:
    require(actor, "recovery.record")
    procedure_get(actor=actor, procedure_id=procedure_id, what="recovery", action="recovery.record")
    episode = (
        RecoveryEpisode.objects.select_for_update()
        .select_related("record__booking", "record__order__procedure_type")
        .filter(record_id=procedure_id)
        .first()
    )
    if episode is None:
        raise NotFound(MSG_NOT_FOUND)
    return episode


def _not_discharged(episode: RecoveryEpisode) -> None:
    if episode.discharged_at is not None:
        raise Conflict(MSG_DISCHARGED.format(at=_fmt(episode.discharged_at)), code="discharged")


def _moment(value: Any, field: str, now: datetime) -> datetime:
    if value in (None, ""):
        return now
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValidationFailed({field: f"“{value}” is not a time."}) from exc
    if timezone.is_naive(value):
        raise ValidationFailed({field: MSG_NAIVE})
    return value


def parse_pain_score(value: Any) -> int:
    """An NRS score from a form or an API: a whole number 0–10, else ValidationFailed."""
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or not text.lstrip("-").isdigit():
        raise ValidationFailed({"score": MSG_PAIN_RANGE.format(value=text)})
    score = int(text)
    try:
        pain_band(score)  # the core's scale check (0–10)
    except ValueError as exc:
        raise ValidationFailed({"score": MSG_PAIN_RANGE.format(value=text)}) from exc
    return score


@transaction.atomic
def pain_score_record(
    *,
    actor: Actor,
    procedure_id: int,
    score: Any,
    recorded_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> PainScore:
    """Record an NRS pain score (0–10) at a time (default now)."""
    episode = _episode(actor, procedure_id)
    _not_discharged(episode)
    value = parse_pain_score(score)
    now = now or timezone.now()
    at = _moment(recorded_at, "recorded_at", now)
    out_at = episode.record.out_at
    if out_at is not None and at < out_at:
        raise ValidationFailed({"recorded_at": MSG_PAIN_TIME.format(at=_fmt(out_at))})
    with history_actor(actor):
        return PainScore.objects.create(
            episode=episode,
            score=value,
            recorded_at=at,
            note=(note or "").strip()[:200],
            recorded_by=person_only(actor),
        )


@transaction.atomic
def recovery_update(
    *,
    actor: Actor,
    procedure_id: int,
    observations: str | None = None,
    discharge_instructions: str | None = None,
) -> RecoveryEpisode:
    """Save the observations summary and the discharge instructions (autosaved)."""
    episode = _episode(actor, procedure_id)
    _not_discharged(episode)
    if observations is not None:
        episode.observations = observations.strip()
    if discharge_instructions is not None:
        episode.discharge_instructions = discharge_instructions.strip()
    with history_actor(actor):
        episode.save()
    return episode


@transaction.atomic
def recovery_discharge(
    *,
    actor: Actor,
    procedure_id: int,
    disposition: str,
    discharged_at: datetime | None = None,
    admitted_to: str = "",
    now: datetime | None = None,
) -> RecoveryEpisode:
    """Record the discharge: home the same day or admitted, and when (the day-of-case layer
    moves the booking and creates the follow-up tasks)."""
    episode = _episode(actor, procedure_id)
    _not_discharged(episode)
    now = now or timezone.now()
    at = _moment(discharged_at, "discharged_at", now)
    errors: dict[str, str] = {}
    if disposition not in Disposition.values:
        errors["disposition"] = MSG_DISPOSITION
    elif disposition == Disposition.ADMITTED and not (admitted_to or "").strip():
        errors["admitted_to"] = MSG_ADMITTED_TO
    out_at = episode.record.out_at or episode.started_at
    if at < out_at:
        errors["discharged_at"] = MSG_DISCHARGE_BEFORE.format(at=_fmt(at), out=_fmt(out_at))
    if errors:
        raise ValidationFailed(errors)
    episode.disposition = disposition
    episode.admitted_to = (admitted_to or "").strip()[:100]
    episode.discharged_at = at
    episode.discharged_by = person(actor)
    with history_actor(actor):
        episode.save()
    return episode
