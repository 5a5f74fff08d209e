"""Reads of recovery: the episode with its pain scores banded by the site policy."""

from __future__ import annotations

from dataclasses import dataclass

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.clinical import pain_band, pain_change_meaningful
from irflow.procedures.models import ProcedureRecord
from irflow.readiness.policy import site_policy
from irflow.recovery.models import PainScore, RecoveryEpisode

BAND_LABELS = {None: "No pain", "mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
BAND_TAGS = {None: "tag-ok", "mild": "tag-info", "moderate": "tag-warn", "severe": "tag-bad"}


@dataclass(frozen=True)
class BandedScore:
    score: PainScore
    band: str | None
    label: str
    css: str
    meaningful_change: bool  # against the previous score


@dataclass
class RecoveryView:
    episode: RecoveryEpisode
    scores: list[BandedScore]

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
    return RecoveryView(episode=episode, scores=banded(scores))
