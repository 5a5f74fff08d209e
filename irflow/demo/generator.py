"""`irflow demo`: a realistic synthetic department, deterministic for a seed and a date.

Later parts of irflow add their own steps (referrals, bookings, procedures, doses…) with
`register_step`, so that the demo always shows the whole patient journey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from irflow.catalogue.models import ProcedureType, Room
from irflow.demo.patients import demo_patients_create
from irflow.demo.rooms import demo_rooms_create
from irflow.demo.staff import demo_staff_create
from irflow.lib.errors import Conflict
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


DemoStep = Callable[[DemoContext], None]
_STEPS: list[tuple[str, DemoStep]] = []


def register_step(name: str, step: DemoStep) -> None:
    if name not in {n for n, _ in _STEPS}:
        _STEPS.append((name, step))


def demo_create(
    *, patients: int, seed: int, today: date, progress: Callable[[str], None] = lambda _: None
) -> DemoContext:
    """Create staff, rooms and `patients` patients (plus every registered step's data)."""
    first_mrn = 1_000_000 + (seed % 1000) * 10_000
    if PatientIdentifier.objects.filter(value=f"D{first_mrn:07d}").exists():
        raise Conflict(f"Demo data for seed {seed} already exists; use another --seed.")
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
        for name, step in _STEPS:
            progress(name)
            step(ctx)
    return ctx
