"""The Today board and the procedure page: the truth for each stage, only the moves the rules
allow offered (each asked first), refusals said where they happen; and every page of the day
in a constant number of queries whatever the number of bookings or entries."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.catalogue.models import Room
from irflow.dayofcase import guards, services
from irflow.patients.services import patient_create
from irflow.scheduling.models import Booking, BookingStatus
from irflow.testing.cases import (
    acknowledged,
    booked,
    checklist,
    completed,
    in_room,
    ready_to_complete,
)
from irflow.testing.fixtures import login, make_booking, make_order
from irflow.testing.recovery import observed

from .conftest import today_at

pytestmark = pytest.mark.django_db
MRNS = itertools.count(100)


def another_patient(actor):
    number = next(MRNS)
    return patient_create(
        actor=actor,
        mrn=f"T{number:07d}",
        family_name=f"Patient{number}",
        given_name="Test",
        birth_date="1960-01-01",
        sex="F",
    )


def a_room(code: str) -> Room:
    return Room.objects.create(
        code=code,
        name=f"Suite {code}",
        kind="angio",
        modality="XA",
        open_weekdays=[*range(1, 8)],
        opens_at=today_at(0).time(),
        closes_at=today_at(23, 59).time(),
    )


def unassigned(actor, room, start, *, minutes: int = 45, code: str = "IVCF-IN", **kwargs):
    """An IVC filter (or `code`) for a new patient in `room` at `start`, no operator assigned
    yet."""
    order = make_order(actor, another_patient(actor), code)
    return make_booking(actor, order, room, start, duration_min=minutes, **kwargs)


def row(html: str, booking) -> str:
    """The board row of `booking`."""
    start = html.index(f'id="booking-{booking.pk}"')
    ends = [
        i for i in (html.find('<li class="board-row', start), html.find("</ol>", start)) if i > 0
    ]
    return html[start : min(ends)]


def board_html(client) -> str:
    page = client.get("/scheduling/today/")
    assert page.status_code == 200
    return page.content.decode()


def test_each_stage_shows_its_own_truth(client, attending, nurse, patient, room):
    waiting = booked(attending, patient, room, start=today_at(7))
    other_room = a_room("X1")
    done = booked(attending, another_patient(attending), other_room, start=today_at(6))
    record = completed(attending, done)
    observed(nurse, record)
    services.case_discharge(
        actor=nurse,
        procedure_id=record.pk,
        disposition="same_day",
        discharged_at=record.out_at + timedelta(hours=1),
        now=max(timezone.now(), record.out_at + timedelta(hours=1)),  # 06:00 may be ahead
    )
    theatre = booked(attending, another_patient(attending), a_room("X2"), start=today_at(8))
    in_room(nurse, theatre)
    login(client, nurse)
    html = board_html(client)
    waiting_row = row(html, waiting)
    assert 'data-readiness="not_ready"' in waiting_row and "open" in waiting_row
    theatre_row = row(html, theatre)
    assert "✓ Sign-in" in theatre_row and "· Time-out" in theatre_row
    assert "data-readiness" not in theatre_row
    done_row = row(html, done)
    assert "Discharged" in done_row and "readiness-" not in done_row


def test_a_move_the_rules_refuse_is_not_offered_but_said(client, attending, nurse, booking):
    services.case_check_in(actor=nurse, booking_id=booking.pk)
    login(client, nurse)
    html = board_html(client)
    assert "?status=in_room" not in html  # no "In room" button
    assert guards.MSG_SIGN_IN in html
    assert "Emergency override" not in html  # nurses do not override
    login(client, attending)
    assert "Emergency override: no sign-in" in board_html(client)


def test_a_move_is_asked_first_then_made_and_the_board_comes_back(client, nurse, booking):
    login(client, nurse)
    url = f"/scheduling/bookings/{booking.pk}/status/"
    ask = client.get(url, {"status": "arrived", "next": "board"}, headers={"HX-Request": "true"})
    assert ask.status_code == 200 and b"<html" not in ask.content
    assert "Check in MÜLLER, Jörg? The procedure record opens." in ask.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED  # asking moves nothing
    moved = client.post(url, {"status": "arrived", "next": "board"}, headers={"HX-Request": "true"})
    assert moved.status_code == 200 and b'id="board"' in moved.content
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.ARRIVED
    # A refused move (posted anyway, e.g. from a stale board) is said on the board.
    refused = client.post(
        url, {"status": "in_room", "next": "board"}, headers={"HX-Request": "true"}
    )
    assert guards.MSG_SIGN_IN in refused.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.ARRIVED
    # A move that is not offered now cannot be asked for.
    assert client.get(url, {"status": "discharged"}).status_code == 404
    refused = client.get(url, {"status": "in_room"})
    assert refused.status_code == 409 and guards.MSG_SIGN_IN in refused.content.decode()


def test_an_override_is_shown_on_the_board_and_the_procedure_page(
    client, attending, nurse, booking
):
    services.case_check_in(actor=nurse, booking_id=booking.pk)
    acknowledged(booking)
    login(client, attending)
    form = client.get(f"/procedures/bookings/{booking.pk}/override/sign_in/")
    assert form.status_code == 200 and guards.MSG_SIGN_IN in form.content.decode()
    empty = client.post(f"/procedures/bookings/{booking.pk}/override/sign_in/", {"reason": ""})
    assert empty.status_code == 422
    client.post(
        f"/procedures/bookings/{booking.pk}/override/sign_in/",
        {"reason": "Arrest in the department: straight to the suite."},
    )
    services.case_to_room(actor=nurse, booking_id=booking.pk)
    board = board_html(client)
    assert "Arrest in the department: straight to the suite." in board
    page = client.get(f"/procedures/bookings/{booking.pk}/").content.decode()
    assert "Emergency override" in page and "Arrest in the department" in page


def test_flags_from_the_modality_are_shown_and_reviewed(client, nurse, booking):
    services.case_modality_started(actor=SYSTEM, booking_id=booking.pk)
    login(client, nurse)
    assert "Modality started without a sign-in" in board_html(client)
    flag = booking.safety_flags.get(kind="no_sign_in")
    client.post(
        f"/procedures/bookings/{booking.pk}/flags/{flag.pk}/review/",
        {"note": "Emergency: sign-in done verbally, recorded after."},
    )
    flag.refresh_from_db()
    assert flag.reviewed_by == nurse and flag.review_note.startswith("Emergency")
    assert "Modality started without a sign-in" not in board_html(client).split("For review")[0]


def _queries(client, url: str) -> int:
    """Queries to draw the page, with the parts it loads in place (as a browser would)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, url
        for part in re.findall(r'hx-get="([^"]+)" hx-trigger="load"', response.content.decode()):
            assert client.get(part).status_code == 200, part
    return len(ctx.captured_queries)


def _ready_waiting(actor, nurse, count: int) -> None:
    """`count` patients checked in, readiness acknowledged and signed in, in one room."""
    room = a_room(f"W{count}")
    for index in range(count):
        start = today_at(7) + timedelta(minutes=15 * index)
        # Lymph-node biopsies, 15 minutes each (a quick-case slot, with its reason).
        booking = unassigned(
            actor, room, start, minutes=15, code="BX-LN", short_slot_reason="Packed list."
        )
        services.case_check_in(actor=nurse, booking_id=booking.pk)
        acknowledged(booking)
        checklist(nurse, booking, "sign_in")


@pytest.mark.parametrize("sizes", [(1, 10, 50)])
def test_the_board_costs_the_same_queries_for_1_10_or_50_bookings(client, attending, nurse, sizes):
    login(client, nurse)
    counts = []
    made = 0
    for size in sizes:
        _ready_waiting(attending, nurse, size - made)
        made = size
        assert Booking.objects.count() == size
        counts.append(_queries(client, "/scheduling/today/"))
    assert counts[0] == counts[1] == counts[2], counts


def _mixed(actor, nurse, copies: int, start_index: int) -> None:
    """Each copy in its own room: one booked, one checked in with the sign-in overridden, one
    completed (recovery), one in the room ready to complete, and one the modality started
    out of order (flagged)."""
    for copy in range(start_index, start_index + copies):
        room = a_room(f"M{copy}")
        _waiting, overridden, done, theatre, flagged = (
            unassigned(actor, room, today_at(hour)) for hour in (6, 8, 10, 12, 14)
        )
        services.case_check_in(actor=nurse, booking_id=overridden.pk)
        services.case_override(
            actor=actor, booking_id=overridden.pk, rule="sign_in", reason="Emergency."
        )
        completed(actor, done)
        ready_to_complete(actor, theatre)
        services.case_modality_started(actor=SYSTEM, booking_id=flagged.pk)


def test_a_mixed_board_costs_the_same_queries_for_2_or_6_rooms(client, attending, nurse):
    login(client, nurse)
    _mixed(attending, nurse, 2, 0)
    two = _queries(client, "/scheduling/today/")
    _mixed(attending, nurse, 4, 2)
    six = _queries(client, "/scheduling/today/")
    assert two == six


def test_the_procedure_booking_and_chart_pages_cost_the_same_queries_for_1_or_5_cases(
    client, attending, nurse, patient, room
):
    login(client, attending)
    first = booked(attending, patient, room, start=today_at(6))
    record = ready_to_complete(attending, first)
    urls = lambda b: [  # noqa: E731
        f"/procedures/bookings/{b.pk}/",
        f"/scheduling/bookings/{b.pk}/",
        f"/patients/{patient.pk}/",
    ]
    before = [_queries(client, url) for url in urls(first)]
    services.case_complete(actor=attending, procedure_id=record.pk)
    for hour in (8, 10, 12, 14):
        completed(attending, booked(attending, patient, room, start=today_at(hour)))
    last = booked(attending, patient, room, start=today_at(16))
    ready_to_complete(attending, last)
    after = [_queries(client, url) for url in urls(last)]
    assert after == before
