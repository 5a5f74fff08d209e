"""Procedures in known states, built through the real services (tests, the API permission
walk in irflow/accounts/tests/test_api_permission_walk.py, and nothing else)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from irflow.procedures import services
from irflow.procedures.models import ProcedureRecord
from irflow.testing.fixtures import make_booking, make_order, next_weekday_at

GOOD_UDI = "(01)00884838035683(17)271231(10)LOT42(21)SN7"


def past_weekday_at(hour: int, minute: int = 0, *, days_back: int = 10) -> datetime:
    """A timezone-aware datetime on a weekday at least `days_back` days ago (procedures
    documented in the past, as they are in real life)."""
    from django.utils import timezone

    day = timezone.localdate() - timedelta(days=days_back)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


def booked(actor, patient, room, *, code: str = "IVCF-IN", start: datetime | None = None):
    """An order of `code` for `patient` booked in `room`, `actor` as primary operator."""
    order = make_order(actor, patient, code)
    return make_booking(actor, order, room, start or next_weekday_at(9), primary_operator=actor)


def documented(actor, booking, *, success: str = "success") -> ProcedureRecord:
    """Checked in, times recorded (in room at the booked start, 50 minutes), success set."""
    record = services.procedure_check_in(actor=actor, booking_id=booking.pk)
    start = booking.start
    services.procedure_record_update(
        actor=actor,
        procedure_id=record.pk,
        group="times",
        values={
            "in_room_at": start,
            "started_at": start + timedelta(minutes=10),
            "ended_at": start + timedelta(minutes=40),
            "out_at": start + timedelta(minutes=50),
        },
    )
    services.procedure_record_update(
        actor=actor,
        procedure_id=record.pk,
        group="findings",
        values={"findings": "Patent infrarenal IVC, single renal veins at L1."},
    )
    return services.procedure_record_update(
        actor=actor, procedure_id=record.pk, group="outcome", values={"technical_success": success}
    )


def completed(actor, booking) -> ProcedureRecord:
    record = documented(actor, booking)
    return services.procedure_complete(actor=actor, procedure_id=record.pk)


def procedure_world(personas, patient) -> dict:
    """For the API walk: a procedure in the room, one completed and reported (final, with
    an unsigned addendum) in recovery, and a trainee's draft awaiting co-signature."""
    from irflow.catalogue.models import Room
    from irflow.devices.models import DeviceInSitu
    from irflow.reports import services as reports

    attending, trainee = personas["attending"], personas["trainee"]
    room = Room.objects.create(code="PROC1", name="Procedure room", kind="angio", modality="XA")
    in_room = documented(attending, booked(attending, patient, room, start=past_weekday_at(8)))
    draft = reports.report_start(actor=attending, procedure_id=in_room.pk)
    reports.report_update(
        actor=attending,
        report_id=draft.pk,
        fields={"retrievable": "yes", "filter_position": "Infrarenal"},
        sections={"impression": "Retrievable infrarenal IVC filter placed."},
    )
    done = completed(attending, booked(attending, patient, room, start=past_weekday_at(11)))
    final = reports.report_start(actor=attending, procedure_id=done.pk)
    reports.report_update(
        actor=attending,
        report_id=final.pk,
        fields={"retrievable": "yes", "filter_position": "Infrarenal"},
        sections={"impression": "Retrievable infrarenal IVC filter placed."},
    )
    reports.report_sign(actor=attending, report_id=final.pk)
    addendum = reports.addendum_create(
        actor=attending, report_id=final.pk, text="Filter product: Denali."
    )
    cosign = completed(attending, booked(attending, patient, room, start=past_weekday_at(14)))
    by_trainee = reports.report_start(actor=trainee, procedure_id=cosign.pk)
    reports.report_update(
        actor=trainee,
        report_id=by_trainee.pk,
        fields={"retrievable": "no", "filter_position": "Infrarenal"},
        sections={"impression": "Permanent infrarenal IVC filter placed."},
    )
    reports.report_submit(actor=trainee, report_id=by_trainee.pk)
    day = done.booking.start.date()
    return {
        "trainee_id": trainee.pk,
        "ae_onset": (done.booking.start + timedelta(minutes=30)).isoformat(),
        "removed_on": (day + timedelta(days=1)).isoformat(),
        "procedure_id": in_room.pk,
        "booking_id_in_room": in_room.booking_id,
        "draft_report_id": draft.pk,
        "report_id": final.pk,
        "addendum_id": addendum.pk,
        "cosign_report_id": by_trainee.pk,
        "recovery_procedure_id": done.pk,
        "device_id": DeviceInSitu.objects.filter(placed_by_procedure=done).first().pk,  # type: ignore[union-attr]
    }


def procedure_examples(ids: dict) -> dict[tuple[str, str], dict | None]:
    """A valid request for each route of the procedure, report, recovery, outcome and
    device apps."""
    proc = "/api/procedures/{procedure_id}"
    report = "/api/reports"
    recovery = "/api/recovery/{recovery_procedure_id}"
    return {
        ("POST", "/api/procedures/check-in"): {"booking_id": ids["booking_id_in_room"]},
        ("GET", proc): None,
        ("PATCH", proc): {
            "group": "contrast",
            "values": {"contrast_ml": "45", "contrast_route": "iv"},
        },
        ("POST", proc + "/team"): {"user_id": ids["trainee_id"], "role": "trainee"},
        ("POST", proc + "/sedation-agents"): {"agent": "Midazolam", "dose": "2", "unit": "mg"},
        ("POST", proc + "/devices"): {
            "udi": GOOD_UDI,
            "device_type": "IVC filter",
            "implanted": True,
            "in_situ_kind": "ivc_filter",
        },
        ("POST", proc + "/specimens"): {"label": "A1", "sent_to": "Histopathology"},
        ("POST", proc + "/complete"): None,
        ("POST", report): {"procedure_id": ids["procedure_id"]},
        ("GET", report + "/{report_id}"): None,
        ("PATCH", report + "/{draft_report_id}/content"): {"sections": {"findings": "Patent IVC."}},
        ("POST", report + "/{draft_report_id}/submit"): None,
        ("POST", report + "/{draft_report_id}/sign"): None,
        ("POST", report + "/{cosign_report_id}/cosign"): None,
        ("POST", report + "/{report_id}/addenda"): {"text": "Correction: left renal vein."},
        ("POST", report + "/addenda/{addendum_id}/sign"): None,
        ("GET", recovery): None,
        ("POST", recovery + "/pain-scores"): {"score": 3},
        ("PATCH", recovery): {"observations": "Stable, site dry."},
        ("POST", recovery + "/discharge"): {"disposition": "same_day"},
        ("POST", "/api/outcomes/adverse-events"): {
            "procedure_id": ids["recovery_procedure_id"],
            "onset_at": ids["ae_onset"],
            "detection": "recovery",
            "description": "Groin haematoma",
            "sir_grade": "mild",
            "attribution": "procedure",
            "outcome": "resolved",
        },
        ("GET", "/api/outcomes/patients/{patient_id}/adverse-events"): None,
        ("POST", "/api/outcomes/followup/{followup_task_id}"): {"contact": "call", "pain_score": 2},
        ("GET", "/api/devices/overdue"): None,
        ("GET", "/api/devices/patients/{patient_id}"): None,
        ("POST", "/api/devices"): {
            "patient_id": ids["patient_id"],
            "kind": "drain",
            "name": "Pigtail drain",
            "placed_on": "2026-01-01",
            "due_on": "2026-01-15",
        },
        ("POST", "/api/devices/{device_id}/remove"): {
            "removed_on": ids["removed_on"],
            "reason": "elsewhere",
        },
    }
