"""A booking fits or is refused naming what is missing: the room's modalities and
capabilities, the slot's length on both sides of the usual and the shortest duration, a start
in the past (a retrospective entry, with its reason) — in the pure rule, the service, the API
and the booking page."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from irflow.catalogue.models import ProcedureType, Room
from irflow.lib.errors import ValidationFailed
from irflow.scheduling import fit, services
from irflow.scheduling.selectors import room_fit
from irflow.testing.fixtures import login, make_order, next_weekday_at

ANGIO = fit.RoomOffer("Angio 1", frozenset({"XA"}), frozenset({"anaesthesia"}))
BIPLANE = fit.RoomOffer("Angio 2", frozenset({"XA", "US"}), frozenset({"biplane", "anaesthesia"}))
ULTRASOUND = fit.RoomOffer("US room", frozenset({"US"}), frozenset())
CT = fit.RoomOffer("CT room", frozenset({"CT"}), frozenset())
TACE = fit.ProcedureNeeds("TACE", ("XA",), frozenset(), usual_min=120, shortest_min=60)
COILING = fit.ProcedureNeeds(
    "Coiling", ("XA",), frozenset({"biplane", "anaesthesia"}), usual_min=180, shortest_min=90
)
LIVER_BIOPSY = fit.ProcedureNeeds("Liver biopsy", ("US", "CT"), frozenset(), 45, 23)


@pytest.mark.parametrize(
    ("room", "procedure", "portable", "said"),
    [
        (ANGIO, TACE, (), []),
        (ULTRASOUND, TACE, (), ["US room has no angiography (TACE is done under angiography)."]),
        (ULTRASOUND, TACE, ("US",), ["US room has no angiography"]),  # portable US: still no XA
        (CT, LIVER_BIOPSY, (), []),
        (ANGIO, LIVER_BIOPSY, (), ["Angio 1 has no ultrasound or CT"]),
        (ANGIO, LIVER_BIOPSY, ("US",), []),  # the portable probe
        (BIPLANE, COILING, (), []),
        (ANGIO, COILING, (), ["Angio 1 lacks biplane angiography, which Coiling needs."]),
        (
            CT,
            COILING,
            (),
            [
                "CT room has no angiography",
                "CT room lacks anaesthesia support and biplane angiography, which Coiling needs.",
            ],
        ),
    ],
)
def test_a_room_fits_or_says_what_it_lacks(room, procedure, portable, said):
    got = fit.room_misfit(room, procedure, portable)
    assert len(got) == len(said)
    for message, words in zip(got, said, strict=True):
        assert words in message


@pytest.mark.parametrize(
    ("minutes", "reason", "refusal"),
    [
        (240, "", None),
        (120, "", None),  # the usual duration
        (119, "", fit.MSG_SHORT_NEEDS_REASON),  # just below: a reason is needed
        (119, "Single segment, small tumour.", None),
        (60, "Single segment, small tumour.", None),  # the shortest slot
        (59, "Single segment, small tumour.", fit.MSG_TOO_SHORT),  # below it: never
        (45, "Quick.", fit.MSG_TOO_SHORT),
        (90, "   ", fit.MSG_SHORT_NEEDS_REASON),  # blank is no reason
    ],
)
def test_a_short_slot_needs_a_reason_and_never_goes_below_the_shortest(minutes, reason, refusal):
    got = fit.duration_refusal(TACE, minutes, reason)
    if refusal is None:
        assert got is None
    else:
        assert got == refusal.format(minutes=minutes, procedure="TACE", usual=120, shortest=60)


CAPABILITIES = st.frozensets(st.sampled_from(["biplane", "anaesthesia", "cone_beam_ct"]))
MODALITIES = st.frozensets(st.sampled_from(["XA", "CT", "US", "MR", "RF"]))


@given(
    usual=st.integers(5, 720),
    minutes=st.integers(5, 720),
    more=st.integers(0, 200),
    reason=st.sampled_from(["", "Quick case."]),
)
def test_a_longer_slot_is_never_refused_where_a_shorter_one_is_booked(usual, minutes, more, reason):
    procedure = fit.ProcedureNeeds("P", ("XA",), frozenset(), usual, max(5, -(-usual // 2)))
    if fit.duration_refusal(procedure, minutes, reason) is None:
        assert fit.duration_refusal(procedure, minutes + more, reason) is None
    assert fit.duration_refusal(procedure, max(minutes, usual), "") is None


@given(
    offered=MODALITIES,
    capabilities=CAPABILITIES,
    extra=CAPABILITIES,
    wanted=MODALITIES,
    needs=CAPABILITIES,
)
def test_a_room_that_offers_more_never_fits_worse(offered, capabilities, extra, wanted, needs):
    procedure = fit.ProcedureNeeds("P", tuple(sorted(wanted)), needs, 60, 30)
    room = fit.RoomOffer("R", offered, capabilities)
    richer = fit.RoomOffer("R", offered | {"US"}, capabilities | extra)
    assert len(fit.room_misfit(richer, procedure)) <= len(fit.room_misfit(room, procedure))
    if not fit.room_misfit(room, procedure):
        assert (set(wanted) & offered or not wanted) and needs <= capabilities


NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.get_fixed_timezone(0))


@pytest.mark.parametrize(
    ("start", "retrospective"),
    [
        (NOW - timedelta(days=3), True),
        (NOW - timedelta(minutes=31), True),
        (NOW - timedelta(minutes=30), False),  # within the grace: entered as it starts
        (NOW, False),
        (NOW + timedelta(days=1), False),
    ],
)
def test_a_start_past_the_grace_is_a_retrospective_entry(start, retrospective):
    assert fit.is_retrospective(start, NOW, grace_min=30) is retrospective


def test_the_catalogue_says_what_tace_needs_and_its_shortest_slot(db):
    tace = ProcedureType.objects.get(code="TACE")
    assert (tace.default_duration_min, tace.shortest_min, tace.needs) == (120, 60, [])
    coiling = ProcedureType.objects.get(code="COIL-IA")
    assert sorted(coiling.needs) == ["anaesthesia", "biplane"]


# ------------------------------------------------------------------ through the service


@pytest.fixture
def rooms(db):
    def room(code, modality, kind, others=(), capabilities=()):
        return Room.objects.create(
            code=code,
            name=code,
            kind=kind,
            modality=modality,
            modalities=list(others),
            capabilities=list(capabilities),
            open_weekdays=[*range(1, 8)],
            opens_at=time(7, 0),
            closes_at=time(20, 0),
        )

    return {
        "angio": room("ANG", "XA", "angio", ["US"], ["anaesthesia"]),
        "us": room("USR", "US", "us"),
    }


def _book(personas, patient, room, start, **kwargs):
    order = make_order(personas["attending"], patient, "TACE")
    return services.booking_create(
        actor=personas["scheduler"], order_id=order.pk, room=room, start=start, **kwargs
    )


@pytest.mark.django_db
def test_a_tace_in_the_ultrasound_room_for_45_minutes_is_refused_naming_both(
    personas, patient, rooms
):
    with pytest.raises(ValidationFailed) as exc:
        _book(personas, patient, rooms["us"], next_weekday_at(9), duration_min=45)
    errors = exc.value.errors
    assert "USR has no angiography" in errors["room"][0]
    assert "45 min is too short for Transarterial chemoembolisation" in errors["duration_min"][0]
    booking = _book(personas, patient, rooms["angio"], next_weekday_at(9))
    assert booking.duration_min == 120 and not booking.short_slot_reason


@pytest.mark.django_db
def test_a_short_slot_is_booked_with_its_reason_kept(personas, patient, rooms):
    with pytest.raises(ValidationFailed) as exc:
        _book(personas, patient, rooms["angio"], next_weekday_at(9), duration_min=90)
    assert "say why this case will be quick" in exc.value.errors["short_slot_reason"][0]
    booking = _book(
        personas,
        patient,
        rooms["angio"],
        next_weekday_at(9),
        duration_min=60,
        short_slot_reason="Single small lesion, selective only.",
    )
    assert booking.short_slot_reason == "Single small lesion, selective only."


@pytest.mark.django_db
def test_a_booking_three_days_ago_needs_a_reason_and_is_marked(personas, patient, rooms):
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    start -= timedelta(days=3)
    with pytest.raises(ValidationFailed) as exc:
        _book(personas, patient, rooms["angio"], start)
    assert "starts in the past" in exc.value.errors["retrospective_reason"][0]
    booking = _book(
        personas,
        patient,
        rooms["angio"],
        start,
        retrospective_reason="Emergency out of hours; booked after the case.",
    )
    assert booking.retrospective
    ahead = _book(personas, patient, rooms["angio"], next_weekday_at(9), retrospective_reason="x")
    assert not ahead.retrospective  # a reason that does not apply is not kept


@pytest.mark.django_db
def test_moving_a_booking_holds_the_same_rules(personas, patient, rooms):
    booking = _book(personas, patient, rooms["angio"], next_weekday_at(9))
    with pytest.raises(ValidationFailed) as exc:
        services.booking_reschedule(
            actor=personas["scheduler"],
            booking_id=booking.pk,
            start=next_weekday_at(13),
            room=rooms["us"],
            reason="equipment",
        )
    assert "room" in exc.value.errors


@pytest.mark.django_db
def test_the_api_refuses_a_room_that_does_not_fit(api_client, personas, patient, rooms):
    order = make_order(personas["attending"], patient, "TACE")
    body = {
        "order_id": order.pk,
        "room_code": "USR",
        "start": next_weekday_at(9).isoformat(),
        "duration_min": 45,
    }
    response = api_client.post(
        "/api/scheduling/bookings", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"room", "duration_min"}
    body.update(room_code="ANG", duration_min=60, short_slot_reason="Small single lesion.")
    response = api_client.post(
        "/api/scheduling/bookings", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["short_slot_reason"] == "Small single lesion."


@pytest.mark.django_db
def test_the_booking_form_offers_only_rooms_that_fit_and_says_why_not(
    client, personas, patient, rooms
):
    order = make_order(personas["attending"], patient, "TACE")
    fitting, unfit = room_fit(order.procedure_type)
    assert rooms["angio"] in fitting and rooms["us"] in [r for r, _ in unfit]
    login(client, personas["scheduler"])
    page = client.get(f"/scheduling/book/{order.pk}/").content.decode()
    assert ">ANG</option>" in page and ">USR</option>" not in page
    assert "USR has no angiography" in page
    start = timezone.localtime() - timedelta(days=3)
    refused = client.post(
        f"/scheduling/book/{order.pk}/",
        {"room": rooms["angio"].pk, "start": start.strftime("%Y-%m-%dT09:00"), "duration_min": 120},
    )
    assert refused.status_code == 422 and "starts in the past" in refused.content.decode()


@pytest.mark.django_db
def test_an_admin_cannot_give_a_room_or_procedure_an_unknown_capability():
    room = Room(code="X", name="X", kind="angio", modality="XA", modalities=["XR"])
    room.capabilities = ["biplane", "laser"]
    with pytest.raises(ValidationError) as exc:
        room.clean()
    assert set(exc.value.message_dict) == {"modalities", "capabilities"}
    assert "“laser” is not a capability" in exc.value.message_dict["capabilities"][0]
    tace = ProcedureType.objects.get(code="TACE")
    tace.needs = ["anaesthesia"]
    tace.clean()
    tace.needs = ["hybrid"]
    with pytest.raises(ValidationError):
        tace.clean()
