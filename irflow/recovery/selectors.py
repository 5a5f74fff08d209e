"""Reads of recovery: the episode with its vital signs and pain scores (banded by the site
policy), and the discharge criteria the latest observations give."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.clinical import pain_band, pain_change_meaningful
from irflow.clinical.discharge import (
    Baseline,
    Observation,
    Score,
    aldrete,
    aldrete_applies,
    padss,
)
from irflow.procedures.models import ProcedureRecord
from irflow.readiness.policy import site_policy
from irflow.recovery.models import PainScore, RecoveryEpisode, VitalSigns

BAND_LABELS = {None: "No pain", "mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
BAND_TAGS = {None: "tag-ok", "mild": "tag-info", "moderate": "tag-warn", "severe": "tag-bad"}


@dataclass(frozen=True)
class BandedScore:
    score: PainScore
    band: str | None
    label: str
    css: str
    meaningful_change: bool  # against the previous score


@dataclass(frozen=True)
class DischargeCriteria:
    """What the latest observations say of discharge: the modified Aldrete score (None when
    the procedure was done without sedation) and PADSS."""

    aldrete: Score | None
    padss: Score
    scored_at: datetime | None  # the set of vital signs scored; None before the first
    sedation_depth: str

    @property
    def scores(self) -> list[Score]:
        return [s for s in (self.aldrete, self.padss) if s is not None]


@dataclass(frozen=True)
class Trend:
    """One measure over the episode, for the sparkline above its column."""

    label: str
    points: str  # SVG polyline points in a 100 x 24 box; "" with fewer than two values
    last: str


@dataclass
class RecoveryView:
    episode: RecoveryEpisode
    scores: list[BandedScore]
    vitals: list[VitalSigns] = field(default_factory=list)
    criteria: DischargeCriteria | None = None
    trends: list[Trend] = field(default_factory=list)

    @property
    def latest(self) -> BandedScore | None:
        return self.scores[-1] if self.scores else None


def banded(scores: list[PainScore]) -> list[BandedScore]:
    """Each score with its band (site policy) and whether it changed meaningfully."""

    policy = site_policy()
    result = []
    previous = None
    for s in scores:
        band = pain_band(s.score, policy)
        result.append(
            BandedScore(
                score=s,
                band=band,
                label=BAND_LABELS[band],
                css=BAND_TAGS[band],
                meaningful_change=previous is not None
                and pain_change_meaningful(previous, s.score, policy),
            )
        )
        previous = s.score
    return result


def recovery_for_procedure(*, actor: Actor, record: ProcedureRecord) -> RecoveryView | None:
    """The recovery of a procedure the caller was allowed to read (None before completion)."""
    require(actor, "procedure.view")
    episode = RecoveryEpisode.objects.select_related("discharged_by").filter(record=record).first()
    if episode is None:
        return None
    scores = list(episode.pain_scores.select_related("recorded_by"))
    vitals = list(episode.vital_signs.select_related("recorded_by", "pain"))
    lines = banded(scores)
    return RecoveryView(
        episode=episode,
        scores=lines,
        vitals=vitals,
        criteria=discharge_criteria(episode, vitals, scores, record.sedation_depth),
        trends=trends(vitals, lines),
    )


def discharge_criteria(
    episode: RecoveryEpisode,
    vitals: Sequence[VitalSigns],
    pains: Sequence[PainScore],
    sedation_depth: str,
) -> DischargeCriteria:
    """The discharge scores of the latest set of vital signs (pain: the latest score)."""
    policy = site_policy()
    latest = vitals[-1] if vitals else None
    last_pain = max(pains, key=lambda p: (p.recorded_at, p.pk)) if pains else None
    obs = Observation(
        heart_rate_bpm=latest.heart_rate_bpm if latest else None,
        systolic_mmhg=latest.systolic_mmhg if latest else None,
        spo2_pct=latest.spo2_pct if latest else None,
        on_oxygen=latest.on_oxygen if latest else False,
        consciousness=latest.consciousness if latest else "",
        pain_nrs=last_pain.score if last_pain else None,
        activity=latest.activity if latest else None,
        respiration=latest.respiration if latest else None,
        ambulation=latest.ambulation if latest else None,
        nausea=latest.nausea if latest else None,
        bleeding=latest.bleeding if latest else None,
    )
    base = Baseline(episode.baseline_systolic_mmhg, episode.baseline_heart_rate_bpm)
    return DischargeCriteria(
        aldrete=aldrete(obs, base, policy) if aldrete_applies(sedation_depth) else None,
        padss=padss(obs, base, policy),
        scored_at=latest.recorded_at if latest else None,
        sedation_depth=sedation_depth,
    )


def criteria_for_records(*, record_ids: Iterable[int]) -> dict[int, DischargeCriteria]:
    """The discharge criteria of each procedure in recovery, in three queries whatever their
    number (the caller checked permission)."""
    episodes = (
        RecoveryEpisode.objects.filter(record_id__in=list(record_ids))
        .select_related("record")
        .prefetch_related("vital_signs", "pain_scores")
    )
    return {
        e.record_id: discharge_criteria(
            e, list(e.vital_signs.all()), list(e.pain_scores.all()), e.record.sedation_depth
        )
        for e in episodes
    }


TRENDS = (
    ("Pulse", "heart_rate_bpm"),
    ("Systolic", "systolic_mmhg"),
    ("SpO2", "spo2_pct"),
    ("Resp. rate", "resp_rate_per_min"),
    ("Temp.", "temperature_c"),
)


def _polyline(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = 100.0 / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{22 - (v - low) * 20 / span:.1f}" for i, v in enumerate(values)
    )


def trends(vitals: Sequence[VitalSigns], scores: Sequence[BandedScore]) -> list[Trend]:
    """Each measure's sparkline over the episode (pain from the pain series)."""
    found = []
    for label, name in TRENDS:
        values = [float(getattr(v, name)) for v in vitals if getattr(v, name) is not None]
        last = getattr(vitals[-1], name) if vitals else None
        found.append(Trend(label, _polyline(values), "" if last is None else str(last)))
    pain = [float(s.score.score) for s in scores]
    found.append(Trend("Pain", _polyline(pain), str(scores[-1].score.score) if scores else ""))
    return found
