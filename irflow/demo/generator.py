"""`irflow demo`: a realistic synthetic department, deterministic for a seed and a date.

Staff, rooms and patients, then one step per part of the journey (`STEPS`, in the journey's
order): referrals, board meetings, bookings, the day of the case, dose reports. Every step goes
through the services, so the demo obeys the same rules as real use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction

from irflow.catalogue.models import ProcedureType, Room
from irflow.demo.board import demo_board_create
from irflow.demo.bookings import demo_bookings_create
from irflow.demo.day import demo_day_create
from irflow.demo.dose import demo_dose_create
from irflow.demo.history import bookings_today_fill, demo_history_create
from irflow.demo.patients import demo_patients_create
from irflow.demo.referrals import demo_referrals_create
from irflow.demo.rooms import demo_rooms_create
from irflow.demo.staff import demo_staff_create
from irflow.patients.models import Patient, PatientIdentifier


@dataclass
class DemoContext:
    seed: int
    today: date
    users: dict
    rooms: list[Room]
    patients: list[Patient]
    procedure_types: list[ProcedureType]
    counts: dict[str, int] = field(default_factory=dict)
    # Booking id -> the status the day of the case takes it to (today's patients, the past).
    plan: dict[int, str] = field(default_factory=dict)


DemoStep = Callable[[DemoContext], None]
STEPS: list[tuple[str, DemoStep]] = [
    ("referrals", demo_referrals_create),
    ("board meetings", demo_board_create),
    ("bookings", demo_bookings_create),
    ("the day of the case: procedures, reports, recovery and devices", demo_day_create),
    ("dose reports", demo_dose_create),
]


def demo_create(
    *,
    patients: int,
    seed: int,
    today: date,
    years: int = 0,
    procedures_per_year: int = 0,
    bookings_today: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> DemoContext:
    """Create staff, rooms and `patients` patients (plus every registered step's data); then
    `years` of history at `procedures_per_year` (irflow.demo.history), and today's bookings
    topped up to `bookings_today`.

    On a database that has demo data already, it adds more: new patients (their MRNs after
    the highest demo MRN on file), referrals, bookings where rooms are free."""
    first_mrn = _first_mrn(seed)
    with transaction.atomic():
        progress("staff")
        users = demo_staff_create(today=today)
        progress("rooms")
        rooms = demo_rooms_create()
        progress(f"{patients} patients")
        referrers = [u for u in users.values() if u.role == "referrer"]
        created = (
            demo_patients_create(
                count=patients, seed=seed, today=today, referrers=referrers, first_mrn=first_mrn
            )
            if patients
            else []
        )
        ctx = DemoContext(
            seed=seed,
            today=today,
            users=users,
            rooms=rooms,
            patients=created,
            procedure_types=list(ProcedureType.objects.filter(active=True).order_by("code")),
            counts={"patients": len(created)},
        )
        for name, step in STEPS:
            _statistics_refresh()
            progress(name)
            step(ctx)
        _statistics_refresh()  # for what reads the department next: the worklist, the board
    # The history commits a year at a time (an interrupted run keeps the years written).
    if years and procedures_per_year:
        progress(f"{years} years of history")
        demo_history_create(ctx, years=years, per_year=procedures_per_year, progress=progress)
    if bookings_today is not None:
        progress(f"{bookings_today} bookings today")
        with transaction.atomic():
            bookings_today_fill(ctx, bookings_today)
    if years or bookings_today is not None:
        with transaction.atomic():
            _statistics_refresh()
    return ctx


def _first_mrn(seed: int) -> int:
    """The seed's first MRN; after the highest demo MRN on file when that one is taken."""
    first = 1_000_000 + (seed % 1000) * 10_000
    if not PatientIdentifier.objects.filter(value=f"D{first:07d}").exists():
        return first
    last = (
        PatientIdentifier.objects.filter(value__startswith="D")
        .order_by("-value")
        .values_list("value", flat=True)
        .first()
    )
    return int(last[1:]) + 1 if last and last[1:].isdigit() else first


def _statistics_refresh() -> None:
    """Bring PostgreSQL's planner statistics up to the rows written so far, as after any bulk
    load: the demo is written in one transaction, which autovacuum cannot see into, so the
    planner would otherwise plan each step's lookups from the tables as they were before.
    ANALYZE inside the transaction counts the transaction's own rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
