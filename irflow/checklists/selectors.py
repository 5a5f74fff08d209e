"""Reads of checklists: the three phases of a booking with their items and records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.checklists.models import PHASE_ORDER, ChecklistRecord, Phase
from irflow.checklists.services import TEAM_ROLES, open_findings
from irflow.clinical import ChecklistItem, checklist_items
from irflow.readiness.selectors import booking_get, readiness_detail
from irflow.scheduling.models import Booking


@dataclass
class PhaseView:
    phase: str
    label: str
    items: tuple[ChecklistItem, ...]
    record: ChecklistRecord | None
    available: bool  # the previous phase is done and this one is not
    blocked_by: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BookingChecklists:
    booking: Booking
    phases: list[PhaseView]
    readiness_state: str
    emergent: bool
    team: list[User]

    def phase(self, name: str) -> PhaseView:
        return next(p for p in self.phases if p.phase == name)


def booking_checklists(*, actor, booking_id: int) -> BookingChecklists:
    """Every phase of one booking: items with their sources, the completed records, and
    what stops the time-out (open readiness findings)."""
    booking = booking_get(
        actor=actor, booking_id=booking_id, action="checklist.view", what="checklists"
    )
    records = {r.phase: r for r in ChecklistRecord.objects.filter(booking=booking)}
    readiness = readiness_detail(booking_id=booking.pk)
    emergent = bool(readiness.data.get("emergent_override"))
    phases = []
    for index, phase in enumerate(PHASE_ORDER):
        previous_done = index == 0 or PHASE_ORDER[index - 1] in records
        blocked = (
            open_findings(readiness.findings)
            if phase == Phase.TIME_OUT and not emergent and phase not in records
            else []
        )
        phases.append(
            PhaseView(
                phase=phase,
                label=phase.label,
                items=checklist_items(phase),  # type: ignore[arg-type]
                record=records.get(phase),
                available=previous_done and phase not in records,
                blocked_by=blocked,
            )
        )
    team_ids = set(booking.team.values_list("user_id", flat=True))
    team = sorted(
        User.objects.filter(is_active=True, role__in=list(TEAM_ROLES)).exclude(role=Role.SCHEDULER),
        key=lambda u: (u.pk not in team_ids, str(u)),
    )
    return BookingChecklists(
        booking=booking,
        phases=phases,
        readiness_state=readiness.state,
        emergent=emergent,
        team=team,
    )
