"""Each rule of the day of the case, through the services every entry point calls: what it
refuses, in words that name it; what lets the patient go on; the emergency override."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry

from irflow.accounts.actors import SYSTEM
from irflow.checklists.models import SafetyOverride
from irflow.dayofcase import guards, services
from irflow.dayofcase.guards import Move
from irflow.lib.errors import Conflict, Forbidden, Refused, ValidationFailed
from irflow.orders.models import OrderStatus
from irflow.patients.services import lab_result_record, patient_create
from irflow.procedures.models import RecordStatus
from irflow.scheduling.models import BookingStatus
from irflow.testing.cases import (
    acknowledged,
    booked,
    checklist,
    documented,
    in_room,
    ready_to_complete,
)

from .conftest import today_at

pytestmark = pytest.mark.django_db


def test_in_room_from_booked_needs_check_in_and_sign_in(nurse, booking):
    with pytest.raises(Refused) as exc:
        services.case_to_room(actor=nurse, booking_id=booking.pk)
    assert exc.value.rules == {
        "checked_in": guards.MSG_CHECK_IN,
        "sign_in": guards.MSG_SIGN_IN,
    }
    assert exc.value.as_dict()["code"] == "rule_refused"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


def test_in_room_after_check_in_needs_the_sign_in(nurse, booking):
    services.case_check_in(actor=nurse, booking_id=booking.pk)
    acknowledged(booking)
    with pytest.raises(Refused) as exc:
        services.case_to_room(actor=nurse, booking_id=booking.pk)
    assert list(exc.value.rules) == ["sign_in"]
    checklist(nurse, booking, "sign_in")
    services.case_to_room(actor=nurse, booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.IN_ROOM
    assert booking.order.status == OrderStatus.IN_PROGRESS
    assert booking.procedure_record.in_room_at is not None  # the time in room is recorded


def test_one_patient_in_a_room_at_a_time(attending, nurse, patient, room):
    first = booked(attending, patient, room, start=today_at(9))
    in_room(nurse, first)
    other = patient_create(
        actor=attending,
        mrn="T0000002",
        family_name="Okafor",
        given_name="Ada",
        birth_date="1961-02-03",
        sex="F",
    )
    second = booked(attending, other, room, start=today_at(11))
    services.case_check_in(actor=nurse, booking_id=second.pk)
    acknowledged(second)
    checklist(nurse, second, "sign_in")
    with pytest.raises(Refused) as exc:
        services.case_to_room(actor=nurse, booking_id=second.pk)
    assert exc.value.rules == {
        "room_free": guards.MSG_ROOM_TAKEN.format(
            room="Angio suite 1", patient="MÜLLER, Jörg (T0000001)"
        )
    }
    # Once the first patient's procedure is completed, the room is free.
    record = ready_to_complete(attending, first)
    services.case_complete(actor=attending, procedure_id=record.pk)
    services.case_to_room(actor=nurse, booking_id=second.pk)


def _high_inr(actor, patient, booking):
    """A liver biopsy (high bleeding risk) with an INR of 2.9: action needed."""
    for analyte, value in (("inr", "2.9"), ("platelets", "210"), ("haemoglobin", "128")):
        lab_result_record(
            actor=actor,
            patient_id=patient.pk,
            analyte=analyte,
            value=value,
            collected_at=booking.start - timedelta(days=1),
        )


def test_a_finding_that_needs_action_keeps_an_elective_patient_out_until_acknowledged(
    attending, nurse, patient, room
):
    booking = booked(attending, patient, room, code="BX-LIV", start=today_at(10))
    _high_inr(nurse, patient, booking)
    services.case_check_in(actor=nurse, booking_id=booking.pk)
    checklist(nurse, booking, "sign_in")
    with pytest.raises(Refused) as exc:
        services.case_to_room(actor=nurse, booking_id=booking.pk)
    (message,) = exc.value.rules.values()
    assert list(exc.value.rules) == ["readiness"]
    assert "need action" in message and "INR" in message
    acknowledged(booking, reason="INR 2.9 accepted: transjugular route planned.")
    services.case_to_room(actor=nurse, booking_id=booking.pk)


def test_an_emergent_patient_goes_ahead_with_a_physicians_recorded_acknowledgement(
    attending, nurse, patient, room
):
    booking = booked(attending, patient, room, code="BX-LIV", start=today_at(10))
    booking.order.priority = "emergent"
    booking.order.save()
    _high_inr(nurse, patient, booking)
    services.case_check_in(actor=nurse, booking_id=booking.pk)
    checklist(nurse, booking, "sign_in")
    with pytest.raises(Refused) as exc:
        services.case_to_room(actor=nurse, booking_id=booking.pk)
    assert "Emergent case" in exc.value.rules["readiness"]
    with pytest.raises(Forbidden):
        services.case_override(
            actor=nurse, booking_id=booking.pk, rule="readiness", reason="Bleeding now."
        )
    override = services.case_override(
        actor=attending, booking_id=booking.pk, rule="readiness", reason="Active haemorrhage."
    )
    assert (override.overridden_by, override.reason) == (attending, "Active haemorrhage.")
    assert "Emergent case" in override.refusal
    services.case_to_room(actor=nurse, booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.IN_ROOM


def test_the_procedure_starts_after_the_time_out(nurse, booking):
    record = in_room(nurse, booking)
    with pytest.raises(Refused) as exc:
        services.case_record_update(
            actor=nurse,
            procedure_id=record.pk,
            group="times",
            values={"started_at": booking.start + timedelta(minutes=10)},
        )
    assert exc.value.rules == {"time_out": guards.MSG_TIME_OUT}
    assert exc.value.errors == {"started_at": [guards.MSG_TIME_OUT]}
    record.refresh_from_db()
    assert record.started_at is None
    checklist(nurse, booking, "time_out")
    services.case_record_update(
        actor=nurse,
        procedure_id=record.pk,
        group="times",
        values={"started_at": booking.start + timedelta(minutes=10)},
    )


def test_recording_the_time_in_room_is_the_move_into_the_room(nurse, booking):
    record = services.case_check_in(actor=nurse, booking_id=booking.pk)
    with pytest.raises(Refused) as exc:
        services.case_record_update(
            actor=nurse, procedure_id=record.pk, group="times", values={"in_room_at": booking.start}
        )
    assert exc.value.errors == {"in_room_at": [guards.MSG_SIGN_IN]}
    acknowledged(booking)
    checklist(nurse, booking, "sign_in")
    services.case_record_update(
        actor=nurse, procedure_id=record.pk, group="times", values={"in_room_at": booking.start}
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.IN_ROOM


def test_completion_needs_sign_out_access_site_and_what_the_catalogue_requires(
    attending, nurse, booking
):
    record = in_room(nurse, booking)
    checklist(nurse, booking, "time_out")
    with pytest.raises(Refused) as exc:
        services.case_complete(actor=attending, procedure_id=record.pk)
    assert set(exc.value.rules) == {"sign_out", "access_site", "required_record"}
    required = exc.value.rules["required_record"]
    assert "technical success" in required and "the devices used" in required  # IVC filter
    assert exc.value.errors["access_sites"] == [guards.MSG_ACCESS_SITE]
    assert "times" in exc.value.errors  # the record's own gaps are said at once too
    record = ready_to_complete(attending, booking)
    done = services.case_complete(actor=attending, procedure_id=record.pk)
    assert done.status == RecordStatus.COMPLETED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RECOVERY
    assert booking.order.status == OrderStatus.COMPLETED


def test_biopsies_need_their_specimens(attending, nurse, patient, room):
    booking = booked(attending, patient, room, code="BX-LIV", start=today_at(10))
    record = documented(attending, booking)
    checklist(nurse, booking, "sign_out")
    services.case_record_update(
        actor=nurse, procedure_id=record.pk, group="access", values={"access_sites": ["none"]}
    )
    with pytest.raises(Refused) as exc:
        services.case_complete(actor=attending, procedure_id=record.pk)
    assert exc.value.rules == {"required_record": "Record before completing: the specimens taken."}


def test_an_override_is_kept_audited_and_lets_the_move_through(attending, nurse, booking):
    record = in_room(nurse, booking)
    with pytest.raises(ValidationFailed) as exc:
        services.case_override(actor=attending, booking_id=booking.pk, rule="time_out", reason=" ")
    assert "reason" in exc.value.errors
    with pytest.raises(Conflict) as conflict:
        services.case_override(actor=attending, booking_id=booking.pk, rule="sign_in", reason="x")
    assert conflict.value.code == "nothing_to_override"  # the sign-in was done
    override = services.case_override(
        actor=attending,
        booking_id=booking.pk,
        rule="time_out",
        reason="Patient deteriorating on the table; time-out after haemostasis.",
    )
    assert LogEntry.objects.get_for_object(override).get().actor == attending
    services.case_record_update(
        actor=nurse,
        procedure_id=record.pk,
        group="times",
        values={"started_at": booking.start + timedelta(minutes=5)},
    )
    with pytest.raises(Conflict):
        services.case_override(actor=attending, booking_id=booking.pk, rule="time_out", reason="y")
    with pytest.raises(Conflict):
        SafetyOverride.objects.get(pk=override.pk).delete()


def test_the_rules_are_the_same_for_every_caller(booking):
    """The verdicts the pages show come from the same function the services call."""
    from irflow.dayofcase.cases import cases_for

    case = cases_for([booking])[booking.pk]
    verdict = guards.verdict(case, Move.IN_ROOM)
    assert not verdict.allowed
    assert [r.rule.code for r in verdict.blocking] == ["checked_in", "sign_in"]


def test_discharge_is_not_a_board_move(nurse, booking):
    with pytest.raises(Conflict) as exc:
        services.case_move(actor=nurse, booking_id=booking.pk, to="discharged")
    assert exc.value.message == services.MSG_DISCHARGE_ON_RECOVERY


def test_the_modality_is_never_refused_but_flagged(nurse, attending, booking):
    from irflow.checklists.models import FlagKind

    moved = services.case_modality_started(actor=SYSTEM, booking_id=booking.pk)
    assert moved.status == BookingStatus.IN_ROOM
    kinds = set(booking.safety_flags.values_list("kind", flat=True))
    assert kinds == {FlagKind.STARTED_WITHOUT_SIGN_IN, FlagKind.STARTED_WITHOUT_TIME_OUT}
    services.case_modality_finished(actor=SYSTEM, booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RECOVERY
    assert booking.safety_flags.filter(kind=FlagKind.ENDED_WITHOUT_SIGN_OUT).exists()


def test_the_order_follows_its_booking(attending, nurse, patient, room):
    from irflow.scheduling.services import booking_cancel

    booking = booked(attending, patient, room, start=today_at(12))
    order = booking.order
    order.refresh_from_db()
    assert order.status == OrderStatus.SCHEDULED
    booking_cancel(actor=attending, booking_id=booking.pk, reason="patient_unwell")
    order.refresh_from_db()
    assert order.status == OrderStatus.ORDERED
