"""Synthetic scheduled procedure steps in bulk, for the worklist benchmark and tests.

`worklist_fill(count=10_000, ...)` writes stations (rooms), patients with MRNs, orders and
bookings straight to the database — thousands a second, where the booking services would
take minutes — in a layout the services would accept (no room, operator or patient is
double-booked). Deterministic for a seed. Names include accents and mixed case, so that
matching is exercised on more than ASCII.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from irflow.accounts.models import User
from irflow.catalogue.models import ProcedureType, Room
from irflow.orders.models import Order, OrderStatus, Priority
from irflow.patients.models import (
    Allergy,
    Condition,
    IdentifierKind,
    Patient,
    PatientIdentifier,
    normalise_name,
)
from irflow.referrals.models import Referral, ReferralStatus
from irflow.scheduling.models import Booking, BookingStatus

FAMILY_NAMES = [
    "Müller",
    "MÜLLER",
    "Møller",
    "Smith",
    "smithson",
    "O'Brien",
    "Łukasiewicz",
    "Nguyễn",
    "García",
    "van der Berg",
    "Dubois",
    "Straße",
    "Ölçer",
    "Andersson",
    "Kowalski",
    "Brown_e",
    "Percent%",
    "Zhang",
    "Öberg",
    "Schmidt",
]
GIVEN_NAMES = ["Jörg", "Anna", "ÉLODIE", "Łukasz", "Zoë", "john", "Mary Ann", "Ørjan", "", "Li"]
OPERATORS = [("Khan", "Amira"), ("Ødegård", "Sven"), ("Ng", ""), ("Müller", "Jörg")]
# Referring clinicians: every other order comes from a referral, the rest were made in IR.
REFERRERS = [("Smith", "Jane"), ("Łukasiewicz", "Jan"), ("García", "")]
# Statuses on the worklist, and the ones that are not (checked to stay off it).
LIVE_STATUSES = [
    BookingStatus.BOOKED,
    BookingStatus.BOOKED,
    BookingStatus.ARRIVED,
    BookingStatus.IN_PREPARATION,
    BookingStatus.IN_ROOM,
]
GONE_STATUSES = [BookingStatus.RECOVERY, BookingStatus.DISCHARGED, BookingStatus.CANCELLED]
MODALITIES = ["XA", "XA", "CT", "US"]


@dataclass(frozen=True)
class Station:
    ae_title: str
    room: Room


def stations_create(count: int, *, prefix: str = "STN") -> list[Station]:
    """`count` rooms, each with a modality whose AE title is `<prefix>01`, `<prefix>02`, …"""
    stations = []
    for index in range(1, count + 1):
        ae = f"{prefix}{index:02d}"
        room, _ = Room.objects.get_or_create(
            code=ae,
            defaults={
                "name": f"Synthetic room {index}",
                "kind": "angio",
                "modality": MODALITIES[index % len(MODALITIES)],
                "station_ae_title": ae,
            },
        )
        stations.append(Station(ae, room))
    return stations


def _users(seed: int, role: str, names: list[tuple[str, str]]) -> list[User]:
    users = []
    for index, (family, given) in enumerate(names):
        user, _ = User.objects.get_or_create(
            username=f"synthetic-{role}-{seed}-{index}",
            defaults={"role": role, "last_name": family, "first_name": given},
        )
        users.append(user)
    return users


@transaction.atomic
def worklist_fill(
    *,
    count: int,
    first_day: date,
    seed: int = 0,
    stations: int = 20,
    slots_per_day: int = 10,
    gone_fraction: float = 0.1,
    clinical_details: bool = True,
) -> list[Booking]:
    """Create `count` bookings over consecutive days from `first_day`, `slots_per_day` per
    station and day; about `gone_fraction` of them are off the worklist (recovery,
    discharged or cancelled)."""
    rng = random.Random(seed)
    tz = ZoneInfo(settings.TIME_ZONE)
    rooms = stations_create(stations)
    operators = _users(seed, "physician", OPERATORS)
    referrers = _users(seed, "referrer", REFERRERS)
    procedures = list(ProcedureType.objects.filter(active=True).order_by("code"))
    issuer = settings.IRFLOW_MRN_ISSUER
    root = settings.IRFLOW_UID_ROOT

    patients = []
    for _ in range(count):
        family = rng.choice(FAMILY_NAMES)
        given = rng.choice(GIVEN_NAMES)
        patients.append(
            Patient(
                family_name=family,
                given_name=given,
                family_name_key=normalise_name(family),
                given_name_key=normalise_name(given),
                birth_date=date(1930, 1, 1) + timedelta(days=rng.randint(0, 30_000)),
                sex=rng.choice("FFMMOU"),
                weight_kg=rng.choice([None, Decimal("61.5"), Decimal("80"), Decimal("102.3")]),
                height_cm=rng.choice([None, Decimal("158"), Decimal("181.5")]),
            )
        )
    Patient.objects.bulk_create(patients, batch_size=1000)
    if patients[0].pk is None:
        patients = list(Patient.objects.order_by("-pk")[:count])[::-1]

    identifiers, allergies, conditions, orders = [], [], [], []
    for n, patient in enumerate(patients):
        identifiers.append(
            PatientIdentifier(
                patient=patient,
                kind=IdentifierKind.MRN,
                issuer=issuer,
                value=f"M{seed:02d}{n:07d}",
            )
        )
        if rng.random() < 0.05:
            # A second MRN from another issuer: the worklist shows the site's own.
            identifiers.append(
                PatientIdentifier(
                    patient=patient, kind=IdentifierKind.MRN, issuer="OTHER", value=f"X{n:07d}"
                )
            )
        if clinical_details and rng.random() < 0.2:
            allergies.append(
                Allergy(
                    patient=patient,
                    agent=rng.choice(["Iohexol", "Latex", "Penicillin"]),
                    category="other",
                    severity="moderate",
                )
            )
        if clinical_details and rng.random() < 0.1:
            conditions.append(Condition(patient=patient, code="dialysis"))
        orders.append(
            Order(
                patient=patient,
                procedure_type=rng.choice(procedures),
                priority=rng.choice(list(Priority.values)),
                clinical_indication=rng.choice(["", "Claudication\nleft calf", "Biopsy"]),
                accession_number=f"A{seed:02d}{n:08d}",
                requested_procedure_id=f"R{seed:02d}{n:08d}",
                study_instance_uid=f"{root}.9.{seed}.{n + 1}",
                status=OrderStatus.SCHEDULED,
                created_by=operators[n % len(operators)],
            )
        )
    PatientIdentifier.objects.bulk_create(identifiers, batch_size=1000)
    Allergy.objects.bulk_create(allergies, batch_size=1000)
    Condition.objects.bulk_create(conditions, batch_size=1000)
    Order.objects.bulk_create(orders, batch_size=1000)
    if orders[0].pk is None:
        orders = list(Order.objects.order_by("-pk")[:count])[::-1]
    referrals = []
    for n, order in enumerate(orders[::2]):
        referrer = referrers[n % len(referrers)]
        referrals.append(
            Referral(
                patient_id=order.patient_id,
                referrer=referrer,
                referring_clinician=f"{referrer.first_name} {referrer.last_name}".strip(),
                clinical_question="Please assess.",
                procedure_type=order.procedure_type,
                urgency=order.priority,
                status=ReferralStatus.SCHEDULED,
                order=order,
            )
        )
    Referral.objects.bulk_create(referrals, batch_size=1000)

    bookings = []
    per_day = slots_per_day * len(rooms)
    for n, order in enumerate(orders):
        day = first_day + timedelta(days=n // per_day)
        station = rooms[(n % per_day) % len(rooms)]
        slot = (n % per_day) // len(rooms)
        start = datetime.combine(day, time(7, 30), tz) + timedelta(
            minutes=slot * 60 + rng.choice([0, 5, 15, 30])
        )
        gone = rng.random() < gone_fraction
        status = rng.choice(GONE_STATUSES) if gone else rng.choice(LIVE_STATUSES)
        # One operator per station: a station's bookings never overlap, so neither do theirs.
        operator = operators[rooms.index(station) % len(operators)]
        bookings.append(
            Booking(
                order=order,
                patient_id=order.patient_id,
                room=station.room,
                start=start,
                end=start + timedelta(minutes=25),
                primary_operator=operator if rooms.index(station) < len(operators) else None,
                sps_id=f"S{seed:02d}{n:08d}",
                modality=station.room.modality,
                station_ae_title=station.ae_title,
                status=status,
                active=status != BookingStatus.CANCELLED,
            )
        )
    Booking.objects.bulk_create(bookings, batch_size=1000)
    return bookings
