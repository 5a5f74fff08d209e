"""Input the API fuzz test found answering 500: now refused naming the field, nothing written."""

from __future__ import annotations

import json

import pytest

from irflow.scheduling.models import BookingStatus
from irflow.testing.fixtures import make_booking, make_order, next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_day_out_of_range_is_refused_naming_it(api_client, angio_room, day):
    # The day after 9999-12-31 overflowed.
    for url in ("/api/scheduling/bookings", f"/api/scheduling/rooms/{angio_room.code}/day"):
        response = api_client.get(url, {"day": day})
        assert response.status_code == 422, (url, response.content)
        assert response.json()["errors"] == {"day": ["Give a date between 1900 and 2199."]}


@pytest.mark.parametrize("note", ["late\x00", "late\ud800"])
def test_text_no_database_keeps_is_refused_before_the_cancellation(
    api_client, attending, patient, angio_room, note
):
    # PostgreSQL refused the NUL (in text and in JSON) with a 500; a lone surrogate encodes in
    # no database.
    booking = make_booking(
        attending, make_order(attending, patient), angio_room, next_weekday_at(9)
    )
    body = json.dumps({"reason": "abnormal_labs", "note": note})
    response = api_client.post(
        f"/api/scheduling/bookings/{booking.pk}/cancel", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["note"]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
