"""The slot finder on the database: the rooms that fit the procedure, around the rooms'
bookings, the patient's and the operator's (in any role of a team); never in the past; a
fixed number of queries; booking a slot in one click, refused slots said on the finder."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from irflow.accounts.models import Privilege
from irflow.accounts.roles import Role
from irflow.catalogue.models import ProcedureType, Room
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.patients.services import patient_create
from irflow.scheduling import selectors
from irflow.scheduling.models import Booking, TeamRole
from irflow.scheduling.services import MSG_ROOM_TAKEN
from irflow.testing.fixtures import login, make_booking, make_order, make_user, next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(angio_room):
    ultrasound = Room.objects.create(
        code="US1", name="IR ultrasound room", kind="us", modality="US"
    )
    return angio_room, ultrasound


@pytest.fixture
def day() -> date:
    return next_weekday_at(9).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


def other_patient(actor, mrn: str = "T0000002"):
    return patient_create(
        actor=actor,
        mrn=mrn,
        family_name="Okafor",
        given_name="Ada",
        birth_date=date(1970, 1, 2),
        sex="F",
    )


def starts(slots, room) -> list[str]:
    return [
        timezone.localtime(start).strftime("%H:%M")
        for d in slots.days
        for rs in d.rooms
        if rs.room == room
        for gap in rs.gaps
        for start in gap.starts
    ]


def test_a_tace_is_offered_only_in_the_angio_room_around_its_bookings(
    personas, patient, rooms, day
):
    angio, ultrasound = rooms
    attending, scheduler = personas["attending"], personas["scheduler"]
    someone = other_patient(attending)
    make_booking(attending, make_order(attending, someone, "TACE"), angio, at(day, 9))  # 9–11
    tace = make_order(attending, patient, "TACE")
    slots = selectors.free_slots(
        actor=scheduler, order_id=tace.pk, start_day=day, end_day=day, step_min=60
    )
    assert [rs.room for rs in slots.days[0].rooms] == [angio]  # never the ultrasound room
    assert [room for room, _ in slots.unfit] == [ultrasound]
    assert slots.duration_min == 120 and slots.bookable
    assert starts(slots, angio) == ["11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    gap = slots.days[0].rooms[0].gaps[0]
    assert gap.minutes == 420  # 11:00–18:00, the free time around the slots


def test_the_patient_and_the_operator_are_busy_wherever_they_are(personas, patient, rooms, day):
    angio, ultrasound = rooms
    attending, scheduler = personas["attending"], personas["scheduler"]
    colleague = make_user("colleague", Role.PHYSICIAN)
    # The patient has a PICC in the ultrasound room at 12:00–12:30.
    make_booking(attending, make_order(attending, patient, "PICC"), ultrasound, at(day, 12))
    # The attending operates at 14:00 in the ultrasound room, and assists a colleague at 16:30.
    someone = other_patient(attending)
    make_booking(
        attending,
        make_order(attending, someone, "PICC"),
        ultrasound,
        at(day, 14),
        primary_operator=attending,
    )
    another = other_patient(attending, mrn="T0000003")
    make_booking(
        attending,
        make_order(attending, another, "PICC"),
        ultrasound,
        at(day, 16, 30),
        primary_operator=colleague,
        team=[(attending, TeamRole.ASSISTANT)],
    )
    tace = make_order(attending, patient, "TACE")
    anyone = selectors.free_slots(
        actor=scheduler, order_id=tace.pk, start_day=day, end_day=day, step_min=30
    )
    morning = ["08:00", "08:30", "09:00", "09:30", "10:00"]
    afternoon = ["12:30", "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"]
    assert starts(anyone, angio) == [*morning, *afternoon]
    with_attending = selectors.free_slots(
        actor=scheduler,
        order_id=tace.pk,
        start_day=day,
        end_day=day,
        step_min=30,
        operator_id=attending.pk,
    )
    assert with_attending.operator == attending
    assert starts(with_attending, angio) == [*morning, "14:30"]
    # The colleague is free all day but for the 16:30 PICC; the patient still is not.
    with_colleague = selectors.free_slots(
        actor=scheduler,
        order_id=tace.pk,
        start_day=day,
        end_day=day,
        step_min=30,
        operator_id=colleague.pk,
    )
    assert starts(with_colleague, angio)[-2:] == ["14:00", "14:30"]  # 15:00 would meet 16:30


def test_past_times_are_never_offered(personas, patient, rooms, day):
    tace = make_order(personas["attending"], patient, "TACE")
    slots = selectors.free_slots(
        actor=personas["scheduler"],
        order_id=tace.pk,
        start_day=day,
        end_day=day + timedelta(days=1),
        step_min=15,
        now=at(day, 12, 5),
    )
    assert starts(slots, rooms[0])[0] == "12:15"
    tomorrow = slots.days[1].rooms[0]
    assert not tomorrow.open or tomorrow.gaps[0].starts[0] == at(day + timedelta(days=1), 8)


def test_a_procedure_alone_and_bad_questions(personas, rooms, day):
    scheduler = personas["scheduler"]
    tace = ProcedureType.objects.get(code="TACE")
    slots = selectors.free_slots(actor=scheduler, procedure_id=tace.pk, start_day=day, end_day=day)
    assert slots.order is None and not slots.bookable and slots.count == 17  # 08:00–16:00
    with pytest.raises(ValidationFailed) as refused:
        selectors.free_slots(
            actor=scheduler, procedure_id=tace.pk, start_day=day, end_day=day - timedelta(days=1)
        )
    assert "end_day" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        selectors.free_slots(
            actor=scheduler, procedure_id=tace.pk, start_day=day, end_day=day + timedelta(days=31)
        )
    assert "end_day" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        selectors.free_slots(
            actor=scheduler, procedure_id=tace.pk, start_day=day, end_day=day, step_min=7
        )
    assert "step_min" in refused.value.errors
    with pytest.raises(ValidationFailed):
        selectors.free_slots(actor=scheduler, start_day=day, end_day=day)
    for name in ("nurse", "referrer", "technologist"):
        with pytest.raises(Forbidden):
            selectors.free_slots(
                actor=personas[name], procedure_id=tace.pk, start_day=day, end_day=day
            )


def _queries(actor, order, first: date, last: date, operator_id=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        selectors.free_slots(
            actor=actor, order_id=order.pk, start_day=first, end_day=last, operator_id=operator_id
        )
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_rooms_days_or_bookings(
    personas, patient, rooms, day
):
    attending, scheduler = personas["attending"], personas["scheduler"]
    tace = make_order(attending, patient, "TACE")
    few = _queries(scheduler, tace, day, day, attending.pk)
    for n in range(3):
        Room.objects.create(
            code=f"ANGIO{n + 2}", name=f"Angio {n + 2}", kind="angio", modality="XA"
        )
    for n in range(4):
        someone = other_patient(attending, mrn=f"T10{n}")
        make_booking(
            attending,
            make_order(attending, someone, "PICC"),
            rooms[0],
            at(day, 8) + timedelta(days=n, hours=n),
            primary_operator=attending,
        )
    many = _queries(scheduler, tace, day, day + timedelta(days=20), attending.pk)
    assert many == few


# ------------------------------------------------------------------ the page


def test_the_finder_page_books_a_slot_in_one_click(client, personas, patient, rooms, day):
    angio, _ = rooms
    attending = personas["attending"]
    newcomer = make_user("newcomer", Role.PHYSICIAN)
    Privilege.objects.filter(user=newcomer, category="oncology").delete()
    tace = make_order(attending, patient, "TACE")
    login(client, personas["scheduler"])
    url = f"/scheduling/book/{tace.pk}/slots/?first_day={day}&last_day={day}&step=60"
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    # Offered as operators: the physicians who may do a TACE (an oncology procedure).
    assert f'<option value="{attending.pk}">Attending Test</option>' in text
    assert "Newcomer Test" not in text
    assert "Free slots: Transarterial chemoembolisation" in text
    assert 'aria-label="Book Angio suite 1,' in text
    assert 'aria-label="Book IR ultrasound room' not in text
    assert "IR ultrasound room has no angiography" in text
    start = at(day, 10)
    booked = client.post(
        f"/scheduling/book/{tace.pk}/slots/book/?first_day={day}&last_day={day}&step=60",
        {"room": angio.pk, "start": start.isoformat(), "operator": attending.pk},
    )
    booking = Booking.objects.get(order=tace)
    assert booked.status_code == 302 and booked.url == f"/scheduling/bookings/{booking.pk}/"
    assert (booking.room, booking.start, booking.duration_min) == (angio, start, 120)
    assert booking.primary_operator == attending
    tace.refresh_from_db()
    assert tace.status == "scheduled"
    # Booked, the order is not offered slots any more.
    assert 'aria-label="Book ' not in client.get(url).content.decode()


def test_a_refused_slot_says_why_on_the_finder(client, personas, patient, rooms, day):
    angio, _ = rooms
    attending = personas["attending"]
    someone = other_patient(attending)
    taken = make_booking(attending, make_order(attending, someone, "TACE"), angio, at(day, 10))
    tace = make_order(attending, patient, "TACE")
    login(client, personas["scheduler"])
    refused = client.post(
        f"/scheduling/book/{tace.pk}/slots/book/?first_day={day}&last_day={day}",
        {"room": angio.pk, "start": at(day, 9).isoformat()},  # taken a moment ago
    )
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "That slot could not be booked" in text
    expected = MSG_ROOM_TAKEN.format(
        room=angio,
        start=timezone.localtime(taken.start).strftime("%a %d %b %H:%M"),
        end=timezone.localtime(taken.end).strftime("%a %d %b %H:%M"),
    )
    assert expected in text
    assert not Booking.objects.filter(order=tace).exists()
    # A bad question is said beside its field; the next days are shown meanwhile.
    page = client.get(f"/scheduling/book/{tace.pk}/slots/?first_day={day}&last_day=2000-01-01")
    assert page.status_code == 422
    assert "at most 31 days later" in page.content.decode()


def test_only_those_who_book_open_the_finder(client, personas, patient, rooms):
    tace = make_order(personas["attending"], patient, "TACE")
    for name in ("nurse", "technologist"):
        login(client, personas[name])
        assert client.get(f"/scheduling/book/{tace.pk}/slots/").status_code == 403
        assert client.post(f"/scheduling/book/{tace.pk}/slots/book/").status_code == 403
    login(client, personas["scheduler"])
    assert client.get(f"/scheduling/book/{tace.pk + 99}/slots/").status_code == 404
    booking_form = client.get(f"/scheduling/book/{tace.pk}/").content.decode()
    assert f'href="/scheduling/book/{tace.pk}/slots/"' in booking_form


def test_the_finder_page_reads_as_much_for_a_month_as_for_a_day(
    client, personas, patient, rooms, day
):
    attending = personas["attending"]
    tace = make_order(attending, patient, "TACE")
    login(client, personas["scheduler"])
    base = f"/scheduling/book/{tace.pk}/slots/?operator={attending.pk}&step=15"

    def queries(last: date) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{base}&first_day={day}&last_day={last}").status_code == 200
        return len(captured)

    one_day = queries(day)
    Room.objects.create(code="ANGIO2", name="Angio suite 2", kind="angio", modality="XA")
    make_booking(attending, make_order(attending, other_patient(attending), "TACE"), rooms[0],
                 at(day, 9), primary_operator=attending)  # fmt: skip
    assert queries(day + timedelta(days=30)) == one_day
