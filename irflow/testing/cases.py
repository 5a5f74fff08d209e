"""Cases in known states of their day, built through the real services and their rules (tests,
the API permission walk in irflow/accounts/tests/test_api_permission_walk.py, and nothing
else): booked, checked in, in the room, documented, completed."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.checklists.models import ChecklistRecord
from irflow.checklists.services import TEAM_ROLES, checklist_complete
from irflow.clinical import checklist_items
from irflow.dayofcase import services as day
from irflow.lib.errors import ValidationFailed
from irflow.procedures.models import ProcedureRecord
from irflow.procedures.services import device_add, specimen_add
from irflow.readiness.selectors import readiness_detail
from irflow.readiness.services import finding_acknowledge
from irflow.testing.fixtures import make_booking, make_order, next_weekday_at
from irflow.testing.outcomes import NO_HARM
from irflow.testing.recovery import observed

GOOD_UDI = "(01)00884838035683(17)491231(10)LOT42(21)SN7"


def past_weekday_at(hour: int, minute: int = 0, *, days_back: int = 10) -> datetime:
    """A timezone-aware datetime on a weekday at least `days_back` days ago (procedures
    documented in the past, as they are in real life)."""
    from django.utils import timezone

    day = timezone.localdate() - timedelta(days=days_back)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


def fresh_room(prefix: str = "R"):
    """A room of its own (one patient in a room at a time: open cases need one each)."""
    from irflow.catalogue.models import Room

    code = f"{prefix}{Room.objects.count() + 1}"
    return Room.objects.create(
        code=code, name=f"Room {code}", kind="angio", modality="XA", open_weekdays=[*range(1, 8)]
    )


def booked(actor, patient, room, *, code: str = "IVCF-IN", start: datetime | None = None):
    """An order of `code` for `patient` booked in `room`, `actor` as primary operator."""
    order = make_order(actor, patient, code)
    return make_booking(actor, order, room, start or next_weekday_at(9), primary_operator=actor)


def acknowledged(booking, reason: str = "Reviewed for the test.") -> None:
    """A physician acknowledges every open readiness finding of `booking` (those that can be:
    the operator's bleeding-risk choice cannot)."""
    physician = User.objects.filter(role=Role.PHYSICIAN, is_active=True).order_by("pk").first()
    assert physician is not None, "acknowledging readiness needs a physician"
    for finding in readiness_detail(booking_id=booking.pk).findings:
        if finding["status"] != "pass" and not finding.get("acknowledgement"):
            with contextlib.suppress(ValidationFailed):  # the bleeding-risk choice is made
                finding_acknowledge(
                    actor=physician,
                    booking_id=booking.pk,
                    finding_key=finding["key"],
                    reason=reason,
                )


def checklist(actor, booking, phase: str) -> None:
    """Complete one checklist phase with every item ticked, the team present."""
    if ChecklistRecord.objects.filter(booking=booking, phase=phase).exists():
        return
    team = list(
        User.objects.filter(is_active=True, role__in=list(TEAM_ROLES))
        .exclude(pk=actor.pk)
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    )
    checklist_complete(
        actor=actor,
        booking_id=booking.pk,
        phase=phase,
        done=[i.id for i in checklist_items(phase)],  # type: ignore[arg-type]
        present=[actor.pk, *team],
    )


def in_room(actor, booking) -> ProcedureRecord:
    """Checked in, readiness acknowledged, sign-in done, in the room since the booked start."""
    record = day.case_check_in(actor=actor, booking_id=booking.pk)
    acknowledged(booking)
    checklist(actor, booking, "sign_in")
    day.case_to_room(actor=actor, booking_id=booking.pk, at=booking.start)
    return ProcedureRecord.objects.get(pk=record.pk)


def documented(actor, booking, *, success: str = "success") -> ProcedureRecord:
    """In the room, time-out done, times recorded (in room at the booked start, 50 minutes),
    findings and technical success."""
    record = in_room(actor, booking)
    checklist(actor, booking, "time_out")
    start = booking.start
    day.case_record_update(
        actor=actor,
        procedure_id=record.pk,
        group="times",
        values={
            "started_at": start + timedelta(minutes=10),
            "ended_at": start + timedelta(minutes=40),
            "out_at": start + timedelta(minutes=50),
        },
    )
    day.case_record_update(
        actor=actor,
        procedure_id=record.pk,
        group="findings",
        values={"findings": "Patent infrarenal IVC, single renal veins at L1."},
    )
    return day.case_record_update(
        actor=actor, procedure_id=record.pk, group="outcome", values={"technical_success": success}
    )


def ready_to_complete(actor, booking) -> ProcedureRecord:
    """Documented, the access site and the devices (or specimens) the catalogue asks for
    recorded, signed out: in the room still, with nothing refusing completion."""
    record = documented(actor, booking)
    if not record.access_sites:
        day.case_record_update(
            actor=actor, procedure_id=record.pk, group="access", values={"access_sites": ["none"]}
        )
    procedure = record.order.procedure_type
    for place in procedure.device_defaults.get("places", []):
        device_add(
            actor=actor,
            procedure_id=record.pk,
            device_type=place["name"],
            implanted=True,
            in_situ_kind=place["kind"],
        )
    if "specimens" in (procedure.completion_requires or []):
        specimen_add(actor=actor, procedure_id=record.pk, label="A1", sent_to="Histopathology")
    checklist(actor, booking, "sign_out")
    return ProcedureRecord.objects.get(pk=record.pk)


def completed(actor, booking) -> ProcedureRecord:
    """Taken through the whole procedure and completed: the patient is in recovery."""
    record = ready_to_complete(actor, booking)
    return day.case_complete(actor=actor, procedure_id=record.pk)


def day_world(attending, booking_id: int) -> dict:
    """For the API walk: a flag the modality raised on the (booked) booking."""
    from irflow.checklists.services import safety_flag_raise

    flag = safety_flag_raise(booking_id=booking_id, kind="no_sign_in", detail="For the walk.")
    return {"flag_id": flag.pk, "rule": "sign_in"}


def procedure_world(personas, patient) -> dict:
    """For the API walk: a procedure in the room, one completed and reported (final, with
    an unsigned addendum) in recovery, and a trainee's draft awaiting co-signature."""
    from irflow.catalogue.models import Room
    from irflow.devices.models import DeviceInSitu
    from irflow.reports import services as reports

    attending, trainee = personas["attending"], personas["trainee"]
    room = Room.objects.create(code="PROC1", name="Procedure room", kind="angio", modality="XA")
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
    # In the room now, everything recorded and signed out: ready to complete.
    in_room = ready_to_complete(
        attending, booked(attending, patient, room, start=past_weekday_at(8))
    )
    draft = reports.report_start(actor=attending, procedure_id=in_room.pk)
    reports.report_update(
        actor=attending,
        report_id=draft.pk,
        fields={"retrievable": "yes", "filter_position": "Infrarenal"},
        sections={"impression": "Retrievable infrarenal IVC filter placed."},
    )
    observed(attending, done)
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
        ("GET", "/api/day/rules"): None,
        ("GET", "/api/day/bookings/{booking_id}"): None,
        ("POST", "/api/day/bookings/{booking_id}/overrides/{rule}"): {
            "reason": "Bleeding patient: no time for the full sign-in."
        },
        ("POST", "/api/day/bookings/{booking_id}/flags/{flag_id}/review"): {
            "note": "Emergency case started before the sign-in; debriefed."
        },
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
        ("POST", recovery + "/vital-signs"): {"heart_rate_bpm": 72, "spo2_pct": 97},
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
            **NO_HARM,
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
