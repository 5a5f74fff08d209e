"""The quality dashboard's aggregates against the equivalent raw SQL, in the same run.

    .venv/bin/python bench/dashboard.py                  # 1,000,000 procedures
    .venv/bin/python bench/dashboard.py --quick          # 20,000: checks that it runs
    DATABASE_URL=postgres://… .venv/bin/python bench/dashboard.py   # on PostgreSQL
    IRFLOW_DATA_DIR=/some/dir … --fill-only, then … --filled   # fill once, time many times

On a throwaway SQLite database (or DATABASE_URL's, which it fills), after `migrate`: writes
synthetic procedures in bulk below the ORM (irflow.demo.bulk: COPY on PostgreSQL,
executemany on SQLite; not the demo generator), each with its order, booking and patient
(one patient per five procedures), a dose report for 80 % of them and an adverse event for
6 %; prints the fill time. The booking-overlap triggers and constraints check every row.
Then checks that the dashboard's figures for the whole period
(`irflow.quality.selectors.quality_dashboard`: volumes by procedure, operator, room and month;
success rates; adverse events by grade; dose medians and 75th percentiles) and the same
figures by hand-written SQL on the same connection agree (exits 2 if not), times the two
alternating, and prints the ratio of their medians (target ≤ 1.5; exits 1 above it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irflow.quality.selectors import Dashboard

HERE = Path(__file__).resolve().parent
# bench/hl7.py would shadow the hl7 package: the repository, not bench/, goes on the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

TARGET = 1.5


def fill(n: int, seed: int = 1) -> float:
    from django.db import transaction

    from irflow.accounts.models import User
    from irflow.catalogue.models import ProcedureType, Room
    from irflow.demo.bulk import Writer
    from irflow.dose.models import RadiationDoseReport
    from irflow.orders.models import Order
    from irflow.outcomes.models import AdverseEvent
    from irflow.patients.models import Patient
    from irflow.procedures.models import ProcedureRecord
    from irflow.scheduling.models import Booking
    from irflow.testing.fixtures import make_user

    rng = random.Random(seed)
    operators = [make_user(f"bench_op{i}", "physician").pk for i in range(12)]
    actor = operators[0]
    rooms = [
        Room.objects.create(code=f"BR{i}", name=f"Bench room {i}", kind="angio", modality="XA").pk
        for i in range(6)
    ]
    types = list(ProcedureType.objects.values_list("pk", flat=True))
    grades = ["mild"] * 6 + ["moderate"] * 3 + ["severe", "life_threatening", "death"]
    success = ["success"] * 8 + ["partial", "failure", ""]
    urgency = ["routine"] * 7 + ["urgent"] * 2 + ["emergent"]
    start = datetime(2016, 1, 1, 8, tzinfo=UTC)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with transaction.atomic():
        w = Writer()
        tp = w.table(
            Patient,
            ["id", "family_name", "given_name", "family_name_key", "given_name_key",
             "birth_date", "sex", "version", "created_at", "updated_at"],
        )  # fmt: skip
        to = w.table(
            Order,
            ["id", "patient", "procedure_type", "priority", "accession_number",
             "requested_procedure_id", "study_instance_uid", "status", "created_at",
             "updated_at"],
        )  # fmt: skip
        tb = w.table(
            Booking,
            ["id", "version", "order", "patient", "room", "start", "end", "primary_operator",
             "sps_id", "modality", "status", "active", "created_at", "updated_at"],
        )  # fmt: skip
        tr = w.table(
            ProcedureRecord,
            ["id", "version", "booking", "order", "patient", "status", "checked_in_at",
             "checked_in_by", "technical_success", "clinical_success", "created_at",
             "updated_at"],
        )  # fmt: skip
        td = w.table(
            RadiationDoseReport,
            ["id", "sop_instance_uid", "sop_class_uid", "template", "performed_at",
             "dap_counted_gy_cm2", "ka_r_counted_mgy", "patient", "order", "booking",
             "link_status", "created_at"],
        )  # fmt: skip
        ta = w.table(
            AdverseEvent,
            ["id", "patient", "record", "onset_at", "detection", "description", "sir_grade",
             "attribution", "outcome", "entered_in_error", "recorded_at", "recorded_by",
             "updated_at"],
        )  # fmt: skip
        patient = 0
        for i in range(n):
            if i % 5 == 0:
                patient = tp.new_id()
                tp.add(
                    (patient, f"BENCH{patient}", "Case", f"bench{patient}", "case",
                     date(1940 + patient % 60, 1, 1), "F", 1, now, now)
                )  # fmt: skip
            # One after another, 5 minutes apart (a room and an operator never overlap):
            # 1,000,000 procedures span 9.5 years. Written latest first: the overlap
            # triggers' (room, start) and (operator, start) index ranges (`start` before the
            # new end) then hold no row, a probe instead of a scan of the room's history.
            at = start + timedelta(minutes=5 * (n - 1 - i))
            oid, bid, rid = to.new_id(), tb.new_id(), tr.new_id()
            to.add(
                (oid, patient, rng.choice(types), rng.choice(urgency), f"B{oid}", f"B{oid}",
                 f"1.2.826.0.1.3680043.10.997.{oid}", "completed", at, at)
            )  # fmt: skip
            operator = rng.choice(operators) if rng.random() > 0.02 else None
            tb.add(
                (bid, 1, oid, patient, rng.choice(rooms), at, at + timedelta(minutes=4), operator,
                 f"B{bid}", "XA", "discharged", True, at, at)
            )  # fmt: skip
            tr.add(
                (rid, 1, bid, oid, patient, "completed", at, actor, rng.choice(success),
                 rng.choice(success), at, at)
            )  # fmt: skip
            if rng.random() < 0.8:
                did = td.new_id()
                dap = rng.lognormvariate(3.0, 1.0)
                td.add(
                    (did, f"1.2.826.0.1.3680043.10.996.{did}", "1.2.840.10008.5.1.4.1.1.88.67",
                     "projection", at, dap, dap * 8, patient, oid, bid, "linked", at)
                )  # fmt: skip
            if rng.random() < 0.06:
                ta.add(
                    (ta.new_id(), patient, rid, at, "recovery", "Bench event",
                     rng.choice(grades), "procedure", "resolved", rng.random() < 0.01, at,
                     actor, at)
                )  # fmt: skip
        w.flush()
    elapsed = time.perf_counter() - started
    with transaction.atomic():
        User.objects.filter(pk__in=operators).update(is_active=True)
    return elapsed


RAW_BY_PROCEDURE = (
    "SELECT pt.code, pt.name, COUNT(*),"
    " SUM(CASE WHEN r.technical_success <> '' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN r.technical_success = 'success' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN r.clinical_success <> '' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN r.clinical_success = 'success' THEN 1 ELSE 0 END)"
    " FROM procedures_procedurerecord r JOIN patients_patient p ON p.id = r.patient_id"
    " JOIN orders_order o ON o.id = r.order_id"
    " JOIN catalogue_proceduretype pt ON pt.id = o.procedure_type_id"
    " WHERE r.checked_in_at >= %s AND r.checked_in_at < %s AND p.is_active"
    " GROUP BY pt.code, pt.name ORDER BY pt.name"
)
# The month of the check-in in the site's time zone (on SQLite 'localtime' is the process's
# zone, which Django sets to TIME_ZONE).
RAW_OPERATOR_ROOM_MONTH = {
    "postgresql": "SELECT b.primary_operator_id, b.room_id,"
    " to_char(r.checked_in_at AT TIME ZONE %s, 'YYYY-MM') AS m, COUNT(*)"
    " FROM procedures_procedurerecord r JOIN patients_patient p ON p.id = r.patient_id"
    " JOIN scheduling_booking b ON b.id = r.booking_id"
    " WHERE r.checked_in_at >= %s AND r.checked_in_at < %s AND p.is_active"
    " GROUP BY b.primary_operator_id, b.room_id, m",
    "sqlite": "SELECT b.primary_operator_id, b.room_id,"
    " strftime('%%Y-%%m', r.checked_in_at, 'localtime') AS m, COUNT(*)"
    " FROM procedures_procedurerecord r JOIN patients_patient p ON p.id = r.patient_id"
    " JOIN scheduling_booking b ON b.id = r.booking_id"
    " WHERE r.checked_in_at >= %s AND r.checked_in_at < %s AND p.is_active"
    " GROUP BY b.primary_operator_id, b.room_id, m",
}
RAW_AE = (
    "SELECT pt.code, COUNT(DISTINCT a.record_id),"
    " COUNT(DISTINCT CASE WHEN a.sir_grade IN ('moderate', 'severe', 'life_threatening', 'death')"
    " THEN a.record_id END),"
    " COUNT(DISTINCT CASE WHEN a.sir_grade = 'mild' THEN a.record_id END),"
    " COUNT(DISTINCT CASE WHEN a.sir_grade = 'moderate' THEN a.record_id END),"
    " COUNT(DISTINCT CASE WHEN a.sir_grade = 'severe' THEN a.record_id END),"
    " COUNT(DISTINCT CASE WHEN a.sir_grade = 'life_threatening' THEN a.record_id END),"
    " COUNT(DISTINCT CASE WHEN a.sir_grade = 'death' THEN a.record_id END)"
    " FROM outcomes_adverseevent a JOIN procedures_procedurerecord r ON r.id = a.record_id"
    " JOIN patients_patient p ON p.id = r.patient_id JOIN orders_order o ON o.id = r.order_id"
    " JOIN catalogue_proceduretype pt ON pt.id = o.procedure_type_id"
    " WHERE NOT a.entered_in_error"
    " AND r.checked_in_at >= %s AND r.checked_in_at < %s AND p.is_active GROUP BY pt.code"
)
RAW_DOSE_CASES = (
    "SELECT d.booking_id, pt.code, pt.name, SUM(d.dap_counted_gy_cm2) AS dap,"
    " SUM(d.ka_r_counted_mgy) AS kar FROM dose_radiationdosereport d"
    " JOIN procedures_procedurerecord r ON r.booking_id = d.booking_id"
    " JOIN patients_patient p ON p.id = r.patient_id"
    " LEFT JOIN orders_order o ON o.id = d.order_id"
    " LEFT JOIN catalogue_proceduretype pt ON pt.id = o.procedure_type_id"
    " WHERE r.checked_in_at >= %s AND r.checked_in_at < %s AND p.is_active"
    " AND d.dap_counted_gy_cm2 IS NOT NULL GROUP BY d.booking_id, pt.code, pt.name"
)


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def raw(since: datetime, until: datetime) -> dict:
    """The dashboard's figures by hand-written SQL, fetched, as plain values (`figures`
    gives the dashboard's in the same shape). The dose percentiles: PostgreSQL's
    percentile_cont (the dashboard's outer SQL) over a hand-written query of the cases; on
    SQLite the cases are fetched and interpolated in Python, as the dashboard does."""
    from django.conf import settings
    from django.db import connection

    from irflow.quality.selectors import PERCENTILES_SQL
    from irflow.quality.stats import percentile

    vendor = connection.vendor
    out: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(RAW_BY_PROCEDURE, [since, until])
        rows = cursor.fetchall()
        out["procedure"] = {code: n for code, _, n, *_ in rows}
        out["success"] = {code: (to, ta, co, ca) for code, _, _, ta, to, ca, co in rows}
        zone = [settings.TIME_ZONE] if vendor == "postgresql" else []
        cursor.execute(RAW_OPERATOR_ROOM_MONTH[vendor], [*zone, since, until])
        operators: dict[int | None, int] = {}
        rooms: dict[int, int] = {}
        months: dict[str, int] = {}
        for operator, room, month, n in cursor.fetchall():
            operators[operator] = operators.get(operator, 0) + n
            rooms[room] = rooms.get(room, 0) + n
            months[month] = months.get(month, 0) + n
        ids = [o for o in operators if o]
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            "SELECT id, display_name, first_name, last_name, username FROM accounts_user"  # noqa: S608
            f" WHERE id IN ({marks})",
            ids,
        )
        names = {
            pk: shown or f"{first} {last}".strip() or username
            for pk, shown, first, last, username in cursor.fetchall()
        }
        out["operator"] = {names.get(o, "No operator recorded"): n for o, n in operators.items()}
        marks = ", ".join(["%s"] * len(rooms))
        cursor.execute(f"SELECT id, name FROM catalogue_room WHERE id IN ({marks})", list(rooms))  # noqa: S608
        out["room"] = {name: rooms[pk] for pk, name in cursor.fetchall()}
        out["month"] = months
        cursor.execute(RAW_AE, [since, until])
        out["ae"] = {code: tuple(counts) for code, *counts in cursor.fetchall()}
        if vendor == "postgresql":
            cursor.execute(PERCENTILES_SQL.replace("{per_case}", RAW_DOSE_CASES), [since, until])
            out["dose"] = {code: (n, *map(_r, values)) for code, _, n, *values in cursor.fetchall()}
        else:
            cursor.execute(RAW_DOSE_CASES, [since, until])
            groups: dict[str, tuple[list[float], list[float]]] = {}
            for _, code, _, dap, kar in cursor.fetchall():
                daps, kars = groups.setdefault(code, ([], []))
                daps.append(dap)
                if kar is not None:
                    kars.append(kar)
            out["dose"] = {
                code: (
                    len(daps),
                    _r(percentile(daps, 0.5)),
                    _r(percentile(daps, 0.75)),
                    _r(percentile(kars, 0.5)),
                    _r(percentile(kars, 0.75)),
                )
                for code, (daps, kars) in groups.items()
            }
    return out


def figures(dashboard: Dashboard) -> dict:
    """The dashboard's figures in `raw`'s shape (the bench checks that they agree)."""
    grades = [code for code, _ in dashboard.grades]
    return {
        "procedure": {b.key: b.count for b in dashboard.by_procedure},
        "success": {
            r.key: (
                r.technical.numerator,
                r.technical.denominator,
                r.clinical.numerator,
                r.clinical.denominator,
            )
            for r in dashboard.success
        },
        "operator": {b.label: b.count for b in dashboard.by_operator},
        "room": {b.label: b.count for b in dashboard.by_room},
        "month": {b.key: b.count for b in dashboard.by_month},
        "ae": {
            r.key: (r.any.numerator, r.moderate_plus.numerator, *(r.by_grade[g] for g in grades))
            for r in dashboard.adverse_events
            if r.any.numerator
        },
        "dose": {
            r.key: (r.procedures, r.dap_median, r.dap_p75, r.kar_median, r.kar_p75)
            for r in dashboard.dose
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procedures", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20,000 procedures, 3 rounds")
    parser.add_argument(
        "--fill-only", action="store_true", help="fill the database, print the fill time, stop"
    )
    parser.add_argument(
        "--filled",
        action="store_true",
        help="time against a database a --fill-only run filled (same IRFLOW_DATA_DIR or"
        " DATABASE_URL)",
    )
    args = parser.parse_args()
    if args.quick:
        args.procedures, args.rounds = 20_000, 3
    if not os.environ.get("IRFLOW_DATA_DIR"):
        os.environ["IRFLOW_DATA_DIR"] = tempfile.mkdtemp(prefix="irflow-bench-dashboard-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "irflow.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from irflow.accounts.models import User
    from irflow.procedures.models import ProcedureRecord
    from irflow.quality.selectors import Filters, _day_range, quality_dashboard
    from irflow.testing.fixtures import make_user

    call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
    if args.filled:
        print(f"database: {connection.vendor}; {ProcedureRecord.objects.count():,} procedures")
    else:
        print(f"database: {connection.vendor}; {args.procedures:,} procedures")
        seconds = fill(args.procedures)
        print(f"fill: {seconds:.1f} s ({args.procedures / seconds:,.0f} procedures/s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    if args.fill_only:
        return 0
    qi = User.objects.filter(username="bench_qi").first() or make_user("bench_qi", "qi_lead")
    filters = Filters(start=date(2016, 1, 1), end=date(2025, 12, 31))
    since, until = _day_range(filters.start, filters.end)
    # Warm both paths once, and check that they give the same figures.
    ours_figures, raw_figures = (
        figures(quality_dashboard(actor=qi, filters=filters)),
        raw(since, until),
    )
    if ours_figures != raw_figures:
        for name in ours_figures:
            if ours_figures[name] != raw_figures[name]:
                print(f"{name}: dashboard {ours_figures[name]} != raw SQL {raw_figures[name]}")
        return 2
    print("raw SQL and dashboard give the same figures")
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        quality_dashboard(actor=qi, filters=filters)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        raw(since, until)
        theirs.append(time.perf_counter() - t)
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    print(f"dashboard aggregates: median {a * 1000:,.0f} ms over {args.rounds} rounds")
    print(f"raw SQL, same figures: median {b * 1000:,.0f} ms")
    print(f"ratio: {ratio:.2f} (target <= {TARGET})")
    return 0 if ratio <= TARGET or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
