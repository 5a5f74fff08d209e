"""The procedure record through its services: check-in with defaults, autosaved groups,
refusals with clear messages, and completion (recovery, devices, follow-up)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from irflow.dayofcase import services as day
from irflow.devices.models import DeviceInSitu
from irflow.followup.models import FollowUpTask
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.procedures import groups, services
from irflow.procedures.models import ProcedureRecord, RecordStatus
from irflow.recovery.models import RecoveryEpisode
from irflow.scheduling.models import BookingStatus
from irflow.testing.cases import GOOD_UDI, booked, completed, documented, past_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(attending, patient, angio_room):
    return booked(attending, patient, angio_room, start=past_weekday_at(9))


def test_check_in_opens_the_record_with_catalogue_defaults(attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ARRIVED
    assert record.sedation_depth == "moderate"  # the catalogue's default sedation
    assert record.contrast_route == "iv"  # IVC filter: contrast, no arterial access
    assert "capnography" not in record.monitoring and "spo2" in record.monitoring
    assert [(m.user, m.role) for m in record.team.all()] == [(attending, "primary_operator")]
    # Checking in twice is harmless.
    again = day.case_check_in(actor=attending, booking_id=booking.pk)
    assert again.pk == record.pk and ProcedureRecord.objects.count() == 1


def test_roles_that_do_not_move_patients_along_may_not_check_in(personas, booking):
    for name in ("referrer", "qi_lead", "admin", "auditor"):
        with pytest.raises(Forbidden):
            day.case_check_in(actor=personas[name], booking_id=booking.pk)


def test_end_before_start_is_refused_with_a_clear_message(attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    start = booking.start
    with pytest.raises(ValidationFailed) as exc:
        services.procedure_record_update(
            actor=attending,
            procedure_id=record.pk,
            group="times",
            values={"started_at": start + timedelta(minutes=30), "ended_at": start},
        )
    message = exc.value.errors["ended_at"][0]
    assert message == groups.MSG_END_BEFORE_START.format(
        end=f"{timezone.localtime(start):%H:%M}",
        start=f"{timezone.localtime(start + timedelta(minutes=30)):%H:%M}",
    )
    assert "before the start time" in message
    record.refresh_from_db()
    assert record.started_at is None and record.ended_at is None  # nothing half-saved


def test_times_are_checked_against_those_already_saved(attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    start = booking.start
    services.procedure_record_update(
        actor=attending, procedure_id=record.pk, group="times", values={"in_room_at": start}
    )
    with pytest.raises(ValidationFailed) as exc:
        services.procedure_record_update(
            actor=attending,
            procedure_id=record.pk,
            group="times",
            values={"started_at": start - timedelta(minutes=5)},
        )
    assert "cannot be before the time in room" in exc.value.errors["started_at"][0]


def test_negative_contrast_volume_is_refused(attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.procedure_record_update(
            actor=attending, procedure_id=record.pk, group="contrast", values={"contrast_ml": "-5"}
        )
    assert exc.value.errors["contrast_ml"] == [groups.MSG_CONTRAST_NEGATIVE.format(value=-5)]
    saved = services.procedure_record_update(
        actor=attending,
        procedure_id=record.pk,
        group="contrast",
        values={
            "contrast_ml": "60",
            "contrast_route": "intra_arterial",
            "contrast_agent": "Iohexol",
        },
    )
    saved.refresh_from_db()
    assert str(saved.contrast_ml) == "60.0"


def test_negative_sedation_dose_and_unknown_choices_are_refused(attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.sedation_agent_add(
            actor=attending, procedure_id=record.pk, agent="Fentanyl", dose="-50", unit="mcg"
        )
    assert "cannot be negative" in exc.value.errors["dose"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.procedure_record_update(
            actor=attending, procedure_id=record.pk, group="sedation", values={"asa_class": "VII"}
        )
    assert "asa_class" in exc.value.errors
    saved = services.procedure_record_update(
        actor=attending,
        procedure_id=record.pk,
        group="sedation",
        values={
            "asa_class": "III",
            "asa_emergency": True,
            "mallampati": "II",
            "monitoring": ["ecg", "spo2", "capnography"],
        },
    )
    assert saved.asa_label == "IIIE" and "Capnography" in saved.monitoring_labels()


def test_a_scanned_udi_fills_the_device_fields(attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    raw = "]d2" + "0100884838035683" + "17491231" + "10LOT42\x1d" + "21SN7"
    device = services.device_add(
        actor=attending,
        procedure_id=record.pk,
        udi=raw,
        manufacturer="Bard",
        implanted=True,
        in_situ_kind="ivc_filter",
    )
    assert device.device_type == "IVC filter"  # the catalogue's name for the kind
    assert (device.gtin, device.lot, device.serial) == ("00884838035683", "LOT42", "SN7")
    assert device.expiry.isoformat() == "2049-12-31"
    assert device.udi == GOOD_UDI


MALFORMED_UDI = [
    ("(01)00884838035682(17)271231", "wrong check digit: expected 3, got 2"),
    ("(01)0088483803568(10)A", "must be 14 digits"),
    ("(01)00884838035683(17)271331", "“271331” is not a date"),
    ("(01)00884838035683(99)X", "(99) is not an identifier"),
    ("(10)LOT42", "has no (01) GTIN"),
    ("0100884838035683" + "10" + "L" * 25, "longer than 20 characters"),
    ("hello", "This is not a UDI"),
]


def test_malformed_udi_strings_are_refused_naming_the_problem(attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    for udi, words in MALFORMED_UDI:
        with pytest.raises(ValidationFailed) as exc:
            services.device_add(
                actor=attending, procedure_id=record.pk, udi=udi, device_type="Sheath"
            )
        assert words in exc.value.errors["udi"][0], udi
    assert not record.devices.exists()


def test_the_record_is_completed_only_with_every_time_recorded(attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    with pytest.raises(ValidationFailed) as exc:
        services.procedure_record_complete(actor=attending, procedure_id=record.pk)
    assert "time in room, start time, end time, time out of room" in exc.value.errors["times"][0]


def test_completion_opens_recovery_registers_the_device_and_creates_follow_up(attending, booking):
    record = completed(attending, booking)
    assert record.status == RecordStatus.COMPLETED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RECOVERY
    assert RecoveryEpisode.objects.filter(record=record).exists()
    device = DeviceInSitu.objects.get(placed_by_procedure=record)
    assert (device.kind, device.action) == ("ivc_filter", "retrieval")
    assert device.due_on == device.placed_on + timedelta(days=90)
    task = FollowUpTask.objects.get(order=record.order)
    assert task.kind == "clinic" and task.owner == attending
    assert task.due_date == device.placed_on + timedelta(days=60)
    assert task.source_rule_id == "catalogue:IVCF-IN:0"
    with pytest.raises(Conflict):
        services.procedure_record_update(
            actor=attending, procedure_id=record.pk, group="findings", values={"findings": "x"}
        )
    # Clinical success is judged later, on the completed record.
    services.procedure_record_update(
        actor=attending,
        procedure_id=record.pk,
        group="outcome",
        values={"clinical_success": "success"},
    )


def test_a_retrieval_closes_the_filter_it_removes(attending, patient, angio_room):
    placed = completed(
        attending, booked(attending, patient, angio_room, start=past_weekday_at(9, days_back=40))
    )
    filter_ = DeviceInSitu.objects.get(placed_by_procedure=placed)
    retrieval = completed(
        attending,
        booked(attending, patient, angio_room, code="IVCF-OUT", start=past_weekday_at(9)),
    )
    filter_.refresh_from_db()
    assert filter_.status == "removed"
    assert filter_.removed_by_procedure == retrieval
    assert filter_.removed_on == retrieval.ended_at.date()


def test_struck_out_entries_stay_in_history(attending, booking):
    record = documented(attending, booking)
    specimen = services.specimen_add(
        actor=attending, procedure_id=record.pk, label="A1", sent_to="Histopathology"
    )
    services.record_part_strike(
        actor=attending, procedure_id=record.pk, kind="specimen", part_id=specimen.pk
    )
    specimen.refresh_from_db()
    assert specimen.entered_in_error is True


EXPIRY_CASES = [
    # (days from the procedure's day to the expiry, refused without a reason)
    (-365, True),
    (-1, True),
    (0, False),  # the expiry date is the last day of use
    (1, False),
]


@pytest.mark.parametrize(("offset", "refused"), EXPIRY_CASES)
def test_an_expired_device_is_refused_on_both_sides_of_the_day(attending, booking, offset, refused):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    expiry = record.procedure_day() + timedelta(days=offset)
    udi = f"(01)00884838035683(17){expiry:%y%m%d}(10)LOT9"
    if refused:
        with pytest.raises(ValidationFailed) as exc:
            services.device_add(actor=attending, procedure_id=record.pk, udi=udi, device_type="X")
        assert "do not use it" in exc.value.errors["expiry"][0]
        assert not record.devices.exists()
    else:
        device = services.device_add(
            actor=attending, procedure_id=record.pk, udi=udi, device_type="X"
        )
        assert device.expiry == expiry and not device.expired_when_used


def test_a_physician_overrides_an_expired_device_with_a_reason_kept(personas, attending, booking):
    record = day.case_check_in(actor=attending, booking_id=booking.pk)
    udi = "(01)00884838035683(17)240630(10)OLD1"
    with pytest.raises(ValidationFailed) as exc:
        services.device_add(
            actor=personas["nurse"],
            procedure_id=record.pk,
            udi=udi,
            device_type="Stent",
            expiry_override_reason="No other in stock.",
        )
    assert exc.value.errors["expiry_override_reason"] == [services.MSG_EXPIRED_PHYSICIAN]
    device = services.device_add(
        actor=attending,
        procedure_id=record.pk,
        udi=udi,
        device_type="Stent",
        expiry_override_reason="Only size in stock; bleeding patient.",
    )
    assert device.expired_when_used and device.expiry_override_by == attending
    assert device.lot == "OLD1" and device.expiry.isoformat() == "2024-06-30"
    with pytest.raises(ValidationFailed) as exc:
        services.device_add(
            actor=attending,
            procedure_id=record.pk,
            udi=GOOD_UDI,
            device_type="Stent",
            expiry_override_reason="Just in case.",
        )
    assert exc.value.errors["expiry_override_reason"] == [services.MSG_NOT_EXPIRED]
