"""Room day and week views, the booking form and page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.patients.models import CareRelation
from irflow.scheduling import selectors
from irflow.scheduling.models import Booking, BookingStatus
from irflow.scheduling.services import (
    MSG_ROOM_TAKEN,
    MSG_TRAINEE_SUPERVISION,
)
from irflow.testing.fixtures import login, make_booking, make_order, next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_room(angio_room):
    """The angio room, open every day of the week for the whole day (tests run any time)."""
    angio_room.open_weekdays = [1, 2, 3, 4, 5, 6, 7]
    angio_room.opens_at, angio_room.closes_at = time(0, 0), time(23, 59)
    angio_room.save()
    return angio_room


def today_at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(
        timezone.localdate(), time(hour, minute), timezone.get_current_timezone()
    )


def test_a_room_day_shows_bookings_and_free_gaps(client, personas, patient, angio_room):
    attending = personas["attending"]
    start = next_weekday_at(9)
    make_booking(attending, make_order(attending, patient), angio_room, start)  # PICC, 30 min
    make_booking(
        attending, make_order(attending, patient, "PORT"), angio_room, start + timedelta(hours=1)
    )
    day = selectors.room_day(actor=personas["scheduler"], room=angio_room, day=start.date())
    assert [(s.start.strftime("%H:%M"), s.minutes, s.free) for s in day.slots] == [
        ("08:00", 60, True),
        ("09:00", 30, False),
        ("09:30", 30, True),
        ("10:00", 60, False),
        ("11:00", 420, True),
    ]
    assert day.free_min == 510
    week = selectors.room_week(actor=personas["scheduler"], room=angio_room, day=start.date())
    assert [d.day.isoweekday() for d in week] == [1, 2, 3, 4, 5, 6, 7]
    assert [d.open for d in week] == [True] * 5 + [False] * 2  # a weekday room
    assert sum(len(d.bookings) for d in week) == 2

    login(client, personas["scheduler"])
    page = client.get(f"/scheduling/rooms/{angio_room.code}/day/?date={start.date()}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Free · 60 min" in text and "MÜLLER, Jörg" in text and "Orders to book (0)" in text
    week_page = client.get(f"/scheduling/rooms/{angio_room.code}/week/?date={start.date()}")
    assert week_page.status_code == 200 and "Closed" in week_page.content.decode()
    login(client, personas["referrer"])
    assert client.get(f"/scheduling/rooms/{angio_room.code}/day/").status_code == 403


def test_the_board_is_the_landing_page_of_the_clinical_staff(client, personas):
    for name in ("attending", "nurse", "technologist", "scheduler"):
        login(client, personas[name])
        text = client.get("/").content.decode()
        assert "Good " in text and 'aria-label="Department board"' in text, name
    login(client, personas["referrer"])
    text = client.get("/").content.decode()
    assert "Department board" not in text and 'href="/referrals/"' in text


def test_booking_through_the_form(client, personas, patient, angio_room):
    order = make_order(personas["attending"], patient, "PORT")
    login(client, personas["scheduler"])
    form = client.get(f"/scheduling/book/{order.pk}/")
    assert form.status_code == 200
    assert 'name="duration_min" value="60"' in form.content.decode()  # the catalogue's duration
    start = next_weekday_at(10)
    data = {
        "room": angio_room.pk,
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "duration_min": 75,
        "primary_operator": personas["trainee"].pk,
        "nurse": personas["nurse"].pk,
    }
    refused = client.post(f"/scheduling/book/{order.pk}/", data)
    assert refused.status_code == 422
    assert MSG_TRAINEE_SUPERVISION in refused.content.decode()
    booked = client.post(
        f"/scheduling/book/{order.pk}/",
        {**data, "supervising_physician": personas["attending"].pk},
    )
    assert booked.status_code == 302
    booking = Booking.objects.get(order=order)
    assert booking.duration_min == 75 and booking.primary_operator == personas["trainee"]
    assert sorted(booking.team.values_list("role", flat=True)) == [
        "nurse",
        "primary_operator",
        "supervising_physician",
    ]
    page = client.get(booked["Location"])
    assert page.status_code == 200 and "Move this booking" in page.content.decode()

    moved = client.post(
        f"/scheduling/bookings/{booking.pk}/reschedule/",
        {
            "start": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "duration_min": 75,
            "room": angio_room.pk,
            "reason": "equipment",
        },
    )
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.start == start + timedelta(hours=2) and booking.cancel_reason == "equipment"
    no_reason = client.post(f"/scheduling/bookings/{booking.pk}/cancel/", {"reason": ""})
    assert no_reason.status_code == 422
    cancelled = client.post(
        f"/scheduling/bookings/{booking.pk}/cancel/",
        {"reason": "anticoagulation_not_held", "note": "Apixaban taken this morning"},
    )
    assert cancelled.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.active) == ("cancelled", False)
    assert booking.get_cancel_reason_display() == "Anticoagulation not held"
    order.refresh_from_db()
    assert order.status == "ordered"


def test_the_scheduling_api(client, personas, patient, angio_room):
    attending = personas["attending"]
    token = api_token_create(actor=SYSTEM, user_id=personas["scheduler"].pk, name="t")[1]
    kwargs = {"content_type": "application/json", "headers": {"authorization": f"Bearer {token}"}}
    first, second = make_order(attending, patient), make_order(attending, patient, "PORT")
    start = next_weekday_at(9)
    created = client.post(
        "/api/scheduling/bookings",
        {
            "order_id": first.pk,
            "room_code": angio_room.code,
            "start": start.isoformat(),
            "primary_operator_id": attending.pk,
            "team": [{"user_id": personas["nurse"].pk, "role": "nurse"}],
        },
        **kwargs,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["duration_min"], body["room_code"], body["status"]) == (30, "ANGIO1", "booked")
    assert {(m["role"]) for m in body["team"]} == {"primary_operator", "nurse"}
    clash = client.post(
        "/api/scheduling/bookings",
        {"order_id": second.pk, "room_code": angio_room.code, "start": start.isoformat()},
        **kwargs,
    )
    assert clash.status_code == 409
    assert clash.json()["detail"] == MSG_ROOM_TAKEN.format(
        room=angio_room,
        start=timezone.localtime(start).strftime("%a %d %b %H:%M"),
        end=timezone.localtime(start + timedelta(minutes=30)).strftime("%a %d %b %H:%M"),
    )
    day = client.get(
        f"/api/scheduling/rooms/{angio_room.code}/day", {"day": start.date().isoformat()}, **kwargs
    ).json()
    assert [s["free"] for s in day["slots"]] == [True, False, True]
    moved = client.post(
        f"/api/scheduling/bookings/{body['id']}/reschedule",
        {"start": (start + timedelta(hours=1)).isoformat(), "reason": "bed_unavailable"},
        **kwargs,
    )
    assert moved.status_code == 200 and moved.json()["cancel_reason"] == "bed_unavailable"
    arrived = client.post(
        f"/api/scheduling/bookings/{body['id']}/status", {"status": "arrived"}, **kwargs
    )
    assert arrived.json()["status"] == "arrived"
    cancelled = client.post(
        f"/api/scheduling/bookings/{body['id']}/cancel", {"reason": "patient_unwell"}, **kwargs
    )
    assert cancelled.json()["status"] == "cancelled"
    bad_reason = client.post(
        f"/api/scheduling/bookings/{body['id']}/cancel", {"reason": "because"}, **kwargs
    )
    assert bad_reason.status_code == 422


def test_booking_forms_answer_404_for_a_missing_booking_and_403_for_a_role_that_may_not(
    client, personas, patient, angio_room
):
    attending = personas["attending"]
    start = next_weekday_at(10)
    booking = make_booking(attending, make_order(attending, patient), angio_room, start)
    move = {
        "start": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "duration_min": 30,
        "room": angio_room.pk,
        "reason": "equipment",
    }
    cancel = {"reason": "anticoagulation_not_held"}
    login(client, personas["scheduler"])
    missing = f"/scheduling/bookings/{booking.pk + 1000}"
    assert client.post(f"{missing}/reschedule/", move).status_code == 404
    assert client.post(f"{missing}/cancel/", cancel).status_code == 404
    assert client.post(f"{missing}/status/", {"status": "arrived"}).status_code == 404
    assert client.post(f"/scheduling/book/{booking.order_id + 1000}/").status_code == 404

    base = f"/scheduling/bookings/{booking.pk}"
    login(client, personas["nurse"])  # may move patients along the day, not book or cancel
    assert client.post(f"{base}/reschedule/", move).status_code == 403
    assert client.post(f"{base}/cancel/", cancel).status_code == 403
    CareRelation.objects.create(patient=patient, clinician=personas["referrer"])
    login(client, personas["referrer"])  # sees the booking of a patient in their care, no more
    assert client.get(f"{base}/").status_code == 200
    assert client.post(f"{base}/status/", {"status": "arrived"}).status_code == 403
    booking.refresh_from_db()
    assert (booking.start, booking.status) == (start, BookingStatus.BOOKED)
