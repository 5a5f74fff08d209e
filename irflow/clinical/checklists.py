"""Checklist definitions: sign-in (with pre-procedure verification), time-out, sign-out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import irflow.clinical.messages as msg
from irflow.clinical.rules import rules_where

Phase = Literal["sign_in", "time_out", "sign_out"]
PHASES: tuple[Phase, ...] = get_args(Phase)


@dataclass(frozen=True)
class ChecklistItem:
    """One item; `required` items are the Universal Protocol's, the rest are recommended."""

    id: str
    phase: Phase
    text: str
    required: bool
    applies_when: str | None
    source: str
    confidence: str
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def checklist_items(phase: Phase) -> tuple[ChecklistItem, ...]:
    """The items of one phase, in checklist order; ValueError for an unknown phase."""
    if phase not in PHASES:
        raise ValueError(msg.CHECKLIST_UNKNOWN_PHASE.format(phase=phase, known=", ".join(PHASES)))
    return tuple(
        ChecklistItem(
            id=r.id,
            phase=phase,
            text=r.title,
            required=bool(r.attr("required")),
            applies_when=r.attr("applies_when"),
            source=r.source,
            confidence=r.confidence,
            verified=r.verified,
        )
        for r in rules_where(phase=phase)
    )
