"""Reads of checklists: the three phases of a booking with their items and records; the
overrides and flags of many bookings at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from irflow.accounts.actors import Actor
from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.checklists.models import (
    PHASE_ORDER,
    ChecklistRecord,
    Phase,
    SafetyFlag,
    SafetyOverride,
)
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


def booking_checklists(*, actor: Actor, booking_id: int) -> BookingChecklists:
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


@dataclass
class Safety:
    """What the safety record of one booking holds: completed phases, overrides, flags."""

    phases: dict[str, ChecklistRecord] = field(default_factory=dict)
    overrides: dict[str, SafetyOverride] = field(default_factory=dict)
    flags: list[SafetyFlag] = field(default_factory=list)

    @property
    def open_flags(self) -> list[SafetyFlag]:
        return [f for f in self.flags if f.reviewed_at is None]


def safety_for_bookings(*, booking_ids: list[int]) -> dict[int, Safety]:
    """Checklists, overrides and flags of many bookings in three queries (the caller checked
    permission and logged the read)."""
    result = {pk: Safety() for pk in booking_ids}
    for record in ChecklistRecord.objects.filter(booking_id__in=booking_ids).select_related(
        "completed_by"
    ):
        result[record.booking_id].phases[record.phase] = record
    for override in SafetyOverride.objects.filter(booking_id__in=booking_ids).select_related(
        "overridden_by"
    ):
        result[override.booking_id].overrides[override.rule] = override
    for flag in SafetyFlag.objects.filter(booking_id__in=booking_ids).select_related("reviewed_by"):
        result[flag.booking_id].flags.append(flag)
    return result
