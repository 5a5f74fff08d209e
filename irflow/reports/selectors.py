"""Reads of reports. Referring clinicians read only FINAL reports of patients in their care."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.models import User
from irflow.accounts.permissions import OWN, can, require
from irflow.accounts.roles import Role
from irflow.audit.services import access_log_record
from irflow.checklists.models import SafetyFlag, SafetyOverride
from irflow.checklists.selectors import safety_for_bookings
from irflow.lib.errors import NotFound
from irflow.procedures.models import ProcedureRecord
from irflow.reports import structure
from irflow.reports.models import Addendum, Report, ReportStatus
from irflow.scheduling.models import Booking, BookingTeamMember, TeamRole
from irflow.scheduling.selectors import bookings_visible

MSG_REPORT_NOT_FOUND = "No such report, or you may not see it."


def reports_visible(*, actor: Actor, action: str = "report.view") -> QuerySet[Report]:
    """Reports `actor` may read: all, or the final reports of their own patients (referrers).

    Each report comes with the addenda `actor` may read (`report.addenda.all()`): all of them,
    or (referrers) only the signed ones — a draft addendum is not part of the report yet.
    """
    scope = require(actor, action)
    qs = Report.objects.filter(record__patient__is_active=True)
    addenda = Addendum.objects.select_related("author", "signed_by")
    if scope is OWN:
        qs = qs.filter(
            status=ReportStatus.FINAL, record__patient__care_relations__clinician=person(actor)
        )
        addenda = addenda.filter(signed_at__isnull=False)
    return qs.prefetch_related(Prefetch("addenda", queryset=addenda)).select_related(
        "record__order__procedure_type",
        "record__patient",
        "record__booking__room",
        "author",
        "signed_by",
        "returned_by",
    )


def report_get(
    *, actor: Actor, report_id: int, action: str = "report.view", what: str = "report"
) -> Report:
    """One report, if `actor` may read (or act on) it; the read is access-logged."""
    report = reports_visible(actor=actor, action=action).filter(pk=report_id).first()
    if report is None:
        raise NotFound(MSG_REPORT_NOT_FOUND)
    access_log_record(actor=actor, patient=report.record.patient, what=f"{what} {report.pk}")
    return report


@dataclass(frozen=True)
class FieldLine:
    key: str
    label: str
    value: Any
    display: str
    spec: dict


@dataclass(frozen=True)
class SectionLine:
    key: str
    label: str
    text: str
    required: bool


@dataclass
class ReportView:
    report: Report
    fields: list[FieldLine]
    sections: list[SectionLine]
    addenda: list[Any]
    # The day's emergency overrides and the modality's flags: shown with the report, kept in
    # the safety record (not part of the signed text).
    overrides: list[SafetyOverride] = field(default_factory=list)
    flags: list[SafetyFlag] = field(default_factory=list)

    @property
    def signed_addenda(self) -> list[Any]:
        return [a for a in self.addenda if a.is_signed]


def report_view(report: Report) -> ReportView:
    """The report laid out by its template: fields then sections, and its addenda."""
    spec = structure.normalised(report.template)
    fields = [
        FieldLine(
            key=f["key"],
            label=f["label"],
            value=report.fields.get(f["key"], ""),
            display=structure.display_value(f, report.fields.get(f["key"], "")),
            spec=f,
        )
        for f in spec["fields"]
    ]
    sections = [
        SectionLine(
            key=s["key"],
            label=s["label"],
            text=report.sections.get(s["key"], ""),
            required=bool(s.get("required")),
        )
        for s in spec["sections"]
    ]
    # The addenda the reader may read, fetched with the report by `reports_visible`.
    addenda = list(report.addenda.all())
    booking_id = report.record.booking_id
    safety = safety_for_bookings(booking_ids=[booking_id])[booking_id]
    return ReportView(
        report=report,
        fields=fields,
        sections=sections,
        addenda=addenda,
        overrides=list(safety.overrides.values()),
        flags=safety.flags,
    )


def report_for_procedure(*, actor: Actor, record: ProcedureRecord) -> Report | None:
    """The report of a procedure the caller may see, or None (none yet, or not readable)."""
    if not can(actor, "report.view"):
        return None
    return reports_visible(actor=actor).filter(record=record).first()


def reports_for_patient(*, actor: Actor, patient_id: int) -> list[Report]:
    """The chart's list of a patient's reports (the chart logged the read)."""
    if not can(actor, "report.view"):
        return []
    return list(
        reports_visible(actor=actor)
        .filter(record__patient_id=patient_id)
        .order_by("-record__checked_in_at")
    )


# Worklists. Each list is one query (with one prefetch of patient identifiers) whatever its
# length; the navigation's count runs the same conditions as one aggregate.

# The booking team's members who answer for a case's report.
RESPONSIBLE = (TeamRole.PRIMARY_OPERATOR, TeamRole.SUPERVISING_PHYSICIAN)


def _responsible(actor: Actor) -> Q:
    """The case was booked with `actor` as primary operator or supervising physician."""
    team = BookingTeamMember.objects.filter(
        booking=OuterRef("record__booking"), user=person(actor), role__in=RESPONSIBLE
    )
    return Q(record__booking__primary_operator=actor) | Q(Exists(team))


def _to_sign(actor: Actor) -> Q:
    mine = Q(author=actor)
    if can(actor, "report.sign"):
        mine |= _responsible(actor) & ~Q(author__role=Role.PHYSICIAN)
    return Q(status=ReportStatus.DRAFT, returned_at__isnull=True) & mine


def _to_cosign(actor: Actor) -> Q:
    return Q(status=ReportStatus.AWAITING_COSIGN) & ~Q(author=actor)


def _returned(actor: Actor) -> Q:
    return Q(status=ReportStatus.DRAFT, author=actor, returned_at__isnull=False)


def _worklist(actor: Actor, action: str, condition: Q) -> QuerySet[Report]:
    return (
        reports_visible(actor=actor, action=action)
        .filter(condition)
        .select_related("returned_by")
        .prefetch_related("record__patient__identifiers")
    )


def _patients_of(items: list[Report] | list[Booking] | None) -> list:
    """The patient of each worklist item (a report's, through its record, or a booking's)."""
    return [
        item.record.patient if isinstance(item, Report) else item.patient for item in items or []
    ]


def _logged(actor: Actor, what: str, items: list, log: bool) -> list:
    if log:
        access_log_record(
            actor=actor, patient=None, what=f"{what} ({len(items)})", shown=_patients_of(items)
        )
    return items


def reports_to_sign(*, actor: Actor, log: bool = True) -> list[Report]:
    """Drafts waiting for `actor`: their own (not returned), and for a physician the drafts
    of cases booked with them as primary operator or supervising physician that no other
    physician wrote (a trainee's, waiting to be submitted)."""
    require(actor, "report.draft")
    items = list(_worklist(actor, "report.draft", _to_sign(actor)).order_by("created_at", "pk"))
    return _logged(actor, "reports to sign", items, log)


def reports_to_cosign(*, actor: Actor, log: bool = True) -> list[Report]:
    """Reports submitted for co-signature that `actor` may co-sign (not their own), the cases
    booked with them as primary operator or supervising physician first."""
    require(actor, "report.cosign")
    responsible = Case(
        When(_responsible(actor), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    items = list(
        _worklist(actor, "report.cosign", _to_cosign(actor))
        .annotate(responsible=responsible)
        .order_by("-responsible", "submitted_at", "pk")
    )
    return _logged(actor, "reports to co-sign", items, log)


def reports_returned(*, actor: Actor, log: bool = True) -> list[Report]:
    """`actor`'s drafts returned by the co-signer, with the reason, oldest return first."""
    require(actor, "report.draft")
    items = list(_worklist(actor, "report.draft", _returned(actor)).order_by("returned_at", "pk"))
    return _logged(actor, "reports returned", items, log)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(day, time(0), tz), datetime.combine(
        day + timedelta(days=1), time(0), tz
    )


def cases_of_day(*, actor: Actor, day: date | None = None, log: bool = True) -> list[Booking]:
    """The day's active bookings with `actor` in the booking team (or primary operator), with
    their procedure record and report, in time order."""
    require(actor, "report.draft")
    start, end = _day_bounds(day or timezone.localdate())
    in_team = BookingTeamMember.objects.filter(booking=OuterRef("pk"), user=person(actor))
    items = list(
        bookings_visible(actor=actor)
        .filter(active=True, start__gte=start, start__lt=end)
        .filter(Q(primary_operator=actor) | Q(Exists(in_team)))
        .select_related("room", "patient", "order__procedure_type", "procedure_record__report")
        .prefetch_related("patient__identifiers")
        .order_by("start", "pk")
    )
    return _logged(actor, "cases of the day", items, log)


@dataclass
class Worklists:
    """The report worklists of one user; None where the role has no such list."""

    to_sign: list[Report] | None
    to_cosign: list[Report] | None
    returned: list[Report] | None
    cases_today: list[Booking] | None

    @property
    def waiting(self) -> int:
        return sum(len(items or []) for items in (self.to_sign, self.to_cosign, self.returned))


def report_worklists(*, actor: Actor) -> Worklists:
    """Every report worklist `actor`'s role holds (the page at /reports/); one access-log
    entry for the lot."""
    require(actor, "report.draft")
    lists = Worklists(
        to_sign=reports_to_sign(actor=actor, log=False),
        to_cosign=reports_to_cosign(actor=actor, log=False)
        if can(actor, "report.cosign")
        else None,
        returned=reports_returned(actor=actor, log=False),
        cases_today=cases_of_day(actor=actor, log=False),
    )
    shown = lists.waiting + len(lists.cases_today or [])
    access_log_record(
        actor=actor,
        patient=None,
        what=f"report worklists ({shown})",
        shown=[
            *_patients_of(lists.to_sign),
            *_patients_of(lists.to_cosign),
            *_patients_of(lists.returned),
            *_patients_of(lists.cases_today),
        ],
    )
    return lists


def report_worklist_count(user: User) -> int:
    """How many reports wait for `user` (to sign, to co-sign, returned): one aggregate query,
    none for a role without the lists. Counts only: nothing is access-logged."""
    if not can(user, "report.draft"):
        return 0
    counts = {
        "to_sign": Count("pk", filter=_to_sign(user)),
        "returned": Count("pk", filter=_returned(user)),
    }
    if can(user, "report.cosign"):
        counts["to_cosign"] = Count("pk", filter=_to_cosign(user))
    totals = Report.objects.filter(
        record__patient__is_active=True,
        status__in=(ReportStatus.DRAFT, ReportStatus.AWAITING_COSIGN),
    ).aggregate(**counts)
    return sum(value or 0 for value in totals.values())
