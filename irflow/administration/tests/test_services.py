"""The administrator's services: rooms and their closures (which scheduling respects), the
procedure catalogue, the department, urgency targets — refused to everyone else, every field
named when wrong, nothing half-written, every change in the history."""

from __future__ import annotations

import io
from datetime import time, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from irflow.accounts.roles import Role
from irflow.catalogue import services as catalogue
from irflow.catalogue.models import ProcedureType, Room, RoomClosure
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.orders.models import Priority
from irflow.readiness import logo
from irflow.readiness.policy import policy_settings
from irflow.readiness.services import department_update
from irflow.referrals import targets
from irflow.referrals.models import UrgencyTarget
from irflow.testing.fixtures import PERSONAS, make_booking, make_order, next_weekday_at

ROOM = {
    "code": "ANGIO2",
    "name": "Angio suite 2",
    "kind": "angio",
    "modality": "XA",
    "modalities": ["US"],
    "capabilities": ["biplane", "anaesthesia"],
    "station_ae_title": "ANGIO2",
    "opens_at": time(8, 0),
    "closes_at": time(18, 0),
    "open_weekdays": [1, 2, 3, 4, 5],
}
PROCEDURE = {
    "code": "TACE2",
    "name": "Chemoembolisation, second protocol",
    "category": "oncology",
    "modalities": ["XA"],
    "bleeding_risk": "low",
    "default_duration_min": 120,
}
NOT_ADMINS = [name for name, role in PERSONAS.items() if role != Role.ADMIN]


def history(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj))


def png(width: int = 40, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 60, 120)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("name", NOT_ADMINS)
def test_only_administrators_change_reference_data(personas, name, angio_room):
    actor = personas[name]
    with pytest.raises(Forbidden):
        catalogue.room_save(actor=actor, room_id=None, **ROOM)
    with pytest.raises(Forbidden):
        catalogue.room_closure_add(
            actor=actor,
            room_id=angio_room.pk,
            starts_at=next_weekday_at(8),
            ends_at=next_weekday_at(12),
            reason="Service",
        )
    with pytest.raises(Forbidden):
        catalogue.procedure_type_save(actor=actor, procedure_id=None, **PROCEDURE)
    with pytest.raises(Forbidden):
        department_update(actor=actor, letterhead={"hospital_name": "X"})
    with pytest.raises(Forbidden):
        targets.urgency_targets_set(actor=actor, targets={"urgent": (12, 48)})
    assert not Room.objects.filter(code="ANGIO2").exists()
    assert not ProcedureType.objects.filter(code="TACE2").exists()


def test_a_room_is_created_and_changed_with_its_history(personas):
    admin = personas["admin"]
    room = catalogue.room_save(actor=admin, room_id=None, **ROOM)
    assert room.offered_modalities == ["XA", "US"]
    changed = catalogue.room_save(
        actor=admin, room_id=room.pk, **{**ROOM, "closes_at": time(20, 0), "open_weekdays": [6]}
    )
    assert changed.closes_at == time(20, 0) and changed.open_weekdays == [6]
    entries = history(room)
    assert len(entries) == 2 and all(e.actor == admin for e in entries)


def test_a_wrong_room_names_every_wrong_field_and_writes_nothing(personas, angio_room):
    with pytest.raises(ValidationFailed) as caught:
        catalogue.room_save(
            actor=personas["admin"],
            room_id=None,
            **{
                **ROOM,
                "code": "angio1",  # taken (case does not matter)
                "kind": "garage",
                "capabilities": ["teleport"],
                "station_ae_title": "ANGIO1",  # taken by angio_room
                "opens_at": time(18, 0),
                "closes_at": time(8, 0),
                "open_weekdays": [],
            },
        )
    errors = caught.value.errors
    assert errors["code"] == [catalogue.MSG_CODE_TAKEN.format(code="angio1")]
    assert errors["station_ae_title"] == [catalogue.MSG_AE_TAKEN.format(ae="ANGIO1")]
    assert errors["closes_at"] == [catalogue.MSG_HOURS]
    assert errors["open_weekdays"] == [catalogue.MSG_WEEKDAYS]
    assert {"kind", "capabilities"} <= set(errors)
    assert Room.objects.count() == 1


def test_a_closure_refuses_bookings_even_emergencies(personas, patient, angio_room):
    admin, attending = personas["admin"], personas["attending"]
    start = next_weekday_at(9)
    closure = catalogue.room_closure_add(
        actor=admin,
        room_id=angio_room.pk,
        starts_at=start - timedelta(hours=1),
        ends_at=start + timedelta(hours=3),
        reason="Tube replacement",
    )
    assert history(closure)[0].actor == admin
    for priority in (Priority.ROUTINE, Priority.EMERGENT):
        order = make_order(attending, patient, code="PICC", priority=priority)
        with pytest.raises(ValidationFailed) as caught:
            make_booking(attending, order, angio_room, start)
        (message,) = caught.value.errors["start"]
        assert "Tube replacement" in message and message.startswith("Angio suite 1 is closed")
    # Reopened: the same slot can be booked.
    catalogue.room_closure_remove(actor=admin, closure_id=closure.pk)
    order = make_order(attending, patient, code="PICC")
    assert make_booking(attending, order, angio_room, start).room == angio_room
    assert not RoomClosure.objects.exists()


def test_a_closure_outside_the_slot_does_not_refuse_it(personas, patient, angio_room):
    start = next_weekday_at(9)
    catalogue.room_closure_add(
        actor=personas["admin"],
        room_id=angio_room.pk,
        starts_at=start + timedelta(hours=2),  # the 45-minute PICC ends before
        ends_at=start + timedelta(hours=4),
        reason="Afternoon service",
    )
    order = make_order(personas["attending"], patient, code="PICC")
    assert make_booking(personas["attending"], order, angio_room, start).pk


def test_a_wrong_closure_is_refused_by_field(personas, angio_room):
    start = next_weekday_at(9)
    with pytest.raises(ValidationFailed) as caught:
        catalogue.room_closure_add(
            actor=personas["admin"],
            room_id=angio_room.pk,
            starts_at=start,
            ends_at=start - timedelta(hours=1),
            reason="  ",
        )
    assert caught.value.errors == {
        "ends_at": [catalogue.MSG_CLOSURE_ORDER],
        "reason": [catalogue.MSG_CLOSURE_REASON],
    }
    assert not RoomClosure.objects.exists()


def test_a_procedure_is_created_with_its_structured_fields(personas):
    admin = personas["admin"]
    procedure = catalogue.procedure_type_save(
        actor=admin,
        procedure_id=None,
        **PROCEDURE,
        needs=["anaesthesia"],
        follow_up_rules=[{"kind": "imaging", "after_days": 30, "description": "CT liver"}],
        report_template={"sections": [{"key": "findings", "label": "Findings"}]},
        completion_requires=["technical_success", "contrast"],
    )
    assert procedure.follow_up_rules[0]["after_days"] == 30
    assert procedure.needs == ["anaesthesia"]
    assert history(procedure)[0].actor == admin


def test_a_wrong_procedure_names_every_wrong_field(personas):
    with pytest.raises(ValidationFailed) as caught:
        catalogue.procedure_type_save(
            actor=personas["admin"],
            procedure_id=None,
            **{**PROCEDURE, "code": "PICC", "modalities": [], "default_duration_min": 2},
            needs=["teleport"],
            follow_up_rules=[{"kind": "clinic", "after_days": -1, "description": "x"}],
            report_template={"sections": "findings"},
            completion_requires=["a smile"],
            device_defaults={"places": "stent"},
        )
    errors = caught.value.errors
    assert errors["code"] == [catalogue.MSG_CODE_TAKEN.format(code="PICC")]
    assert errors["modalities"] == [catalogue.MSG_MODALITIES]
    assert errors["default_duration_min"] == [catalogue.MSG_DURATION]
    assert errors["follow_up_rules"] == [
        catalogue.MSG_FOLLOW_UP.format(n=1, problem=catalogue.MSG_FOLLOW_UP_SHAPE)
    ]
    assert errors["report_template"] == [catalogue.MSG_TEMPLATE_SHAPE]
    assert errors["device_defaults"] == [catalogue.MSG_DEVICE_DEFAULTS]
    assert {"needs", "completion_requires"} <= set(errors)
    assert not ProcedureType.objects.filter(name=PROCEDURE["name"]).exists()


def test_the_catalogue_knows_what_completion_can_require():
    from irflow.dayofcase.guards import REQUIREMENTS

    assert set(catalogue.COMPLETION_REQUIREMENTS) == set(REQUIREMENTS)


def test_the_department_is_the_letterhead_and_its_logo(personas):
    admin = personas["admin"]
    row = department_update(
        actor=admin,
        letterhead={"hospital_name": "St Elsewhere", "out_of_hours_phone": "0100 999"},
        logo=SimpleUploadedFile("logo.png", png(), content_type="image/png"),
    )
    assert policy_settings().hospital_name == "St Elsewhere"
    assert logo.logo_data_uri(row).startswith("data:image/png;base64,")
    entry = history(row)[0]  # the newest
    assert entry.actor == admin and "logo_sha256" in entry.changes_dict
    assert "logo" not in entry.changes_dict  # the image is left out of the history


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not an image", logo.MSG_LOGO_TYPE),
        (b"GIF89a" + b"\0" * 20, logo.MSG_LOGO_TYPE),
        (png(4100, 10), logo.MSG_LOGO_DIMENSIONS),
        (b"\x89PNG" + b"\0" * (logo.MAX_LOGO_BYTES + 1), logo.MSG_LOGO_SIZE),
    ],
)
def test_a_logo_that_is_no_small_png_or_jpeg_is_refused(personas, content, message):
    with pytest.raises(ValidationFailed) as caught:
        department_update(
            actor=personas["admin"],
            letterhead={"hospital_name": "St Elsewhere"},
            logo=SimpleUploadedFile("logo.png", content, content_type="image/png"),
        )
    assert caught.value.errors == {"logo": [message]}
    assert policy_settings().hospital_name == ""  # nothing written


def test_urgency_targets_are_set_all_or_nothing(personas):
    admin = personas["admin"]
    before = {t.urgency: t.procedure_within_hours for t in UrgencyTarget.objects.all()}
    with pytest.raises(ValidationFailed) as caught:
        targets.urgency_targets_set(
            actor=admin, targets={"emergent": (1, 6), "urgent": (48, 24), "routine": (0, 100)}
        )
    assert caught.value.errors == {
        "urgent.procedure_within_hours": [targets.MSG_ORDER],
        "routine.triage_within_hours": [targets.MSG_HOURS],
    }
    assert {t.urgency: t.procedure_within_hours for t in UrgencyTarget.objects.all()} == before
    targets.urgency_targets_set(actor=admin, targets={"emergent": (1, 6), "urgent": (12, 48)})
    urgent = UrgencyTarget.objects.get(urgency="urgent")
    assert (urgent.triage_within_hours, urgent.procedure_within_hours) == (12, 48)
    assert history(urgent)[0].actor == admin
