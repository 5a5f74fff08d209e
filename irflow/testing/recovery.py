"""Recovery for tests: observations that meet the discharge criteria, or that do not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from irflow.procedures.models import ProcedureRecord
from irflow.recovery import services
from irflow.recovery.models import VitalSigns

# Every item of both scores 2 points against a baseline of 130 mmHg and 80 /min.
FIT: dict[str, Any] = {
    "heart_rate_bpm": 78,
    "systolic_mmhg": 128,
    "diastolic_mmhg": 76,
    "spo2_pct": 97,
    "resp_rate_per_min": 14,
    "temperature_c": "36.8",
    "consciousness": "A",
    "pain_nrs": 1,
    "activity": 2,
    "respiration": 2,
    "ambulation": 2,
    "nausea": 2,
    "bleeding": 2,
}


def observed(
    actor: Any, record: ProcedureRecord, *, at: datetime | None = None, **changes: Any
) -> VitalSigns:
    """A set of vital signs after the patient left the room (default 30 minutes after, or
    now if sooner), fit for discharge unless `changes` say otherwise; sets the pre-procedure
    baseline first if missing."""
    assert record.out_at is not None
    episode = record.recovery
    if episode.baseline_systolic_mmhg is None:
        services.recovery_update(
            actor=actor,
            procedure_id=record.pk,
            baseline_systolic_mmhg=130,
            baseline_heart_rate_bpm=80,
        )
    now = timezone.now()
    if at is None:
        at = max(record.out_at, min(record.out_at + timedelta(minutes=30), now))
        # A case walked through later today (a test in the small hours) is observed as of then;
        # a time the test gives is judged against the clock.
        now = max(now, at)
    return services.vital_signs_record(
        actor=actor, procedure_id=record.pk, recorded_at=at, now=now, **(FIT | changes)
    )
