"""Writes of recovery: open it when the procedure is completed, record vital signs and pain
scores, discharge (home the same day or admitted) with printable instructions.

Times are refused in the future beyond `CLOCK_SKEW` (a workstation's clock a little ahead of
the server's) and before the patient left the room."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person, person_only
from irflow.accounts.permissions import require
from irflow.clinical import pain_band
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.versions import save_fields
from irflow.procedures.models import ProcedureRecord
from irflow.procedures.selectors import procedure_get
from irflow.recovery.instructions import default_instructions
from irflow.recovery.models import (
    Consciousness,
    Disposition,
    PainScore,
    RecoveryEpisode,
    VitalSigns,
)

CLOCK_SKEW = timedelta(minutes=2)

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
MSG_FUTURE = "The time ({at}) cannot be in the future."
MSG_VITALS_TIME = "The observation time cannot be before the patient left the room ({at})."
MSG_DISCHARGE_BEFORE_LAST = (
    "The discharge time ({at}) cannot be before the last observation or pain score ({last})."
)
MSG_VITALS_EMPTY = "Record at least one value."
MSG_VITAL_RANGE = "{label} is a whole number from {low} to {high}: “{value}”."
MSG_TEMPERATURE = "Temperature is in °C, from 30.0 to 43.0: “{value}”."
MSG_DIASTOLIC = "The diastolic pressure must be below the systolic."
MSG_BP_PAIR = "Give both the systolic and the diastolic pressure."
MSG_POINTS = "Choose 0, 1 or 2 points."
MSG_AVPU = "Choose A, V, P or U."
# Plausible ranges of what a recovery nurse measures: outside them it is a typing error.
VITAL_RANGES: dict[str, tuple[str, int, int]] = {
    "heart_rate_bpm": ("Pulse", 20, 250),
    "systolic_mmhg": ("Systolic pressure", 40, 300),
    "diastolic_mmhg": ("Diastolic pressure", 20, 200),
    "spo2_pct": ("SpO2", 50, 100),
    "resp_rate_per_min": ("Respiratory rate", 3, 60),
}
BASELINE_RANGES: dict[str, tuple[str, int, int]] = {
    "baseline_systolic_mmhg": ("Pre-procedure systolic pressure", 40, 300),
    "baseline_heart_rate_bpm": ("Pre-procedure pulse", 20, 250),
}
SCORE_ITEMS = ("activity", "respiration", "ambulation", "nausea", "bleeding")


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
    if value > now + CLOCK_SKEW:
        raise ValidationFailed({field: MSG_FUTURE.format(at=_fmt(value))})
    return value


def _whole(value: Any, field: str, ranges: dict[str, tuple[str, int, int]]) -> int | None:
    if value in (None, ""):
        return None
    label, low, high = ranges[field]
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not low <= int(text) <= high:
        raise ValidationFailed(
            {field: MSG_VITAL_RANGE.format(label=label, low=low, high=high, value=text)}
        )
    return int(text)


def _collect(errors: dict[str, str], field: str, read: Any, *args: Any) -> Any:
    try:
        return read(*args)
    except ValidationFailed as exc:
        errors[field] = exc.errors[next(iter(exc.errors))][0]
        return None


def _temperature(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not Decimal("30") <= number <= Decimal("43"):
        raise ValidationFailed({"temperature_c": MSG_TEMPERATURE.format(value=value)})
    return number.quantize(Decimal("0.1"))


def _points(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or str(value).strip() not in ("0", "1", "2"):
        raise ValidationFailed({field: MSG_POINTS})
    return int(str(value).strip())


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
    baseline_systolic_mmhg: Any = None,
    baseline_heart_rate_bpm: Any = None,
) -> RecoveryEpisode:
    """Save the notes, the pre-procedure pressure and pulse and the discharge instructions
    (autosaved; a value left out is kept, an empty one clears it)."""
    episode = _episode(actor, procedure_id)
    _not_discharged(episode)
    errors: dict[str, str] = {}
    for field, value in (
        ("baseline_systolic_mmhg", baseline_systolic_mmhg),
        ("baseline_heart_rate_bpm", baseline_heart_rate_bpm),
    ):
        if value is not None:
            setattr(episode, field, _collect(errors, field, _whole, value, field, BASELINE_RANGES))
    if errors:
        raise ValidationFailed(errors)
    if observations is not None:
        episode.observations = observations.strip()
    if discharge_instructions is not None:
        episode.discharge_instructions = discharge_instructions.strip()
    changed = [
        field
        for field, value in (
            ("baseline_systolic_mmhg", baseline_systolic_mmhg),
            ("baseline_heart_rate_bpm", baseline_heart_rate_bpm),
            ("observations", observations),
            ("discharge_instructions", discharge_instructions),
        )
        if value is not None
    ]
    with history_actor(actor):
        save_fields(episode, *changed)  # only what was sent, on the locked row
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
    last = last_observation_at(episode)
    if at < out_at:
        errors["discharged_at"] = MSG_DISCHARGE_BEFORE.format(at=_fmt(at), out=_fmt(out_at))
    elif last is not None and at < last:
        errors["discharged_at"] = MSG_DISCHARGE_BEFORE_LAST.format(at=_fmt(at), last=_fmt(last))
    if errors:
        raise ValidationFailed(errors)
    episode.disposition = disposition
    episode.admitted_to = (admitted_to or "").strip()[:100]
    episode.discharged_at = at
    episode.discharged_by = person(actor)
    with history_actor(actor):
        save_fields(episode, "disposition", "admitted_to", "discharged_at", "discharged_by")
    return episode


def last_observation_at(episode: RecoveryEpisode) -> datetime | None:
    """The time of the last vital signs or pain score of the episode."""
    times = [
        t
        for t in (
            episode.vital_signs.order_by("-recorded_at")
            .values_list("recorded_at", flat=True)
            .first(),
            episode.pain_scores.order_by("-recorded_at")
            .values_list("recorded_at", flat=True)
            .first(),
        )
        if t is not None
    ]
    return max(times) if times else None


@transaction.atomic
def vital_signs_record(
    *,
    actor: Actor,
    procedure_id: int,
    recorded_at: datetime | None = None,
    heart_rate_bpm: Any = None,
    systolic_mmhg: Any = None,
    diastolic_mmhg: Any = None,
    spo2_pct: Any = None,
    on_oxygen: bool = False,
    resp_rate_per_min: Any = None,
    temperature_c: Any = None,
    consciousness: str = "",
    pain_nrs: Any = None,
    activity: Any = None,
    respiration: Any = None,
    ambulation: Any = None,
    nausea: Any = None,
    bleeding: Any = None,
    now: datetime | None = None,
) -> VitalSigns:
    """Record one set of vital signs (any value may be left out, not all), with the pain score
    and the nurse-observed score items of the set, at a time (default now)."""
    episode = _episode(actor, procedure_id)
    _not_discharged(episode)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    at = _collect(errors, "recorded_at", _moment, recorded_at, "recorded_at", now)
    out_at = episode.record.out_at
    if at is not None and out_at is not None and at < out_at:
        errors["recorded_at"] = MSG_VITALS_TIME.format(at=_fmt(out_at))
    given = {
        "heart_rate_bpm": heart_rate_bpm,
        "systolic_mmhg": systolic_mmhg,
        "diastolic_mmhg": diastolic_mmhg,
        "spo2_pct": spo2_pct,
        "resp_rate_per_min": resp_rate_per_min,
    }
    values: dict[str, Any] = {
        f: _collect(errors, f, _whole, v, f, VITAL_RANGES) for f, v in given.items()
    }
    values["temperature_c"] = _collect(errors, "temperature_c", _temperature, temperature_c)
    for item, value in zip(
        SCORE_ITEMS, (activity, respiration, ambulation, nausea, bleeding), strict=True
    ):
        values[item] = _collect(errors, item, _points, value, item)
    if consciousness and consciousness not in Consciousness.values:
        errors["consciousness"] = MSG_AVPU
    pain = None
    if pain_nrs not in (None, ""):
        pain = _collect(errors, "pain_nrs", parse_pain_score, pain_nrs)
    sbp, dbp = values["systolic_mmhg"], values["diastolic_mmhg"]
    if (sbp is None) != (dbp is None) and not {"systolic_mmhg", "diastolic_mmhg"} & set(errors):
        errors["systolic_mmhg" if sbp is None else "diastolic_mmhg"] = MSG_BP_PAIR
    elif sbp is not None and dbp is not None and dbp >= sbp:
        errors["diastolic_mmhg"] = MSG_DIASTOLIC
    recorded = [v for v in values.values() if v is not None] + [consciousness or None, pain]
    if not errors and all(v is None for v in recorded):
        errors["__all__"] = MSG_VITALS_EMPTY
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        score = None
        if pain is not None:
            score = PainScore.objects.create(
                episode=episode, score=pain, recorded_at=at, recorded_by=person_only(actor)
            )
        return VitalSigns.objects.create(
            episode=episode,
            recorded_at=at,
            on_oxygen=bool(on_oxygen),
            consciousness=consciousness or "",
            pain=score,
            recorded_by=person_only(actor),
            **values,
        )
