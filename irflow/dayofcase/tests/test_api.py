"""The same walks around the rules, through the REST API: 409 naming each rule that refused
(`rules`) with the fields it concerns, 422 for what the record itself lacks; an override
through the API lets the move through and is shown in the case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from irflow.dayofcase import guards
from irflow.patients.services import patient_create
from irflow.scheduling.models import Booking, BookingStatus
from irflow.testing.cases import acknowledged, booked, checklist, in_room, ready_to_complete

from .conftest import today_at

pytestmark = pytest.mark.django_db


def status(api_client, booking, to: str):
    return api_client.post(
        f"/api/scheduling/bookings/{booking.pk}/status",
        {"status": to},
        content_type="application/json",
    )


def test_in_room_from_booked_is_409_naming_the_rules(api_client, booking):
    response = status(api_client, booking, "in_room")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "rule_refused"
    assert body["rules"] == {"checked_in": guards.MSG_CHECK_IN, "sign_in": guards.MSG_SIGN_IN}
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_a_second_patient_into_an_occupied_room_is_409_naming_who_is_there(
    api_client, attending, nurse, patient, room, booking
):
    in_room(nurse, booking)
    other = patient_create(
        actor=attending,
        mrn="T0000009",
        family_name="Second",
        given_name="Sam",
        birth_date="1970-01-01",
        sex="M",
    )
    second = booked(attending, other, room, start=today_at(12))
    assert status(api_client, second, "arrived").status_code == 200
    acknowledged(second)
    checklist(nurse, second, "sign_in")
    response = status(api_client, second, "in_room")
    assert response.status_code == 409
    assert "MÜLLER, Jörg (T0000001) is in the room" in response.json()["rules"]["room_free"]


def test_the_start_without_time_out_and_completion_without_sign_out(api_client, nurse, booking):
    record = in_room(nurse, booking)
    started = api_client.patch(
        f"/api/procedures/{record.pk}",
        {
            "group": "times",
            "values": {"started_at": (booking.start + timedelta(minutes=5)).isoformat()},
        },
        content_type="application/json",
    )
    assert started.status_code == 409
    assert started.json()["rules"] == {"time_out": guards.MSG_TIME_OUT}
    assert started.json()["errors"] == {"started_at": [guards.MSG_TIME_OUT]}
    done = api_client.post(f"/api/procedures/{record.pk}/complete")
    assert done.status_code == 409
    body = done.json()
    assert set(body["rules"]) == {"sign_out", "access_site", "required_record"}
    assert body["errors"]["access_sites"] == [guards.MSG_ACCESS_SITE]


def test_a_record_that_only_lacks_its_times_is_422(api_client, attending, booking):
    record = ready_to_complete(attending, booking)
    record.out_at = None
    record.save(update_fields=["out_at"])
    response = api_client.post(f"/api/procedures/{record.pk}/complete")
    assert response.status_code == 422
    assert "time out of room" in response.json()["errors"]["times"][0]


def test_an_override_through_the_api_is_kept_and_lets_the_move_through(api_client, nurse, booking):
    assert status(api_client, booking, "arrived").status_code == 200
    acknowledged(booking)
    refused = api_client.post(
        f"/api/day/bookings/{booking.pk}/overrides/sign_in", {}, content_type="application/json"
    )
    assert refused.status_code == 422 and "reason" in refused.json()["errors"]
    made = api_client.post(
        f"/api/day/bookings/{booking.pk}/overrides/sign_in",
        {"reason": "Massive haemoptysis: embolisation now."},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["rule"] == "sign_in"
    case = api_client.get(f"/api/day/bookings/{booking.pk}").json()
    (in_room_verdict,) = [v for v in case["verdicts"] if v["move"] == "in_room"]
    assert in_room_verdict["allowed"]
    (override,) = in_room_verdict["refusals"]
    assert override["overridden"] and override["override_reason"].startswith("Massive")
    assert status(api_client, booking, "in_room").status_code == 200
    unknown = api_client.post(
        f"/api/day/bookings/{booking.pk}/overrides/no_such_rule",
        {"reason": "x"},
        content_type="application/json",
    )
    assert unknown.status_code == 422


def test_discharge_is_not_a_status_move(api_client, booking):
    response = status(api_client, booking, "discharged")
    assert response.status_code == 409 and response.json()["code"] == "discharge_on_recovery"


def test_the_rules_are_published(api_client):
    rules = api_client.get("/api/day/rules").json()
    assert [r["code"] for r in rules] == [r.code for r in guards.RULES]
