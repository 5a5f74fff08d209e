"""Reads of the day of the case: the Today board and the procedure page, each built in a fixed
number of queries whatever the number of bookings, with what the rules allow next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import can, require
from irflow.audit.services import access_log_record
from irflow.catalogue.models import Room
from irflow.checklists.models import PHASE_ORDER, SafetyFlag, SafetyOverride
from irflow.checklists.selectors import BookingChecklists, booking_checklists
from irflow.dayofcase import versions
from irflow.dayofcase.cases import cases_for
from irflow.dayofcase.guards import BEFORE_ROOM, Case, Move, Refusal, Verdict, verdict
from irflow.dose.selectors import OrderDoseTotals, dose_totals_for_order
from irflow.outcomes.selectors import adverse_events_for_chart, adverse_events_for_procedure
from irflow.patients.selectors import patient_get
from irflow.procedures.models import ProcedureRecord
from irflow.procedures.selectors import procedures_for_patient
from irflow.readiness.selectors import BookingReadiness, readiness_detail
from irflow.recovery.selectors import RecoveryView, recovery_for_procedure
from irflow.reports.models import Report
from irflow.reports.selectors import report_for_procedure, reports_for_patient
from irflow.scheduling.models import Booking, BookingStatus
from irflow.scheduling.selectors import booking_get, bookings_of_day


def _name(booking: Booking) -> str:
    return f"{booking.patient.family_name.upper()}, {booking.patient.given_name}"


@dataclass
class Option:
    """A move the page may offer: allowed, or refused with the reasons (then not offered as a
    button, but said)."""

    to: str
    label: str
    confirm: str
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    # Rules refusing now that a physician may override.
    overridable: list[Refusal] = field(default_factory=list)


def _from_verdict(to: str, label: str, confirm: str, v: Verdict) -> Option:
    return Option(
        to=to,
        label=label,
        confirm=confirm,
        allowed=v.allowed,
        reasons=v.messages,
        overridable=v.blocking,
    )


def options(case: Case, *, can_progress: bool, can_record: bool) -> list[Option]:
    """The next moves of a case, in the day's order, each with what the rules say now."""
    booking, name = case.booking, _name(case.booking)
    room = booking.room.name
    status = booking.status
    found: list[Option] = []
    if status == BookingStatus.BOOKED and can_progress:
        found.append(
            Option(
                "arrived",
                "Check in",
                f"Check in {name}? The procedure record opens.",
                allowed=True,
            )
        )
    if status == BookingStatus.ARRIVED and can_progress:
        found.append(
            Option(
                "in_preparation",
                "In preparation",
                f"{name} is being prepared for {booking.order.procedure_type.name}?",
                allowed=True,
            )
        )
    if status in (BookingStatus.ARRIVED, BookingStatus.IN_PREPARATION) and can_progress:
        found.append(
            _from_verdict(
                "in_room",
                "In room",
                f"{name} into {room} now?",
                verdict(case, Move.IN_ROOM),
            )
        )
    if status == BookingStatus.IN_ROOM and can_record and case.record is not None:
        found.append(
            _from_verdict(
                "recovery",
                "Complete → recovery",
                f"Complete the procedure of {name}? The patient goes to recovery and the record "
                "can no longer be changed.",
                verdict(case, Move.COMPLETE),
            )
        )
    return found


@dataclass
class BoardCase:
    case: Case
    options: list[Option]

    @property
    def booking(self) -> Booking:
        return self.case.booking

    @property
    def stage(self) -> str:
        """waiting (before the room), in_room, recovery, discharged."""
        status = self.booking.status
        return "waiting" if status in BEFORE_ROOM else status

    @property
    def phases(self) -> list[tuple[str, bool]]:
        done = self.case.phases_done
        return [(phase.label, phase in done) for phase in PHASE_ORDER]

    @property
    def overrides(self) -> list[SafetyOverride]:
        return list(self.case.overrides.values())

    @property
    def flags(self) -> list[SafetyFlag]:
        return self.case.safety.open_flags

    @property
    def refused(self) -> list[Option]:
        return [o for o in self.options if not o.allowed]


@dataclass
class BoardRoom:
    room: Room
    cases: list[BoardCase]

    @property
    def current(self) -> list[Booking]:
        return [c.booking for c in self.cases if c.booking.status == BookingStatus.IN_ROOM]

    @property
    def busy(self) -> bool:
        return bool(self.current)


def department_board(*, actor: Actor, day: date | None = None, log: bool = True) -> list[BoardRoom]:
    """Every room's patients of the day, each with the truth for its stage (readiness before
    the room, the checklists in it and after) and the moves the rules allow now.

    `log=False` for the page's own background refreshes: the page load is what is logged.
    """
    require(actor, "schedule.view")
    day = day or timezone.localdate()
    bookings = bookings_of_day(actor=actor, day=day)
    cases = cases_for(bookings, fresh=True)
    can_progress = can(actor, "booking.progress")
    can_record = can(actor, "procedure.record")
    by_room: dict[int, list[BoardCase]] = {}
    for booking in bookings:
        case = cases[booking.pk]
        entry = BoardCase(
            case=case,
            options=options(case, can_progress=can_progress, can_record=can_record),
        )
        by_room.setdefault(booking.room_id, []).append(entry)
    if log:
        access_log_record(
            actor=actor,
            patient=None,
            what=f"department board {day}",
            shown=[b.patient for b in bookings],
        )
    rooms = Room.objects.filter(active=True).order_by("code")
    return [BoardRoom(room=r, cases=by_room.get(r.pk, [])) for r in rooms]


def board_tag_base(*, actor: Actor, day: date | None = None, what: str = "board") -> str:
    """What a board of `day` drawn for `actor` now depends on (`irflow.dayofcase.versions`):
    read before the board itself, one query. `what` tells the kinds of answer apart (the
    page's fragment, the API)."""
    require(actor, "schedule.view")
    return versions.base_of(actor=actor, day=day or timezone.localdate(), what=what)


def board_tag(base: str, rooms: list[BoardRoom], *, drawn_at: datetime) -> versions.Tag:
    """The tag of a board drawn at `drawn_at`: it expires by itself when the readiness of a
    patient waiting can change with the clock alone."""
    expires = [
        entry.case.readiness.valid_until
        for column in rooms
        for entry in column.cases
        if entry.case.readiness is not None
    ]
    return versions.tag_for(base, drawn_at=drawn_at, expires=expires)


@dataclass
class ProcedurePage:
    """Everything the procedure page shows: the case and what the rules allow, the record,
    readiness, checklists, the modality's steps, dose, report, recovery, adverse events."""

    case: Case
    options: list[Option]
    verdicts: dict[str, Verdict]
    readiness: BookingReadiness | None = None
    checklists: BookingChecklists | None = None
    performed_steps: list[Any] = field(default_factory=list)
    dose: OrderDoseTotals | None = None
    report: Report | None = None
    recovery: RecoveryView | None = None
    adverse_events: list[Any] | None = None

    @property
    def booking(self) -> Booking:
        return self.case.booking

    @property
    def record(self) -> ProcedureRecord | None:
        return self.case.record

    @property
    def day_options(self) -> list[Option]:
        """The moves the procedure page's day card offers (check-in and completion have
        their own places on the page); with the start of the procedure while it waits for
        the time-out."""
        found = [o for o in self.options if o.to not in ("arrived", "recovery")]
        record = self.case.record
        start = self.verdicts[Move.START]
        if (
            self.booking.status == BookingStatus.IN_ROOM
            and record is not None
            and record.started_at is None
            and not start.allowed
        ):
            found.append(
                Option(
                    to="start",
                    label="Start of the procedure",
                    confirm="",
                    allowed=False,
                    reasons=start.messages,
                    overridable=start.blocking,
                )
            )
        return found


def procedure_page(*, actor: Actor, booking_id: int) -> ProcedurePage:
    """A booking's day of procedure, read once (the read is access-logged)."""
    require(actor, "procedure.view")
    booking = booking_get(actor=actor, booking_id=booking_id, what="procedure page")
    case = cases_for([booking], discharge=True)[booking.pk]
    page = ProcedurePage(
        case=case,
        options=options(
            case,
            can_progress=can(actor, "booking.progress"),
            can_record=can(actor, "procedure.record"),
        ),
        verdicts={move.value: verdict(case, move) for move in Move},
    )
    page.performed_steps = list(booking.performed_steps.order_by("started_at", "pk"))
    if can(actor, "readiness.view"):
        page.readiness = readiness_detail(booking_id=booking.pk)
    if can(actor, "checklist.view"):
        page.checklists = booking_checklists(actor=actor, booking_id=booking.pk)
    if can(actor, "dose.view"):
        page.dose = dose_totals_for_order(actor=actor, order=booking.order)
    record = case.record
    if record is not None:
        page.report = report_for_procedure(actor=actor, record=record)
        page.recovery = recovery_for_procedure(actor=actor, record=record)
        page.adverse_events = adverse_events_for_procedure(actor=actor, record=record)
    return page


@dataclass
class ChartProcedures:
    """The patient chart's procedure card: records with their reports, adverse events."""

    records: list[dict[str, Any]]
    reports: list[Any]
    adverse_events: list[Any] | None


def chart_procedures(*, actor: Actor, patient_id: int) -> ChartProcedures | None:
    """The reader's view of a patient's procedures, reports and adverse events (None when
    they may see none of them; referrers see final reports only). The read is logged."""
    if not (can(actor, "procedure.view") or can(actor, "report.view")):
        return None
    patient_get(actor=actor, patient_id=patient_id, what="chart procedures")
    reports = reports_for_patient(actor=actor, patient_id=patient_id)
    records = []
    if can(actor, "procedure.view"):
        by_record = {r.record_id: r for r in reports}
        records = [
            {"record": r, "report": by_record.get(r.pk)}
            for r in procedures_for_patient(actor=actor, patient_id=patient_id)
        ]
    return ChartProcedures(
        records=records,
        reports=reports,
        adverse_events=adverse_events_for_chart(actor=actor, patient_id=patient_id),
    )
