"""The timeliness figures of the quality dashboard, counted in the database (GROUP BY and
conditional counts; medians and 90th percentiles by PostgreSQL's percentile_cont, or on
SQLite from the one column per group, read and interpolated the same way), and the
referrals, procedures and bookings behind each figure.

Each figure has its own unit, selected by the dashboard's filters (docs/quality.md,
"Timeliness"): referrals received in the period; procedure records checked in in the period
(the dashboard's cases); bookings whose scheduled start falls in the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.catalogue.models import Room, RoomClosure
from irflow.orders.models import Priority
from irflow.procedures.models import PerformedProcedureStep, PpsStatus, ProcedureRecord
from irflow.quality.selectors import Filters, _day_range, cases
from irflow.quality.stats import Rate, percentile
from irflow.quality.thresholds import Threshold, threshold_for
from irflow.referrals.models import Referral
from irflow.referrals.selectors import urgency_targets
from irflow.reports.models import ReportStatus
from irflow.scheduling.models import Booking, BookingStatus, CancelReason

DNA = CancelReason.PATIENT_DID_NOT_ATTEND.value
REPORT_TARGET = "report_signed_within_hours"


def _hours(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return round(seconds / 3600, 1)


def _minutes(value: timedelta | None) -> int:
    return 0 if value is None else round(value.total_seconds() / 60)


def _between(end: str, start: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


QUANTILES_SQL = (
    "SELECT c.g, percentile_cont(0.5) WITHIN GROUP (ORDER BY c.h),"
    " percentile_cont(0.9) WITHIN GROUP (ORDER BY c.h)"
    " FROM ({inner}) AS c(g, h) GROUP BY c.g"
)


def _quantiles(
    qs: QuerySet, group: str, duration: ExpressionWrapper
) -> dict[str, tuple[float | None, float | None]]:
    """Group -> (median, 90th percentile) of `duration`, in hours: percentile_cont over the
    intervals on PostgreSQL; on SQLite the one column per group is read and interpolated the
    same way (stats.percentile)."""
    inner = qs.annotate(_wait=duration).values_list(group, "_wait").order_by()
    if connection.vendor == "postgresql":
        sql, params = inner.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(QUANTILES_SQL.replace("{inner}", sql), params)
            return {g: (_hours(m), _hours(p)) for g, m, p in cursor.fetchall()}
    groups: dict[str, list[float]] = {}
    for key, wait in inner:
        groups.setdefault(key, []).append(wait.total_seconds())
    return {
        key: (_hours(percentile(v, 0.5)), _hours(percentile(v, 0.9))) for key, v in groups.items()
    }


# --- The units and the filters ------------------------------------------------------------


def referrals(filters: Filters) -> QuerySet[Referral]:
    """Referrals received in the period: procedure (requested or ordered), urgency, and the
    room or operator of a procedure done for them."""
    since, until = _day_range(filters.start, filters.end)
    qs = Referral.objects.filter(
        received_at__gte=since, received_at__lt=until, patient__is_active=True
    )
    if filters.procedure:
        qs = qs.filter(
            Q(procedure_type__code=filters.procedure)
            | Q(order__procedure_type__code=filters.procedure)
        )
    if filters.urgency:
        qs = qs.filter(urgency=filters.urgency)
    if filters.room is not None or filters.operator:
        done = ProcedureRecord.objects.filter(order_id=OuterRef("order_id"))
        if filters.room is not None:
            done = done.filter(booking__room_id=filters.room)
        if filters.operator == "none":
            done = done.filter(booking__primary_operator__isnull=True)
        elif filters.operator:
            done = done.filter(booking__primary_operator_id=int(filters.operator))
        qs = qs.filter(Exists(done))
    return qs


def bookings(filters: Filters) -> QuerySet[Booking]:
    """Bookings whose scheduled start falls in the period (cancelled ones included)."""
    since, until = _day_range(filters.start, filters.end)
    qs = Booking.objects.filter(start__gte=since, start__lt=until, patient__is_active=True)
    if filters.procedure:
        qs = qs.filter(order__procedure_type__code=filters.procedure)
    if filters.operator == "none":
        qs = qs.filter(primary_operator__isnull=True)
    elif filters.operator:
        qs = qs.filter(primary_operator_id=int(filters.operator))
    if filters.room is not None:
        qs = qs.filter(room_id=filters.room)
    if filters.urgency:
        qs = qs.filter(order__priority=filters.urgency)
    return qs


def held_bookings(filters: Filters) -> QuerySet[Booking]:
    return bookings(filters).exclude(status=BookingStatus.CANCELLED)


# --- 1. Referral → triage, referral → procedure -------------------------------------------


@dataclass
class WaitRow:
    kind: str  # "triage" or "procedure"
    urgency: str
    label: str
    target_hours: int
    count: int  # waits completed (triaged, or treated)
    median_hours: float | None
    p90_hours: float | None
    within: Rate  # completed within the target, of those completed
    drill: str
    drill_late: str

    @property
    def breaching(self) -> int:
        return self.within.denominator - self.within.numerator


WAIT_KINDS = {"triage": ("triaged_at", 0), "procedure": ("procedure_at", 1)}


def _waits(filters: Filters) -> list[WaitRow]:
    qs = referrals(filters)
    targets = urgency_targets()
    counts = {}
    for kind, (column, i) in WAIT_KINDS.items():
        for urgency in Priority.values:
            limit = timedelta(hours=targets[urgency][i])
            done = Q(urgency=urgency, **{f"{column}__isnull": False})
            counts[f"{kind}_{urgency}"] = Count("pk", filter=done)
            counts[f"{kind}_{urgency}_in"] = Count(
                "pk", filter=done & Q(**{f"{column}__lte": F("received_at") + limit})
            )
    n = qs.aggregate(**counts)
    out = []
    for kind, (column, i) in WAIT_KINDS.items():
        spread = _quantiles(
            qs.filter(**{f"{column}__isnull": False}), "urgency", _between(column, "received_at")
        )
        for urgency, label in Priority.choices:
            median, p90 = spread.get(urgency, (None, None))
            out.append(
                WaitRow(
                    kind=kind,
                    urgency=urgency,
                    label=str(label),
                    target_hours=targets[urgency][i],
                    count=n[f"{kind}_{urgency}"],
                    median_hours=median,
                    p90_hours=p90,
                    within=Rate(n[f"{kind}_{urgency}_in"], n[f"{kind}_{urgency}"]),
                    drill=filters.query(urgency=urgency, show=kind),
                    drill_late=filters.query(urgency=urgency, show=f"{kind}_late"),
                )
            )
    return out


# --- 2. Procedure → signed report ---------------------------------------------------------

# From the end of the procedure; a record without its end time counts from its check-in.
PROCEDURE_END = Coalesce("ended_at", "checked_in_at")


def _signed_wait() -> ExpressionWrapper:
    return ExpressionWrapper(F("report__signed_at") - PROCEDURE_END, output_field=DurationField())


@dataclass
class ReportRow:
    key: str
    label: str
    procedures: int
    signed: int
    median_hours: float | None
    p90_hours: float | None
    within: Rate | None  # signed within the site's target, of those signed (None: no target)
    unsigned: int  # no report yet, or one not signed
    target: Threshold
    drill_signed: str
    drill_late: str
    drill_unsigned: str

    @property
    def breaching(self) -> int | None:
        return None if self.within is None else self.within.denominator - self.within.numerator


def signed_q() -> Q:
    return Q(report__status=ReportStatus.FINAL)


def signed_late_q(hours: float) -> Q:
    return signed_q() & Q(report__signed_at__gt=PROCEDURE_END + timedelta(hours=hours))


def _reports(filters: Filters) -> list[ReportRow]:
    qs = cases(filters)
    # One target per procedure type: the procedure's own, else the site's.
    codes = list(qs.values_list("order__procedure_type__code", flat=True).distinct().order_by())
    targets = {code: threshold_for(code, REPORT_TARGET) for code in codes}
    late = {
        f"late_{code}": Count(
            "pk", filter=Q(order__procedure_type__code=code) & signed_late_q(t.value)
        )
        for code, t in targets.items()
        if t.value is not None
    }
    rows = (
        qs.values("order__procedure_type__code", "order__procedure_type__name")
        .annotate(n=Count("pk"), signed=Count("pk", filter=signed_q()))
        .order_by("order__procedure_type__name")
    )
    over = qs.aggregate(**late) if late else {}
    spread = _quantiles(qs.filter(signed_q()), "order__procedure_type__code", _signed_wait())
    out = []
    for r in rows:
        code = r["order__procedure_type__code"]
        target = targets[code]
        median, p90 = spread.get(code, (None, None))
        within = (
            None if target.value is None else Rate(r["signed"] - over[f"late_{code}"], r["signed"])
        )
        out.append(
            ReportRow(
                key=code,
                label=r["order__procedure_type__name"],
                procedures=r["n"],
                signed=r["signed"],
                median_hours=median,
                p90_hours=p90,
                within=within,
                unsigned=r["n"] - r["signed"],
                target=target,
                drill_signed=filters.query(procedure=code, show="signed"),
                drill_late=filters.query(procedure=code, show="signed_late"),
                drill_unsigned=filters.query(procedure=code, show="unsigned"),
            )
        )
    return out


# --- 3. Cancellations and did-not-attends -------------------------------------------------


@dataclass
class CancelRow:
    reason: str
    label: str
    count: int
    rate: Rate  # of all bookings in the period
    drill: str


@dataclass
class Cancellations:
    bookings: int
    cancelled: Rate  # every cancellation, did-not-attends included
    did_not_attend: Rate
    by_reason: list[CancelRow]
    drill_all: str


def _cancellations(filters: Filters) -> Cancellations:
    qs = bookings(filters)
    total = qs.count()
    labels = dict(CancelReason.choices)
    rows = (
        qs.filter(status=BookingStatus.CANCELLED)
        .values("cancel_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {r["cancel_reason"]: r["n"] for r in rows}
    by_reason = [
        CancelRow(
            reason=code or "none",
            label=str(labels.get(code, "No reason recorded")),
            count=n,
            rate=Rate(n, total),
            drill=filters.query(show="cancelled", reason=code or "none"),
        )
        for code, n in sorted(counts.items(), key=lambda i: (-i[1], str(labels.get(i[0], ""))))
    ]
    return Cancellations(
        bookings=total,
        cancelled=Rate(sum(counts.values()), total),
        did_not_attend=Rate(counts.get(DNA, 0), total),
        by_reason=by_reason,
        drill_all=filters.query(show="cancelled"),
    )


# --- 4. Room utilisation ------------------------------------------------------------------


@dataclass
class RoomRow:
    room_id: int
    label: str
    bookings: int
    booked_minutes: int
    used_minutes: int
    from_mpps: int  # bookings whose used time comes from MPPS
    from_record: int  # … from the procedure record's in-room and out times
    without_times: int  # … from neither (counted as 0 minutes used)
    available_minutes: int
    drill: str

    @property
    def of_booked(self) -> float | None:
        return self.used_minutes / self.booked_minutes if self.booked_minutes else None

    @property
    def of_available(self) -> float | None:
        return self.used_minutes / self.available_minutes if self.available_minutes else None

    @property
    def booked_of_available(self) -> float | None:
        return self.booked_minutes / self.available_minutes if self.available_minutes else None


def _completed_steps() -> QuerySet[PerformedProcedureStep]:
    return PerformedProcedureStep.objects.filter(
        status=PpsStatus.COMPLETED, started_at__isnull=False, ended_at__isnull=False
    )


def available_minutes(
    room: Room, start: date, end: date, closures: list[tuple[datetime, datetime]]
) -> int:
    """The room's opening hours on its open weekdays from `start` to `end` (inclusive), less
    the part of its `closures` (from, to) that falls in them (catalogue: opening hours and
    closures)."""
    zone = timezone.get_current_timezone()
    total = 0
    day = start
    while day <= end:
        if day.isoweekday() in room.open_weekdays:
            opens = datetime.combine(day, room.opens_at, zone)
            closes = datetime.combine(day, room.closes_at, zone)
            if closes > opens:
                shut = sum(
                    max(timedelta(0), min(closes, to) - max(opens, frm)).total_seconds()
                    for frm, to in closures
                )
                total += round(((closes - opens).total_seconds() - shut) / 60)
        day += timedelta(days=1)
    return total


def _closures(room_ids: list[int], filters: Filters) -> dict[int, list[tuple[datetime, datetime]]]:
    """The closures of these rooms that touch the period, per room (one query)."""
    since, until = _day_range(filters.start, filters.end)
    out: dict[int, list[tuple[datetime, datetime]]] = {}
    for room_id, frm, to in RoomClosure.objects.filter(
        room_id__in=room_ids, starts_at__lt=until, ends_at__gt=since
    ).values_list("room_id", "starts_at", "ends_at"):
        out.setdefault(room_id, []).append((frm, to))
    return out


def _rooms(filters: Filters) -> list[RoomRow]:
    held = held_bookings(filters)
    booked = {
        r["room_id"]: r
        for r in held.values("room_id")
        .annotate(n=Count("pk"), minutes=Sum(_between("end", "start")))
        .order_by()
    }
    steps = _completed_steps().filter(booking_id=OuterRef("pk"))
    by_mpps = {
        r["booking__room_id"]: r
        for r in _completed_steps()
        .filter(booking__in=held)
        .values("booking__room_id")
        .annotate(
            n=Count("booking_id", distinct=True), used=Sum(_between("ended_at", "started_at"))
        )
        .order_by()
    }
    by_record = {
        r["room_id"]: r
        for r in held.filter(
            ~Exists(steps),
            procedure_record__in_room_at__isnull=False,
            procedure_record__out_at__isnull=False,
        )
        .values("room_id")
        .annotate(
            n=Count("pk"),
            used=Sum(_between("procedure_record__out_at", "procedure_record__in_room_at")),
        )
        .order_by()
    }
    rooms = Room.objects.filter(pk__in=list(booked)).order_by("name")
    closures = _closures(list(booked), filters)
    out = []
    for room in rooms:
        mpps: Mapping[str, Any] = by_mpps.get(room.pk, {})
        record: Mapping[str, Any] = by_record.get(room.pk, {})
        n = booked[room.pk]["n"]
        out.append(
            RoomRow(
                room_id=room.pk,
                label=room.name,
                bookings=n,
                booked_minutes=_minutes(booked[room.pk]["minutes"]),
                used_minutes=_minutes(mpps.get("used")) + _minutes(record.get("used")),
                from_mpps=mpps.get("n", 0),
                from_record=record.get("n", 0),
                without_times=n - mpps.get("n", 0) - record.get("n", 0),
                available_minutes=available_minutes(
                    room, filters.start, filters.end, closures.get(room.pk, [])
                ),
                drill=filters.query(room=str(room.pk), show="booked"),
            )
        )
    return out


# --- The page -----------------------------------------------------------------------------


@dataclass
class Timeliness:
    filters: Filters
    waits: list[WaitRow]
    reports: list[ReportRow]
    cancellations: Cancellations
    rooms: list[RoomRow]

    def waits_of(self, kind: str) -> list[WaitRow]:
        return [w for w in self.waits if w.kind == kind]

    @property
    def triage(self) -> list[WaitRow]:
        return self.waits_of("triage")

    @property
    def procedure(self) -> list[WaitRow]:
        return self.waits_of("procedure")

    def chart_data(self) -> dict:
        def waits(kind: str) -> list[dict]:
            return [
                {
                    "x": w.label,
                    "median": w.median_hours,
                    "p90": w.p90_hours,
                    "target": w.target_hours,
                    "within": w.within.value,
                    "count": w.count,
                    "drill": w.drill,
                }
                for w in self.waits_of(kind)
            ]

        return {
            "triage": waits("triage"),
            "procedure": waits("procedure"),
            "reports": [
                {
                    "x": r.label,
                    "median": r.median_hours,
                    "p90": r.p90_hours,
                    "target": r.target.value,
                    "count": r.signed,
                    "drill": r.drill_signed,
                }
                for r in self.reports
            ],
            "cancellations": [
                {"x": c.label, "y": c.count, "rate": c.rate.value, "drill": c.drill}
                for c in self.cancellations.by_reason
            ],
            "rooms": [
                {
                    "x": r.label,
                    "booked": r.booked_minutes,
                    "used": r.used_minutes,
                    "available": r.available_minutes,
                    "of_booked": r.of_booked,
                    "of_available": r.of_available,
                    "booked_of_available": r.booked_of_available,
                    "drill": r.drill,
                }
                for r in self.rooms
            ],
        }


def quality_timeliness(*, actor: Actor, filters: Filters) -> Timeliness:
    """The timeliness figures for the filters. Aggregates only: no patient is named, so
    nothing is access-logged (the list behind a figure is)."""
    require(actor, "quality.view")
    return Timeliness(
        filters=filters,
        waits=_waits(filters),
        reports=_reports(filters),
        cancellations=_cancellations(filters),
        rooms=_rooms(filters),
    )
