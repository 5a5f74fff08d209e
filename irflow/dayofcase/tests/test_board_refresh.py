"""The Today board is cheap to keep open: its refresh (and the board API) is answered 304
while nothing it shows has changed, a new tag follows every kind of change, and the board,
its refresh, the board API and the schedule's day and week cost the same queries for 6 or
30 bookings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from irflow.audit.models import AccessLog
from irflow.catalogue.models import Room
from irflow.checklists.services import safety_flag_raise
from irflow.dayofcase import services, versions
from irflow.patients.services import lab_result_record, patient_create, patient_update
from irflow.scheduling.services import booking_reschedule
from irflow.testing.cases import acknowledged, checklist, in_room
from irflow.testing.fixtures import login

from .conftest import today_at
from .test_pages import a_room, unassigned

pytestmark = pytest.mark.django_db

FRAGMENT = {"HTTP_HX_REQUEST": "true", "HTTP_X_IRFLOW_BACKGROUND": "1"}
# Ceilings (the test client's own session and user queries included).
MAX_QUERIES = {"board": 40, "fragment": 30, "api": 32, "day": 16, "week": 16, "unchanged": 8}


def _count(client, url: str, **headers) -> tuple[int, int]:
    """(queries, status) of one GET; the log is emptied first (it keeps the last 9,000)."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code in (200, 304), (url, response.status_code)
    return len(ctx.captured_queries), response.status_code


def _bookings(actor, nurse, rooms, count: int, first: int) -> None:
    """`count` bookings today spread over `rooms`; of the first six, some checked in and some
    signed in (the rest booked)."""
    for index in range(first, first + count):
        room = rooms[index % len(rooms)]
        start = today_at(6) + timedelta(minutes=20 * (index // len(rooms)))
        booking = unassigned(
            actor, room, start, minutes=15, code="BX-LN", short_slot_reason="Packed list."
        )
        if index >= 6:
            continue
        if index % 3 == 1:
            services.case_check_in(actor=nurse, booking_id=booking.pk)
        elif index % 3 == 2:
            services.case_check_in(actor=nurse, booking_id=booking.pk)
            acknowledged(booking)
            checklist(nurse, booking, "sign_in")


def _all_counts(client, api_token: str, room_code: str) -> dict[str, int]:
    client.get("/api/scheduling/board", HTTP_AUTHORIZATION=api_token)  # the token's first use
    board, _ = _count(client, "/scheduling/today/")
    fragment, _ = _count(client, "/scheduling/today/", **FRAGMENT)
    tag = client.get("/scheduling/today/", **FRAGMENT)["ETag"]
    unchanged, status = _count(client, "/scheduling/today/", HTTP_IF_NONE_MATCH=tag, **FRAGMENT)
    assert status == 304
    day, _ = _count(client, f"/scheduling/rooms/{room_code}/day/")
    week, _ = _count(client, f"/scheduling/rooms/{room_code}/week/")
    api, _ = _count(client, "/api/scheduling/board", HTTP_AUTHORIZATION=api_token)
    return {
        "board": board,
        "fragment": fragment,
        "unchanged": unchanged,
        "day": day,
        "week": week,
        "api": api,
    }


def test_the_board_its_refresh_its_api_and_the_schedule_cost_the_same_for_6_or_30(
    client, attending, nurse, api_client
):
    token = client.defaults.pop("HTTP_AUTHORIZATION")
    login(client, nurse)
    rooms = [a_room(f"Q{i}") for i in range(3)]
    _bookings(attending, nurse, rooms, 6, 0)
    three = _all_counts(client, token, rooms[0].code)
    _bookings(attending, nurse, rooms, 24, 6)
    thirty = _all_counts(client, token, rooms[0].code)
    assert thirty == three
    assert {page: min(three[page], most) for page, most in MAX_QUERIES.items()} == three


@pytest.fixture
def board(client, attending, nurse, room, booking, django_capture_on_commit_callbacks):
    """The nurse's client looking at today's board (one booking), and a way to change things
    as the service would (the change marks are written on commit)."""
    login(client, nurse)

    def change(make, *args, **kwargs):
        versions.forget_pending()
        with django_capture_on_commit_callbacks(execute=True):
            return make(*args, **kwargs)

    return change


def _board_reads() -> int:
    return AccessLog.objects.filter(what__startswith="department board").count()


def _refresh(client, tag: str = ""):
    headers = {"HTTP_IF_NONE_MATCH": tag} if tag else {}
    return client.get("/scheduling/today/", **FRAGMENT, **headers)


def test_an_unchanged_board_is_answered_304_without_a_body_or_a_log_row(
    client, board, booking, attending
):
    first = _refresh(client)
    assert first.status_code == 200
    tag = first["ETag"]
    assert f'data-etag="{tag.replace(chr(34), "&quot;")}"' in first.content.decode()
    logged = _board_reads()
    again = _refresh(client, tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == tag
    assert _board_reads() == logged
    # A refresh that draws the board again logs whom it shows.
    board(
        lab_result_record,
        actor=attending,
        patient_id=booking.patient_id,
        analyte="inr",
        value="1.1",
        collected_at=timezone.now(),
    )
    assert _refresh(client, tag).status_code == 200
    assert _board_reads() == logged + 1


def test_the_board_api_answers_304_while_unchanged(api_client, booking, board, attending):
    first = api_client.get("/api/scheduling/board")
    assert first.status_code == 200
    tag = first["ETag"]
    again = api_client.get("/api/scheduling/board", HTTP_IF_NONE_MATCH=tag)
    assert (again.status_code, again.content) == (304, b"")
    board(services.case_check_in, actor=attending, booking_id=booking.pk)
    after = api_client.get("/api/scheduling/board", HTTP_IF_NONE_MATCH=tag)
    assert after.status_code == 200
    assert after["ETag"] != tag
    (row,) = [b for r in after.json() for b in r["bookings"] if b["id"] == booking.pk]
    assert row["status"] == "arrived"


def _moved(attending, booking):
    # Two hours later the same day, whatever the hour the suite runs at (in the past after
    # 11:00: said so, as a late entry would be).
    return booking_reschedule(
        actor=attending,
        booking_id=booking.pk,
        start=booking.start + timedelta(hours=2),
        retrospective_reason="Moved after the fact",
    )


CHANGES = {
    "checked in": lambda a, n, b: services.case_check_in(actor=n, booking_id=b.pk),
    "moved": lambda a, n, b: _moved(a, b),
    "readiness: a lab": lambda a, n, b: lab_result_record(
        actor=a, patient_id=b.patient_id, analyte="inr", value="1.1", collected_at=timezone.now()
    ),
    "readiness: acknowledged": lambda a, n, b: acknowledged(b),
    "into the room, the record started": lambda a, n, b: in_room(n, b),
    "a flag from the modality": lambda a, n, b: safety_flag_raise(
        booking_id=b.pk, kind="no_sign_in", detail="Test."
    ),
    "the patient renamed": lambda a, n, b: patient_update(
        actor=a, patient_id=b.patient_id, family_name="Renamed"
    ),
    "the room renamed": lambda a, n, b: _renamed(b.room_id),
}


def _renamed(room_id: int) -> None:
    room = Room.objects.get(pk=room_id)
    room.name = "Angio suite one"
    room.save()


@pytest.mark.parametrize("kind", list(CHANGES))
def test_every_kind_of_change_gives_a_new_tag(client, board, attending, nurse, booking, kind):
    tag = _refresh(client)["ETag"]
    assert _refresh(client, tag).status_code == 304
    board(CHANGES[kind], attending, nurse, booking)
    after = _refresh(client, tag)
    assert after.status_code == 200, kind
    assert after["ETag"] != tag
    assert _refresh(client, after["ETag"]).status_code == 304


def test_a_change_on_another_day_leaves_todays_board_alone(client, board, attending, room):
    tag = _refresh(client)["ETag"]
    tomorrow = unassigned(attending, room, today_at(9) + timedelta(days=1))
    board(services.case_check_in, actor=attending, booking_id=tomorrow.pk)
    assert _refresh(client, tag).status_code == 304


def test_a_tag_expires_when_readiness_can_change_with_the_clock(client, board):
    tag = _refresh(client)["ETag"]
    base, until = re.fullmatch(r'"(\w+)\.(\d+)"', tag).groups()  # type: ignore[union-attr]
    now = timezone.now()
    assert int(until) <= (now + versions.MAX_AGE).timestamp() + 1
    assert versions.holds(tag, base, now=now)
    later = now + versions.MAX_AGE + timedelta(seconds=1)
    assert not versions.holds(tag, base, now=later)
    waiting = timezone.now() + timedelta(minutes=1)
    soon = versions.tag_for(base, drawn_at=now, expires=[None, waiting])
    assert soon.until == waiting


def test_another_reader_or_another_kind_of_answer_is_not_answered_304(client, board, attending):
    tag = _refresh(client)["ETag"]
    login(client, attending)
    assert _refresh(client, tag).status_code == 200
    page = client.get("/scheduling/today/", HTTP_IF_NONE_MATCH=tag)
    assert page.status_code == 200


def test_a_patient_registered_marks_no_board_and_costs_no_board_query(client, board, attending):
    """A new patient (an HL7 registration, say) is on no board until booked: nothing to mark,
    and no query to find the bookings it cannot have yet."""
    tag = _refresh(client)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        board(
            patient_create,
            actor=attending,
            mrn="NEW-1",
            family_name="New",
            given_name="Patient",
            birth_date=timezone.localdate() - timedelta(days=20000),
            sex="F",
        )
    assert not [q for q in queries if "scheduling_booking" in q["sql"]]
    assert _refresh(client, tag).status_code == 304
