"""The dashboards' figures, counted in the database (GROUP BY with conditional counts, never a
loop over rows in Python), and the cases behind each figure.

A case is a procedure record (a patient checked in for a booked procedure) whose check-in
falls in the period; the filters narrow it by procedure type (catalogue code), primary
operator, room and the order's urgency. docs/quality.md defines every figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.audit.services import access_log_record
from irflow.catalogue.models import Room
from irflow.clinical.outcomes import grade_system
from irflow.dose.models import RadiationDoseReport
from irflow.lib.errors import NotFound
from irflow.outcomes.models import AdverseEvent
from irflow.procedures.models import ProcedureRecord
from irflow.quality.stats import Rate, percentile
from irflow.quality.thresholds import Threshold, threshold_for

MODERATE_PLUS = ("moderate", "severe", "life_threatening", "death")
SUCCESS_VALUES = ("success", "partial", "failure")


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    procedure: str = ""
    operator: str = ""  # a user id, or "none": no primary operator recorded
    room: int | None = None
    urgency: str = ""

    def params(self) -> dict[str, str]:
        values = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "procedure": self.procedure,
            "operator": self.operator,
            "room": "" if self.room is None else str(self.room),
            "urgency": self.urgency,
        }
        return {k: v for k, v in values.items() if v}

    def query(self, **narrow: str) -> str:
        """The address query of these filters, narrowed further (a drill-down)."""
        return urlencode({**self.params(), **{k: v for k, v in narrow.items() if v != ""}})


def _day_range(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, zone),
        datetime.combine(end + timedelta(days=1), time.min, zone),
    )


def scope_q(filters: Filters, prefix: str = "") -> Q:
    """The filters other than the period (procedure, operator, room, urgency) as a condition
    on procedure records reached through `prefix`."""
    q = Q()
    if filters.procedure:
        q &= Q(**{f"{prefix}order__procedure_type__code": filters.procedure})
    if filters.operator == "none":
        q &= Q(**{f"{prefix}booking__primary_operator__isnull": True})
    elif filters.operator:
        q &= Q(**{f"{prefix}booking__primary_operator_id": int(filters.operator)})
    if filters.room is not None:
        q &= Q(**{f"{prefix}booking__room_id": filters.room})
    if filters.urgency:
        q &= Q(**{f"{prefix}order__priority": filters.urgency})
    return q


def _case_q(filters: Filters, prefix: str = "") -> Q:
    """The filters as a condition on procedure records (reached through `prefix`)."""
    since, until = _day_range(filters.start, filters.end)
    period = Q(
        **{
            f"{prefix}checked_in_at__gte": since,
            f"{prefix}checked_in_at__lt": until,
            f"{prefix}patient__is_active": True,
        }
    )
    return period & scope_q(filters, prefix)


def cases(filters: Filters) -> QuerySet[ProcedureRecord]:
    """The procedure records the filters select (no permission check: callers hold one)."""
    return ProcedureRecord.objects.filter(_case_q(filters))


def _months(filters: Filters) -> list[date]:
    """The first day of every month the period touches."""
    first = filters.start.replace(day=1)
    months = []
    while first <= filters.end:
        months.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return months


# --- Figures ------------------------------------------------------------------------------


@dataclass
class Bar:
    key: str
    label: str
    count: int
    drill: str  # the drill-down query


@dataclass
class SuccessRow:
    key: str
    label: str
    procedures: int
    technical: Rate
    clinical: Rate
    technical_threshold: Threshold
    clinical_threshold: Threshold
    drill_technical: str
    drill_clinical: str


@dataclass
class AeRow:
    key: str
    label: str
    procedures: int
    any: Rate
    moderate_plus: Rate
    by_grade: dict[str, int]  # cases with an event of that grade (their worst is not asked)
    threshold: Threshold
    threshold_moderate_plus: Threshold
    drill_any: str
    drill_grade: dict[str, str]

    @property
    def breached(self) -> bool | None:
        return self.threshold.breached(self.any.value)


@dataclass
class DoseRow:
    key: str
    label: str
    procedures: int
    dap_median: float | None
    dap_p75: float | None
    kar_median: float | None
    kar_p75: float | None
    drill: str


@dataclass
class Dashboard:
    filters: Filters
    total: int
    by_procedure: list[Bar]
    by_operator: list[Bar]
    by_room: list[Bar]
    by_month: list[Bar]
    success: list[SuccessRow]
    adverse_events: list[AeRow]
    grades: list[tuple[str, str]]
    dose: list[DoseRow] = field(default_factory=list)

    def chart_data(self) -> dict:
        def bars(items: list[Bar]) -> list[dict]:
            return [{"x": b.label, "y": b.count, "drill": b.drill} for b in items]

        return {
            "volumes": {
                "procedure": bars(self.by_procedure),
                "operator": bars(self.by_operator),
                "room": bars(self.by_room),
                "month": bars(self.by_month),
            },
            "success": [
                {
                    "x": r.label,
                    "technical": r.technical.value,
                    "technical_ci": r.technical.interval,
                    "clinical": r.clinical.value,
                    "clinical_ci": r.clinical.interval,
                    "drill_technical": r.drill_technical,
                    "drill_clinical": r.drill_clinical,
                }
                for r in self.success
            ],
            "adverse_events": {
                "grades": [{"code": c, "label": label} for c, label in self.grades],
                "rows": [
                    {
                        "x": r.label,
                        "procedures": r.procedures,
                        "rate": r.any.value,
                        "ci": r.any.interval,
                        "threshold": r.threshold.value,
                        "by_grade": r.by_grade,
                        "drill": r.drill_any,
                        "drill_grade": r.drill_grade,
                    }
                    for r in self.adverse_events
                ],
            },
            "dose": [
                {
                    "x": r.label,
                    "dap_median": r.dap_median,
                    "dap_p75": r.dap_p75,
                    "drill": r.drill,
                }
                for r in self.dose
            ],
        }


def _month_index(months: list[date]) -> Case | Value:
    """The index in `months` of a case's check-in month in the site's time zone: a binary
    search over the months' first instants (a handful of comparisons a row, the same on both
    databases; a time zone conversion a row is a Python callback on SQLite)."""

    def node(low: int, high: int) -> Case | Value:
        if low == high:
            return Value(low)
        middle = (low + high + 1) // 2
        return Case(
            When(
                checked_in_at__lt=_day_range(months[middle], months[middle])[0],
                then=node(low, middle - 1),
            ),
            default=node(middle, high),
            output_field=IntegerField(),
        )

    return node(0, len(months) - 1)


def _by_procedure(
    filters: Filters, qs: QuerySet[ProcedureRecord]
) -> tuple[list[Bar], list[SuccessRow]]:
    """Volumes and success rates by procedure type: one grouping of the cases."""
    rows = (
        qs.values("order__procedure_type__code", "order__procedure_type__name")
        .annotate(
            n=Count("pk"),
            t_assessed=Count("pk", filter=~Q(technical_success="")),
            t_ok=Count("pk", filter=Q(technical_success="success")),
            c_assessed=Count("pk", filter=~Q(clinical_success="")),
            c_ok=Count("pk", filter=Q(clinical_success="success")),
        )
        .order_by("order__procedure_type__name")
    )
    bars, success = [], []
    for r in rows:
        code, name = r["order__procedure_type__code"], r["order__procedure_type__name"]
        bars.append(Bar(code, name, r["n"], filters.query(procedure=code)))
        success.append(
            SuccessRow(
                key=code,
                label=name,
                procedures=r["n"],
                technical=Rate(r["t_ok"], r["t_assessed"]),
                clinical=Rate(r["c_ok"], r["c_assessed"]),
                technical_threshold=threshold_for(code, "technical_success"),
                clinical_threshold=threshold_for(code, "clinical_success"),
                drill_technical=filters.query(procedure=code, technical="assessed"),
                drill_clinical=filters.query(procedure=code, clinical="assessed"),
            )
        )
    return bars, success


def _by_operator_room_month(
    filters: Filters, qs: QuerySet[ProcedureRecord]
) -> tuple[list[Bar], list[Bar], list[Bar]]:
    """Volumes by primary operator, room and month: one grouping of the cases by all three,
    summed here (a few thousand rows at most)."""
    months = _months(filters)
    rows = (
        qs.annotate(month=_month_index(months))
        .values_list("booking__primary_operator_id", "booking__room_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    operators: dict[int | None, int] = {}
    rooms: dict[int, int] = {}
    per_month = [0] * len(months)
    for operator, room, month, n in rows:
        operators[operator] = operators.get(operator, 0) + n
        rooms[room] = rooms.get(room, 0) + n
        per_month[month] += n
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[o for o in operators if o])}
    by_operator = sorted(
        (
            Bar(
                str(o or ""),
                names.get(o, "No operator recorded"),  # type: ignore[arg-type]
                n,
                filters.query(operator=str(o or "none")),
            )
            for o, n in operators.items()
        ),
        key=lambda b: b.label,
    )
    by_room = [
        Bar(str(pk), name, rooms[pk], filters.query(room=str(pk)))
        for pk, name in Room.objects.filter(pk__in=rooms).order_by("name").values_list("pk", "name")
    ]
    by_month = [
        Bar(f"{m:%Y-%m}", f"{m:%b %Y}", n, filters.query(month=f"{m:%Y-%m}"))
        for m, n in zip(months, per_month, strict=True)
        if n
    ]
    return by_operator, by_room, by_month


@cache
def _grades() -> list[tuple[str, str]]:
    return [(g.code, g.label) for g in grade_system("sir-2017").grades]


def _ae_filter(grades: tuple[str, ...] | None = None) -> Q:
    q = Q(adverse_events__entered_in_error=False)
    if grades is not None:
        q &= Q(adverse_events__sir_grade__in=grades)
    return q


def _adverse_events(filters: Filters, volumes: list[Bar]) -> list[AeRow]:
    """Cases with an adverse event (of each grade) by procedure type, counted from the events
    (a few per hundred cases) rather than by joining every case to its events; the
    denominators are the volumes."""
    grades = [code for code, _ in _grades()]

    def cases_with(condition: Q | None = None) -> Count:
        return Count("record_id", distinct=True, filter=condition)

    counted: dict[str, dict] = {
        r["record__order__procedure_type__code"]: dict(r)
        for r in AdverseEvent.objects.filter(_case_q(filters, "record__"), entered_in_error=False)
        .values("record__order__procedure_type__code")
        .annotate(
            with_ae=cases_with(),
            with_ae_mod=cases_with(Q(sir_grade__in=MODERATE_PLUS)),
            **{f"g_{code}": cases_with(Q(sir_grade=code)) for code in grades},
        )
        .order_by()
    }
    out = []
    for bar in volumes:
        code = bar.key
        r = counted.get(code, {})
        out.append(
            AeRow(
                key=code,
                label=bar.label,
                procedures=bar.count,
                any=Rate(r.get("with_ae", 0), bar.count),
                moderate_plus=Rate(r.get("with_ae_mod", 0), bar.count),
                by_grade={g: r.get(f"g_{g}", 0) for g in grades},
                threshold=threshold_for(code, "adverse_event"),
                threshold_moderate_plus=threshold_for(code, "adverse_event_moderate_plus"),
                drill_any=filters.query(procedure=code, ae="any"),
                drill_grade={g: filters.query(procedure=code, ae=g) for g in grades},
            )
        )
    return out


# The inner query (one row per case) is Django's own; its values go as parameters.
PERCENTILES_SQL = (
    "SELECT c.code, c.name, COUNT(*),"
    " percentile_cont(0.5) WITHIN GROUP (ORDER BY c.dap),"
    " percentile_cont(0.75) WITHIN GROUP (ORDER BY c.dap),"
    " percentile_cont(0.5) WITHIN GROUP (ORDER BY c.kar),"
    " percentile_cont(0.75) WITHIN GROUP (ORDER BY c.kar)"
    " FROM ({per_case}) AS c(booking_id, code, name, dap, kar)"
    " GROUP BY c.code, c.name ORDER BY c.name"
)


def _dose(filters: Filters) -> list[DoseRow]:
    """Median and 75th percentile of each case's summed counted DAP and Ka,r, per procedure
    type: PostgreSQL's percentile_cont in the database; on SQLite the cases (one row each,
    fetched as plain tuples) are interpolated the same way (stats.percentile)."""
    per_case = (
        # The cases' bookings as a subquery: joining each report to its booking and then the
        # booking to its record reads every booking for nothing.
        RadiationDoseReport.objects.filter(
            booking_id__in=cases(filters).values("booking_id"), dap_counted_gy_cm2__isnull=False
        )
        .values("booking_id", "order__procedure_type__code", "order__procedure_type__name")
        .annotate(dap=Sum("dap_counted_gy_cm2"), kar=Sum("ka_r_counted_mgy"))
        .order_by()
    )
    sql, params = per_case.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PERCENTILES_SQL.replace("{per_case}", sql), params)
            rows = cursor.fetchall()
        else:
            cursor.execute(sql, params)
            groups: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
            for _, code, name, dap, kar in cursor.fetchall():
                daps, kars = groups.setdefault((code, name), ([], []))
                daps.append(float(dap))
                if kar is not None:
                    kars.append(float(kar))
            rows = [
                (
                    code,
                    name,
                    len(daps),
                    percentile(daps, 0.5),
                    percentile(daps, 0.75),
                    percentile(kars, 0.5),
                    percentile(kars, 0.75),
                )
                for (code, name), (daps, kars) in sorted(groups.items(), key=lambda i: i[0][1])
            ]
    return [
        DoseRow(
            key=code,
            label=name,
            procedures=n,
            dap_median=_f(dap50),
            dap_p75=_f(dap75),
            kar_median=_f(kar50),
            kar_p75=_f(kar75),
            drill=filters.query(procedure=code, dose="1"),
        )
        for code, name, n, dap50, dap75, kar50, kar75 in rows
    ]


def _f(value: object) -> float | None:
    return None if value is None else round(float(value), 3)  # type: ignore[arg-type]


def quality_dashboard(*, actor: Actor, filters: Filters) -> Dashboard:
    """Every figure of the quality dashboard for the filters. Aggregates only: no patient is
    named, so nothing is access-logged (the drill-down list is)."""
    require(actor, "quality.view")
    qs = cases(filters)
    by_procedure, success = _by_procedure(filters, qs)
    by_operator, by_room, by_month = _by_operator_room_month(filters, qs)
    return Dashboard(
        filters=filters,
        total=sum(b.count for b in by_procedure),
        by_procedure=by_procedure,
        by_operator=by_operator,
        by_room=by_room,
        by_month=by_month,
        success=success,
        adverse_events=_adverse_events(filters, by_procedure),
        grades=_grades(),
        dose=_dose(filters),
    )


# --- Drill-down ---------------------------------------------------------------------------

DRILL_KEYS = ("month", "ae", "technical", "clinical", "dose")


def narrowed(filters: Filters, narrow: dict[str, str]) -> QuerySet[ProcedureRecord]:
    """The cases behind one figure: the filters, then the figure's own condition."""
    qs = cases(filters)
    if month := narrow.get("month"):
        year, _, mon = month.partition("-")
        first = date(int(year), int(mon), 1)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        since, until = _day_range(first, following - timedelta(days=1))
        qs = qs.filter(checked_in_at__gte=since, checked_in_at__lt=until)
    if ae := narrow.get("ae"):
        grades = None if ae == "any" else MODERATE_PLUS if ae == "moderate_plus" else (ae,)
        qs = qs.filter(pk__in=ProcedureRecord.objects.filter(_ae_filter(grades)).values("pk"))
    for name in ("technical", "clinical"):
        if value := narrow.get(name):
            column = f"{name}_success"
            qs = qs.exclude(**{column: ""}) if value == "assessed" else qs.filter(**{column: value})
    if narrow.get("dose"):
        qs = qs.filter(booking__dose_reports__dap_counted_gy_cm2__isnull=False).distinct()
    return qs


@dataclass
class CaseRow:
    record_id: int
    booking_id: int
    patient_id: int
    patient_label: str
    accession_number: str
    checked_in_at: datetime
    procedure: str
    operator: str
    room: str
    urgency: str
    technical_success: str
    clinical_success: str
    worst_grade: str


def case_list(
    *, actor: Actor, filters: Filters, narrow: dict[str, str], limit: int = 500
) -> tuple[int, list[CaseRow]]:
    """The cases behind a figure (their count, and the first `limit`), access-logged: one
    row per patient shown."""
    require(actor, "quality.view")
    return listed_cases(
        actor=actor, qs=narrowed(filters, narrow), what=filters.query(**narrow), limit=limit
    )


def listed_cases(
    *, actor: Actor, qs: QuerySet[ProcedureRecord], what: str, limit: int = 500
) -> tuple[int, list[CaseRow]]:
    """The cases of `qs` (their count, and the first `limit`, latest first) as the case list
    shows them, access-logged under `what` (the figure's address): one row per patient shown.
    Callers hold quality.view."""
    total = qs.count()
    rows = list(
        qs.select_related(
            "patient", "order__procedure_type", "booking__room", "booking__primary_operator"
        )
        .prefetch_related("adverse_events")
        .order_by("-checked_in_at", "-pk")[:limit]
    )
    order = {code: i for i, (code, _) in enumerate(_grades())}
    out = []
    for r in rows:
        grades = [e.sir_grade for e in r.adverse_events.all() if not e.entered_in_error]
        out.append(
            CaseRow(
                record_id=r.pk,
                booking_id=r.booking_id,
                patient_id=r.patient_id,
                patient_label=str(r.patient),
                accession_number=r.order.accession_number,
                checked_in_at=r.checked_in_at,
                procedure=r.order.procedure_type.name,
                operator=str(r.booking.primary_operator or ""),
                room=r.booking.room.name,
                urgency=r.order.get_priority_display(),
                technical_success=r.get_technical_success_display(),
                clinical_success=r.get_clinical_success_display(),
                worst_grade=max(grades, key=lambda g: order.get(g, -1)) if grades else "",
            )
        )
    access_log_record(
        actor=actor,
        patient=None,
        what=f"quality cases {what}"[:200],
        shown=[(c.patient_id, c.patient_label) for c in out],
    )
    return total, out


@dataclass
class CaseDetail:
    record: ProcedureRecord
    adverse_events: list
    dap_gy_cm2: float | None
    ka_r_mgy: float | None


def case_get(*, actor: Actor, record_id: int) -> CaseDetail:
    """One case behind a figure, for quality review: the procedure, its outcome, its adverse
    events and dose (access-logged)."""
    require(actor, "quality.view")
    record = (
        ProcedureRecord.objects.select_related(
            "patient", "order__procedure_type", "booking__room", "booking__primary_operator"
        )
        .filter(pk=record_id, patient__is_active=True)
        .first()
    )
    if record is None:
        raise NotFound("No such procedure.")
    events = [e for e in record.adverse_events.all() if not e.entered_in_error]
    dose = RadiationDoseReport.objects.filter(booking_id=record.booking_id).aggregate(
        dap=Sum("dap_counted_gy_cm2"), kar=Sum("ka_r_counted_mgy")
    )
    access_log_record(actor=actor, patient=record.patient, what="quality case review")
    return CaseDetail(record, events, _f(dose["dap"]), _f(dose["kar"]))


# --- Tables (the charts' table views and downloads) ---------------------------------------


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def table(dashboard: Dashboard, chart: str) -> tuple[list[str], list[list]]:
    """The rows of one chart, as its table view and CSV/XLSX download show them."""
    if chart in ("procedure", "operator", "room", "month"):
        bars = {
            "procedure": dashboard.by_procedure,
            "operator": dashboard.by_operator,
            "room": dashboard.by_room,
            "month": dashboard.by_month,
        }[chart]
        return [chart, "procedures"], [[b.label, b.count] for b in bars]
    if chart == "success":
        columns = [
            "procedure",
            "procedures",
            "technical_success",
            "technical_assessed",
            "technical_rate_pct",
            "technical_ci_low_pct",
            "technical_ci_high_pct",
            "technical_threshold",
            "clinical_success",
            "clinical_assessed",
            "clinical_rate_pct",
            "clinical_ci_low_pct",
            "clinical_ci_high_pct",
            "clinical_threshold",
        ]
        return columns, [
            [
                r.label,
                r.procedures,
                r.technical.numerator,
                r.technical.denominator,
                _pct(r.technical.value),
                _pct(r.technical.low),
                _pct(r.technical.high),
                r.technical_threshold.label,
                r.clinical.numerator,
                r.clinical.denominator,
                _pct(r.clinical.value),
                _pct(r.clinical.low),
                _pct(r.clinical.high),
                r.clinical_threshold.label,
            ]
            for r in dashboard.success
        ]
    if chart == "adverse_events":
        grades = [code for code, _ in dashboard.grades]
        columns = [
            "procedure",
            "procedures",
            *[f"cases_{g}" for g in grades],
            "cases_with_ae",
            "ae_rate_pct",
            "ae_ci_low_pct",
            "ae_ci_high_pct",
            "ae_threshold",
            "cases_moderate_or_worse",
            "moderate_or_worse_rate_pct",
        ]
        return columns, [
            [
                r.label,
                r.procedures,
                *[r.by_grade[g] for g in grades],
                r.any.numerator,
                _pct(r.any.value),
                _pct(r.any.low),
                _pct(r.any.high),
                r.threshold.label,
                r.moderate_plus.numerator,
                _pct(r.moderate_plus.value),
            ]
            for r in dashboard.adverse_events
        ]
    if chart == "dose":
        columns = [
            "procedure",
            "procedures_with_dose",
            "dap_median_gy_cm2",
            "dap_p75_gy_cm2",
            "ka_r_median_mgy",
            "ka_r_p75_mgy",
        ]
        return columns, [
            [r.label, r.procedures, r.dap_median, r.dap_p75, r.kar_median, r.kar_p75]
            for r in dashboard.dose
        ]
    raise ValueError(f"unknown chart {chart!r}")


CHARTS = ("procedure", "operator", "room", "month", "success", "adverse_events", "dose")
