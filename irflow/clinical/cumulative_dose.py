"""Repeated procedures: the substantial radiation dose levels applied to the patient's
cumulative dose over the site's window (NCRP 168 treats doses within the window as additive).

The caller gives every procedure of one patient (`Exposure`); `cumulative_crossings` says
where the summed Ka,r (and the summed PSD, where known) reached the SRDL. A crossing needs at
least two procedures — one procedure alone is the single-procedure SRDL's — and later
procedures whose window still holds a procedure of a crossing extend that crossing instead
of raising another: one alert per crossing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import irflow.clinical.messages as msg
from irflow.clinical.formatting import fmt_number
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy
from irflow.clinical.radiation import CUMULATIVE_WINDOW, cumulative_window_days, threshold
from irflow.clinical.rules import rule

Quantity = Literal["ka_r_mgy", "psd_mgy"]

CUMULATIVE_SRDL: dict[Quantity, str] = {
    "ka_r_mgy": "ncrp-168-radiation.cumulative-srdl.ka-r",
    "psd_mgy": "ncrp-168-radiation.cumulative-srdl.psd",
}
_LABELS: dict[Quantity, str] = {
    "ka_r_mgy": "reference air kerma",
    "psd_mgy": "peak skin dose",
}


@dataclass(frozen=True)
class Exposure:
    """One procedure's dose: `key` names it to the caller, `on` is its day (site's zone)."""

    key: int
    on: date
    ka_r_mgy: float | None
    psd_mgy: float | None = None
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (the day as ISO text)."""
        return {
            "key": self.key,
            "on": self.on.isoformat(),
            "ka_r_mgy": self.ka_r_mgy,
            "psd_mgy": self.psd_mgy,
            "label": self.label,
        }


@dataclass(frozen=True)
class Crossing:
    """The cumulative dose of two or more procedures within the window reached an SRDL."""

    rule_id: str
    quantity: Quantity
    value: float  # the highest sum over one window of the crossing, mGy
    threshold: float  # mGy
    window_days: int
    crossed_by: Exposure  # the procedure whose dose made the sum reach the level
    contributors: tuple[Exposure, ...]  # every procedure of the crossing, oldest first
    source: str
    confidence: str
    verified: bool
    message: str

    @property
    def keys(self) -> frozenset[int]:
        return frozenset(e.key for e in self.contributors)


def in_window(earlier: date, later: date, window_days: int) -> bool:
    """`earlier` is within the window that ends on `later` (the boundary day counts)."""
    return 0 <= (later - earlier).days <= window_days


def cumulative_crossings(
    exposures: Iterable[Exposure], *, policy: SitePolicy = DEFAULT_POLICY
) -> list[Crossing]:
    """Every crossing of the cumulative Ka,r and PSD SRDLs among one patient's procedures."""
    ordered = sorted(exposures, key=lambda e: (e.on, e.key))
    for e in ordered:
        for name in ("ka_r_mgy", "psd_mgy"):
            value = getattr(e, name)
            if value is not None and (
                isinstance(value, bool) or not math.isfinite(value) or value < 0
            ):
                raise ValueError(msg.RADIATION_BAD_VALUE.format(quantity=name))
    days = cumulative_window_days(policy)
    crossings: list[Crossing] = []
    for quantity, rule_id in CUMULATIVE_SRDL.items():
        crossings += _crossings(ordered, quantity, rule_id, days, policy)
    return crossings


def _crossings(
    ordered: list[Exposure], quantity: Quantity, rule_id: str, days: int, policy: SitePolicy
) -> list[Crossing]:
    limit = threshold(rule(rule_id).attr("srdl_rule"), policy=policy)
    known = [e for e in ordered if getattr(e, quantity) is not None]
    episodes: list[tuple[Exposure, list[Exposure], float]] = []
    for index, last in enumerate(known):
        window = [e for e in known[: index + 1] if in_window(e.on, last.on, days)]
        total = sum(getattr(e, quantity) for e in window)
        if len(window) < 2 or total < limit:
            continue
        if episodes and set(window) & set(episodes[-1][1]):
            crossed_by, members, highest = episodes[-1]
            merged = members + [e for e in window if e not in members]
            episodes[-1] = (crossed_by, merged, max(highest, total))
        else:
            episodes.append((last, window, total))
    r = rule(rule_id)
    return [
        Crossing(
            rule_id=rule_id,
            quantity=quantity,
            value=total,
            threshold=limit,
            window_days=days,
            crossed_by=crossed_by,
            contributors=tuple(members),
            source=r.source,
            confidence=r.confidence,
            verified=r.verified,
            message=msg.ALERT_CUMULATIVE_SRDL.format(
                quantity=_LABELS[quantity],
                value=fmt_number(total),
                count=len(members),
                days=days,
                threshold=fmt_number(limit),
            ),
        )
        for crossed_by, members, total in episodes
    ]


def contribution_text(exposure: Exposure) -> str:
    """'14 Jan 2026 · TACE (A123): Ka,r 3000 mGy, PSD not known', for alerts and tasks."""
    psd = (
        f"PSD {fmt_number(exposure.psd_mgy)} mGy"
        if exposure.psd_mgy is not None
        else msg.PSD_NOT_KNOWN
    )
    return msg.CUMULATIVE_CONTRIBUTION.format(
        on=f"{exposure.on:%d %b %Y}",
        label=exposure.label or "procedure",
        ka_r=fmt_number(exposure.ka_r_mgy) if exposure.ka_r_mgy is not None else "?",
        psd=psd,
    )


__all__ = [
    "CUMULATIVE_SRDL",
    "CUMULATIVE_WINDOW",
    "Crossing",
    "Exposure",
    "contribution_text",
    "cumulative_crossings",
    "in_window",
]
