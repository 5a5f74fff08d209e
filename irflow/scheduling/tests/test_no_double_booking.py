"""No room, operator or patient is ever double-booked — under concurrency, on both backends."""

from __future__ import annotations

import itertools
import random
import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from irflow.catalogue.models import ProcedureType, Room
from irflow.catalogue.seed import catalogue_seed
from irflow.lib.errors import Conflict
from irflow.orders.models import Order
from irflow.orders.services import order_create
from irflow.patients.models import Patient
from irflow.patients.services import patient_create
from irflow.scheduling import services
from irflow.scheduling.models import Booking
from irflow.testing.fixtures import make_user

TZ = ZoneInfo("Europe/London")


def next_weekday(hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=7)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), TZ)


@pytest.fixture
def room(db):
    catalogue_seed(ProcedureType)  # a transactional test before this one may have flushed it
    return Room.objects.create(
        code="A1",
        name="Angio 1",
        kind="angio",
        modality="XA",
        station_ae_title="ANGIO1",
        open_weekdays=[1, 2, 3, 4, 5],
    )


def make_orders(actor, n: int):
    procedure = ProcedureType.objects.get(code="PICC")
    orders = []
    for i in range(n):
        patient = patient_create(
            actor=actor,
            mrn=f"C{i:07d}",
            family_name=f"Conc{i}",
            given_name="Test",
            birth_date="1970-01-01",
            sex="F",
        )
        orders.append(order_create(actor=actor, patient_id=patient.pk, procedure_type=procedure))
    return orders


def bulk_orders(n: int) -> list[Order]:
    """Many orders for distinct patients, fast (the booking service is what is under test)."""
    procedure = ProcedureType.objects.get(code="PICC")
    Patient.objects.bulk_create(
        Patient(
            family_name=f"Conc{i}",
            given_name="Test",
            birth_date=date(1970, 1, 1),
            sex="F",
            family_name_key=f"conc{i}",
            given_name_key="test",
        )
        for i in range(n)
    )
    patients = list(Patient.objects.order_by("pk").values_list("pk", flat=True))[-n:]
    Order.objects.bulk_create(
        Order(
            patient_id=pk,
            procedure_type=procedure,
            accession_number=f"CC{i:08d}",
            requested_procedure_id=f"CR{i:08d}",
            study_instance_uid=f"1.2.3.{i}",
        )
        for i, pk in enumerate(patients)
    )
    return list(Order.objects.order_by("pk"))[-n:]


def assert_no_overlap(field: str) -> None:
    rows = list(
        Booking.objects.filter(active=True)
        .order_by(field, "start")
        .values_list(field, "start", "end")
    )
    for (k1, _s1, e1), (k2, s2, _e2) in itertools.pairwise(rows):
        if k1 == k2 and k1 is not None:
            assert s2 >= e1, f"overlap on {field}={k1}: {rows}"


@pytest.mark.django_db
def test_service_names_each_conflict(room, personas):
    attending, scheduler = personas["attending"], personas["scheduler"]
    o1, o2, o3 = make_orders(attending, 3)
    start = next_weekday(9)
    services.booking_create(
        actor=scheduler, order_id=o1.pk, room=room, start=start, primary_operator=attending
    )
    with pytest.raises(Conflict, match="Angio 1 is already booked") as exc:
        services.booking_create(
            actor=scheduler, order_id=o2.pk, room=room, start=start + timedelta(minutes=10)
        )
    assert exc.value.code == "room_taken"
    other = Room.objects.create(
        code="A2", name="Angio 2", kind="angio", modality="XA", open_weekdays=[1, 2, 3, 4, 5]
    )
    with pytest.raises(Conflict) as exc:
        services.booking_create(
            actor=scheduler, order_id=o2.pk, room=other, start=start, primary_operator=attending
        )
    assert exc.value.code == "operator_taken"
    # Back to back is fine: [09:00, 09:30) then [09:30, …).
    services.booking_create(
        actor=scheduler, order_id=o3.pk, room=room, start=start + timedelta(minutes=30)
    )


@pytest.mark.django_db
def test_database_refuses_overlap_even_without_the_service(room, personas):
    attending = personas["attending"]
    o1, o2 = make_orders(attending, 2)
    start = next_weekday(10)
    booking = services.booking_create(
        actor=personas["scheduler"], order_id=o1.pk, room=room, start=start
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            order=o2,
            patient_id=o2.patient_id,
            room=room,
            start=start + timedelta(minutes=5),
            end=start + timedelta(minutes=50),
            sps_id="RAW1",
            modality="XA",
        )
    # A cancelled booking frees the slot.
    services.booking_cancel(actor=personas["scheduler"], booking_id=booking.pk, reason="equipment")
    Booking.objects.create(
        order=o2,
        patient_id=o2.patient_id,
        room=room,
        start=start + timedelta(minutes=5),
        end=start + timedelta(minutes=50),
        sps_id="RAW2",
        modality="XA",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_twenty_threads_never_double_book(room):
    """20 threads × 50 attempts at overlapping slots in one room and for one operator."""
    scheduler = make_user("conc_scheduler", "scheduler")
    operator = make_user("conc_operator", "physician")
    orders = bulk_orders(1000)
    other_room = Room.objects.create(
        code="A2", name="Angio 2", kind="angio", modality="XA", open_weekdays=[1, 2, 3, 4, 5]
    )
    base = next_weekday(8)
    outcomes: list[str] = []
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def attempt_many(worker: int) -> None:
        rng = random.Random(worker)
        try:
            barrier.wait()
            for k in range(50):
                order = orders[worker * 50 + k]
                # Odd workers try the other room with the same operator: operator conflicts.
                target = other_room if worker % 2 else room
                start = base + timedelta(minutes=15 * rng.randint(0, 12))
                try:
                    services.booking_create(
                        actor=scheduler,
                        order_id=order.pk,
                        room=target,
                        start=start,
                        primary_operator=operator,
                    )
                    result = "booked"
                except Conflict as exc:
                    assert exc.code in {"room_taken", "operator_taken", "slot_taken"}, exc.code
                    assert exc.message
                    result = "conflict"
                with lock:
                    outcomes.append(result)
        except BaseException as exc:  # reported below
            unexpected.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt_many, args=(w,)) for w in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_old_connections()
    assert not unexpected, unexpected[:3]
    assert len(outcomes) == 1000
    booked = outcomes.count("booked")
    assert booked == Booking.objects.filter(active=True).count()
    assert 1 <= booked <= 8  # a 30-minute PICC in a 3¾-hour window, one operator
    assert outcomes.count("conflict") == 1000 - booked
    assert_no_overlap("room_id")
    assert_no_overlap("primary_operator_id")
    assert_no_overlap("patient_id")
