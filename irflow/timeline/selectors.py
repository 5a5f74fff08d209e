"""The patient timeline: one list of what happened (and is planned) to a patient, read from the
record apps in a fixed number of queries whatever the number of entries, each kind only for
readers who may see it. Opening the timeline is one access-log entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.urls import reverse
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import OWN, can, scope
from irflow.board.models import BoardCase
from irflow.devices.selectors import devices_for_patient
from irflow.dose.models import AlertLevel, DoseAlert
from irflow.followup.models import PENDING
from irflow.followup.selectors import followups_for_chart
from irflow.outcomes.models import FollowUpOutcome
from irflow.outcomes.selectors import adverse_events_for_patient
from irflow.patients.models import Patient
from irflow.patients.selectors import patient_get
from irflow.procedures.selectors import procedures_for_patient
from irflow.referrals.selectors import referrals_visible
from irflow.reports.models import Addendum
from irflow.reports.selectors import reports_visible
from irflow.scheduling.selectors import bookings_visible


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    # The permission that shows this kind of entry.
    action: str


KINDS: tuple[Kind, ...] = (
    Kind("referral", "Referrals", "referral.view"),
    Kind("board", "Board decisions", "board.view"),
    Kind("booking", "Bookings", "booking.view"),
    Kind("procedure", "Procedures", "procedure.view"),
    Kind("report", "Reports", "report.view"),
    Kind("dose", "Dose alerts", "dose.view"),
    Kind("adverse_event", "Adverse events", "adverse_event.view"),
    Kind("device", "Devices", "device.view"),
    Kind("followup", "Follow-up", "followup.view"),
)
KIND_BY_KEY = {k.key: k for k in KINDS}
# One word for each entry's kind, as the list shows it.
ENTRY_LABELS = {
    "referral": "Referral",
    "board": "Board",
    "booking": "Booking",
    "procedure": "Procedure",
    "report": "Report",
    "dose": "Dose alert",
    "adverse_event": "Adverse event",
    "device": "Device",
    "followup": "Follow-up",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    # False when only the day is known (a due date, a device's placement).
    timed: bool
    kind: str
    summary: str
    url: str
    status: str = ""
    # tag-ok, tag-warn, tag-bad, tag-info: the status's colour (with its words).
    status_css: str = "tag-info"

    @property
    def kind_label(self) -> str:
        return ENTRY_LABELS[self.kind]


@dataclass
class Timeline:
    patient: Patient
    entries: list[Entry]
    # The kinds this reader may see (the filter offers these) and those shown now.
    kinds: list[Kind]
    selected: list[str]

    @property
    def filtered(self) -> bool:
        return len(self.selected) < len(self.kinds)


def kinds_for(actor: Actor) -> list[Kind]:
    """The kinds of entry `actor` may see."""
    return [k for k in KINDS if can(actor, k.action)]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def _referrals(actor: Actor, patient: Patient) -> Iterable[Entry]:
    for r in referrals_visible(actor=actor).filter(patient=patient):
        yield Entry(
            at=r.received_at,
            timed=True,
            kind="referral",
            summary=f"{r.requested_procedure or 'Referral'} — {r.get_urgency_display().lower()}, "
            f"from {r.referring_clinician}",
            url=reverse("referral-detail", args=[r.pk]),
            status=r.get_status_display(),
            status_css="tag-bad" if r.status in ("declined", "cancelled") else "tag-info",
        )


def _board(actor: Actor, patient: Patient) -> Iterable[Entry]:
    cases = BoardCase.objects.filter(referral__patient=patient).select_related("meeting")
    for c in cases:
        if c.decision:
            summary = c.get_decision_display()
            if c.recommended_treatment:
                summary += f": {c.recommended_treatment}"
            yield Entry(
                at=c.decided_at or c.meeting.held_at,
                timed=True,
                kind="board",
                summary=f"{summary} ({c.meeting.title})",
                url=reverse("board-meeting", args=[c.meeting_id]),
                status="Decided",
                status_css="tag-ok",
            )
        else:
            yield Entry(
                at=c.meeting.held_at,
                timed=True,
                kind="board",
                summary=f"On the agenda of {c.meeting.title}",
                url=reverse("board-meeting", args=[c.meeting_id]),
                status="To discuss",
                status_css="tag-warn",
            )


def _bookings(actor: Actor, patient: Patient) -> Iterable[Entry]:
    qs = (
        bookings_visible(actor=actor)
        .filter(patient=patient)
        .select_related("room", "order__procedure_type")
    )
    for b in qs:
        yield Entry(
            at=b.start,
            timed=True,
            kind="booking",
            summary=f"{b.order.procedure_type.name} in {b.room.name}",
            url=reverse("booking-detail", args=[b.pk]),
            status=b.get_status_display(),
            status_css="tag-bad" if b.status == "cancelled" else "tag-info",
        )


def _procedures(actor: Actor, patient: Patient) -> Iterable[Entry]:
    for r in procedures_for_patient(actor=actor, patient_id=patient.pk):
        yield Entry(
            at=r.started_at or r.checked_in_at,
            timed=True,
            kind="procedure",
            summary=f"{r.order.procedure_type.name} in {r.booking.room.name}",
            url=reverse("procedure-page", args=[r.booking_id]),
            status=r.get_status_display(),
            status_css="tag-ok" if r.status == "completed" else "tag-warn",
        )


def _reports(actor: Actor, patient: Patient) -> Iterable[Entry]:
    reports = list(reports_visible(actor=actor).filter(record__patient=patient))
    for rep in reports:
        yield Entry(
            at=rep.signed_at or rep.created_at,
            timed=True,
            kind="report",
            summary=f"Report of the {rep.record.order.procedure_type.name}",
            url=reverse("report-detail", args=[rep.pk]),
            status=rep.get_status_display(),
            status_css="tag-ok" if rep.is_final else "tag-warn",
        )
    addenda = Addendum.objects.filter(report__in=[r.pk for r in reports]).select_related(
        "report__record__order__procedure_type"
    )
    if scope(actor, "report.view") is OWN:
        # Referrers read what was signed, as with the reports themselves.
        addenda = addenda.filter(signed_at__isnull=False)
    for a in addenda:
        yield Entry(
            at=a.signed_at or a.created_at,
            timed=True,
            kind="report",
            summary=f"Addendum to the report of the {a.report.record.order.procedure_type.name}",
            url=reverse("report-detail", args=[a.report_id]),
            status="Signed" if a.is_signed else "Draft",
            status_css="tag-ok" if a.is_signed else "tag-warn",
        )


ALERT_WORDS: dict[str, str] = {
    AlertLevel.SRDL: "Substantial radiation dose",
    AlertLevel.REVIEW: "Dose review",
}


def _dose(actor: Actor, patient: Patient) -> Iterable[Entry]:
    alerts = DoseAlert.objects.filter(
        patient=patient, level__in=[AlertLevel.SRDL, AlertLevel.REVIEW]
    ).select_related("order__procedure_type")
    for a in alerts:
        yield Entry(
            at=a.created_at,
            timed=True,
            kind="dose",
            summary=f"{ALERT_WORDS.get(a.level, a.get_level_display())}: {a.message}",
            url=reverse("dose-order", args=[a.order_id]),
            status="Acknowledged" if a.acknowledged_at else "To acknowledge",
            status_css="tag-ok" if a.acknowledged_at else "tag-bad",
        )


def _adverse_events(actor: Actor, patient: Patient) -> Iterable[Entry]:
    chart = reverse("patient-chart", args=[patient.pk])
    for line in adverse_events_for_patient(actor=actor, patient_id=patient.pk, log=False):
        e = line.event
        first_line = e.description.strip().splitlines()[0] if e.description.strip() else ""
        yield Entry(
            at=e.onset_at,
            timed=True,
            kind="adverse_event",
            summary=first_line[:140] or "Adverse event",
            url=(
                reverse("procedure-page", args=[e.record.booking_id])
                if e.record is not None
                else chart + "#h-chart-ae"
            ),
            status=line.sir_label,
            status_css=line.sir_css,
        )


def _devices(actor: Actor, patient: Patient) -> Iterable[Entry]:
    today = timezone.localdate()
    chart = reverse("patient-chart", args=[patient.pk])
    for line in devices_for_patient(actor=actor, patient_id=patient.pk, on=today, log=False):
        d = line.device
        if d.removed_on is not None:
            summary = f"{d.name} placed; removed {d.removed_on:%-d %b %Y}"
            status, css = "Removed", "tag-ok"
        else:
            summary = f"{d.name} placed; {d.action or 'removal'} due {d.due_on:%-d %b %Y}"
            status, css = ("Overdue", "tag-bad") if line.overdue else ("In situ", "tag-info")
        yield Entry(
            at=_day_start(d.placed_on),
            timed=False,
            kind="device",
            summary=summary,
            url=(
                reverse("procedure-page", args=[d.placed_by_procedure.booking_id])
                if d.placed_by_procedure is not None
                else chart + "#h-devices-in-situ"
            ),
            status=status,
            status_css=css,
        )


def _followup(actor: Actor, patient: Patient) -> Iterable[Entry]:
    chart = reverse("patient-chart", args=[patient.pk])
    may_record = can(actor, "followup.manage")
    for t in followups_for_chart(actor=actor, patient=patient) or []:
        pending = t.status in PENDING
        yield Entry(
            at=t.completed_at if t.completed_at else _day_start(t.due_date),
            timed=t.completed_at is not None,
            kind="followup",
            summary=f"{t.get_kind_display()}: {t.description.strip()[:120]}"
            + (f" (due {t.due_date:%-d %b %Y})" if pending else ""),
            url=(
                reverse("followup-outcome", args=[t.pk])
                if pending and may_record
                else chart + "#h-followup"
            ),
            status=t.get_status_display(),
            status_css="tag-warn" if pending else "tag-ok",
        )
    for o in FollowUpOutcome.objects.filter(patient=patient):
        yield Entry(
            at=o.recorded_at,
            timed=True,
            kind="followup",
            summary=f"Outcome: {o.summary()}"[:160],
            url=chart + "#h-followup",
            status="Recorded",
            status_css="tag-ok",
        )


READERS: dict[str, Callable[[Actor, Patient], Iterable[Entry]]] = {
    "referral": _referrals,
    "board": _board,
    "booking": _bookings,
    "procedure": _procedures,
    "report": _reports,
    "dose": _dose,
    "adverse_event": _adverse_events,
    "device": _devices,
    "followup": _followup,
}


def patient_timeline(*, actor: Actor, patient_id: int, kinds: Iterable[str] = ()) -> Timeline:
    """A patient's entries of the kinds asked for (all the reader may see when none, or none
    known), newest first. The read is access-logged once."""
    patient = patient_get(actor=actor, patient_id=patient_id, what="timeline")
    allowed = kinds_for(actor)
    asked = set(kinds) & {k.key for k in allowed}
    selected = [k.key for k in allowed if not asked or k.key in asked]
    entries: list[Entry] = []
    for key in selected:
        entries.extend(READERS[key](actor, patient))
    entries.sort(key=lambda e: e.at, reverse=True)
    return Timeline(patient=patient, entries=entries, kinds=allowed, selected=selected)
