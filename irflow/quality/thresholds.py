"""The site's quality thresholds and the published references (data/thresholds.toml, or the
file named by IRFLOW_QUALITY_THRESHOLDS). A threshold without a value is "set by the site"."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from django.conf import settings

SET_BY_SITE = "set by the site"
MEASURES = (
    "technical_success",
    "clinical_success",
    "adverse_event",
    "adverse_event_moderate_plus",
    "report_signed_within_hours",
)
FLOORS = frozenset({"technical_success", "clinical_success"})
# Measures given in hours (a time target), not as a fraction.
HOURS = frozenset({"report_signed_within_hours"})


@dataclass(frozen=True)
class Threshold:
    procedure: str
    measure: str
    value: float | None
    source: str
    confidence: str

    def breached(self, rate: float | None) -> bool | None:
        """Whether `rate` falls on the wrong side (None when either is unknown)."""
        if self.value is None or rate is None:
            return None
        return rate < self.value if self.measure in FLOORS else rate > self.value

    @property
    def label(self) -> str:
        if self.value is None:
            return SET_BY_SITE
        return f"{self.value:g} h" if self.measure in HOURS else f"{self.value:.1%}"


@dataclass(frozen=True)
class Reference:
    family: str
    measure: str
    value: float
    label: str
    source: str
    confidence: str


class ThresholdError(ValueError):
    pass


def _text() -> str:
    path = settings.IRFLOW_QUALITY_THRESHOLDS
    if path:
        return Path(path).read_text(encoding="utf-8")
    return resources.files("irflow.quality").joinpath("data/thresholds.toml").read_text()


def _value(raw: object, where: str, measure: str) -> float | None:
    if raw in ("", None):
        return None
    if measure in HOURS:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= 8760:
            raise ThresholdError(f"{where}: value must be a number of hours (1 year at most)")
        return float(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 1:
        raise ThresholdError(f"{where}: value must be a fraction between 0 and 1, or empty")
    return float(raw)


def parse(text: str) -> tuple[tuple[Threshold, ...], tuple[Reference, ...]]:
    data = tomllib.loads(text)
    thresholds = []
    for i, t in enumerate(data.get("threshold", [])):
        where = f"threshold {i + 1}"
        if t.get("measure") not in MEASURES:
            raise ThresholdError(f"{where}: measure must be one of {', '.join(MEASURES)}")
        value = _value(t.get("value"), where, t["measure"])
        source = str(t.get("source") or "")
        if value is not None and (not source or source == SET_BY_SITE):
            raise ThresholdError(f"{where}: a value needs its source")
        thresholds.append(
            Threshold(
                procedure=str(t.get("procedure") or "*"),
                measure=t["measure"],
                value=value,
                source=source or SET_BY_SITE,
                confidence=str(t.get("confidence") or ""),
            )
        )
    references = tuple(
        Reference(
            family=str(r["family"]),
            measure=str(r["measure"]),
            value=float(r["value"]),
            label=str(r["label"]),
            source=str(r["source"]),
            confidence=str(r.get("confidence", "")),
        )
        for r in data.get("reference", [])
    )
    return tuple(thresholds), references


@cache
def loaded() -> tuple[tuple[Threshold, ...], tuple[Reference, ...]]:
    return parse(_text())


def threshold_for(procedure: str, measure: str) -> Threshold:
    """The procedure's own threshold, else the site-wide one, else an empty one."""
    thresholds, _ = loaded()
    by_key = {(t.procedure, t.measure): t for t in thresholds}
    return (
        by_key.get((procedure, measure))
        or by_key.get(("*", measure))
        or Threshold(procedure, measure, None, SET_BY_SITE, "none")
    )


def references() -> tuple[Reference, ...]:
    return loaded()[1]
