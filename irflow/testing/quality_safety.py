"""A small fixed department for the devices and safety dashboard's tests: twelve procedures
(one outside the period), their dose alerts, devices, follow-up tasks, checklists and
overrides, whose every figure is worked out by hand in irflow/quality/tests/test_safety.py.

The period is March–April 2026 and "today" is 15 May 2026 (the selectors take the day)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from irflow.accounts.models import User
from irflow.catalogue.models import ProcedureType, Room
from irflow.checklists.models import ChecklistRecord, SafetyOverride
from irflow.devices.models import DeviceInSitu
from irflow.dose.models import DoseAlert
from irflow.followup.models import FollowUpTask
from irflow.orders.models import Order
from irflow.patients.models import Patient
from irflow.patients.services import patient_create
from irflow.procedures.models import ProcedureRecord
from irflow.readiness.models import Acknowledgement
from irflow.scheduling.models import Booking

START, END = date(2026, 3, 1), date(2026, 4, 30)
TODAY = date(2026, 5, 15)
TACE, IVCF = "TACE", "IVCF-IN"
ALL_PHASES = ("sign_in", "time_out", "sign_out")

# n: (procedure, check-in day, checklist phases completed)
CASES: dict[int, tuple[str, date, tuple[str, ...]]] = {
    1: (TACE, date(2026, 3, 5), ALL_PHASES),
    2: (TACE, date(2026, 3, 20), ("sign_in", "time_out")),
    3: (TACE, date(2026, 4, 25), ("sign_in",)),
    4: (TACE, date(2026, 4, 10), ()),
    5: (IVCF, date(2026, 3, 2), ALL_PHASES),
    6: (IVCF, date(2026, 3, 10), ("sign_in", "time_out")),
    7: (IVCF, date(2026, 4, 20), ALL_PHASES),
    8: (IVCF, date(2026, 3, 15), ALL_PHASES),
    9: (IVCF, date(2026, 4, 1), ("sign_in",)),
    10: (IVCF, date(2026, 3, 25), ()),
    11: (IVCF, date(2025, 12, 1), ALL_PHASES),  # outside the period
    12: (TACE, date(2026, 4, 28), ALL_PHASES),
}

# n: [(alert level, skin check: (due date, status, completed at) or None)]
ALERTS: dict[int, list[tuple[str, tuple[date, str, datetime | None] | None]]] = {
    1: [("srdl", (date(2026, 4, 5), "done", datetime(2026, 4, 3, 10, 0)))],
    2: [("srdl", (date(2026, 4, 20), "open", None))],
    3: [("notification", None), ("srdl", (date(2026, 5, 25), "open", None))],
    4: [("notification", None)],
    11: [("srdl", (date(2026, 1, 1), "open", None))],
    12: [("srdl", None)],  # an alert whose follow-up was never created
}

# (label, case placed at or None, kind, action, placed, due, removed on, removal reason,
#  patient active)
DEVICES: list[tuple[str, int | None, str, str, date, date, date | None, str, bool]] = [
    ("A", 5, "ivc_filter", "retrieval", date(2026, 3, 2), date(2026, 5, 31),
     date(2026, 4, 1), "procedure", True),
    ("B", 6, "ivc_filter", "retrieval", date(2026, 3, 10), date(2026, 4, 8), None, "", True),
    ("C", 7, "ivc_filter", "Retrieval", date(2026, 4, 20), date(2026, 7, 19), None, "", True),
    ("D", 8, "ivc_filter", "retrieval", date(2026, 3, 15), date(2026, 6, 13),
     date(2026, 4, 24), "elsewhere", True),
    ("E", 9, "ivc_filter", "retrieval", date(2026, 4, 1), date(2026, 6, 30),
     date(2026, 4, 11), "permanent", True),
    ("F", 10, "ivc_filter", "review", date(2026, 3, 25), date(2026, 4, 24), None, "", True),
    ("G", 7, "ivc_filter", "retrieval", date(2026, 4, 20), date(2026, 7, 19),
     date(2026, 4, 21), "entered_in_error", True),
    ("H", 11, "ivc_filter", "retrieval", date(2025, 12, 1), date(2026, 3, 1), None, "", True),
    ("drain", None, "drain", "removal", date(2026, 4, 1), date(2026, 4, 15), None, "", True),
    ("drain of an inactive patient", None, "drain", "removal", date(2026, 4, 1),
     date(2026, 4, 15), None, "", False),
    ("nephrostomy", None, "nephrostomy", "exchange", date(2026, 4, 1), date(2026, 6, 1),
     None, "", True),
    ("picc", 4, "picc", "removal", date(2026, 4, 10), date(2026, 4, 20),
     date(2026, 4, 18), "procedure", True),
]  # fmt: skip

# (label, case of the order or None, kind, due, status, completed at in site time)
TASKS: list[tuple[str, int | None, str, date, str, datetime | None]] = [
    ("C1", 5, "clinic", date(2026, 3, 20), "done", datetime(2026, 3, 25, 9, 0)),
    # Completed half an hour after midnight, site time, the day after it was due: late,
    # although in UTC (an hour behind in April) it is still the due date.
    ("C2", 6, "clinic", date(2026, 4, 10), "done", datetime(2026, 4, 11, 0, 30)),
    ("C3", 7, "clinic", date(2026, 4, 30), "acknowledged", None),
    ("C4", 8, "clinic", date(2026, 4, 15), "cancelled", None),
    ("C5", None, "call", date(2026, 4, 28), "open", None),
    ("C6", 9, "clinic", date(2026, 2, 27), "open", None),  # due before the period
    ("C7", 9, "clinic", date(2026, 4, 12), "done", datetime(2026, 4, 12, 9, 0)),
]

# Readiness acknowledgements per case, and emergency overrides (rule, reason) per case.
READINESS = {3: 2, 6: 1, 11: 1}
EMERGENCY = {
    2: [("no_time_out", "Ruptured aneurysm, patient unstable")],
    4: [("readiness", "Active bleeding"), ("no_consent", "Patient unconscious, no relative")],
    8: [("readiness", "Massive pulmonary embolism")],
}


def safety_world(actor: User) -> dict:
    """The department above, written directly (its history is not what is tested); returns
    the record ids, devices and tasks by their numbers and labels."""
    zone = ZoneInfo(settings.TIME_ZONE)
    room = Room.objects.create(code="QS", name="Angio S", kind="angio", modality="XA")
    types = {t.code: t for t in ProcedureType.objects.filter(code__in=[TACE, IVCF])}
    records: dict[int, ProcedureRecord] = {}
    for n, (code, day, phases) in CASES.items():
        patient = patient_create(
            actor=actor,
            mrn=f"S{n:07d}",
            family_name=f"Safety{n}",
            given_name="Case",
            birth_date=date(1950, 2, n),
            sex="M",
        )
        at = datetime.combine(day, time(9, 0), zone)
        order = Order.objects.create(
            patient=patient,
            procedure_type=types[code],
            priority="routine",
            accession_number=f"SA{n:06d}",
            requested_procedure_id=f"SR{n:06d}",
            study_instance_uid=f"1.2.826.0.1.3680043.10.997.{n}",
            status="completed",
        )
        booking = Booking.objects.create(
            order=order,
            patient=patient,
            room=room,
            start=at,
            end=at + timedelta(hours=1),
            primary_operator=actor,
            sps_id=f"SS{n:06d}",
            modality="XA",
            status="discharged",
        )
        records[n] = ProcedureRecord.objects.create(
            booking=booking,
            order=order,
            patient=patient,
            status="completed",
            checked_in_at=at,
            checked_in_by=actor,
        )
        for phase in phases:
            ChecklistRecord.objects.create(
                booking=booking, phase=phase, items=[], readiness_state="ready", completed_by=actor
            )
        for i in range(READINESS.get(n, 0)):
            Acknowledgement.objects.create(
                booking=booking,
                rule_id=f"rule.{i}",
                finding_key=f"finding-{n}-{i}",
                status="warn",
                message=f"Finding {i} of case {n}",
                reason=f"Reason {i} of case {n}",
                acknowledged_by=actor,
            )
        for rule, reason in EMERGENCY.get(n, []):
            SafetyOverride.objects.create(
                booking=booking,
                rule=rule,
                rule_text=f"Rule {rule}",
                refusal=f"Refused: {rule}",
                reason=reason,
                overridden_by=actor,
            )
        for level, skin in ALERTS.get(n, []):
            task = None
            if skin is not None:
                due, status, done_at = skin
                task = FollowUpTask.objects.create(
                    patient=patient,
                    order=order,
                    kind="skin_check",
                    description=f"Skin check of case {n}",
                    due_date=due,
                    status=status,
                    source_rule_id="skin-followup",
                    completed_at=done_at.replace(tzinfo=zone) if done_at else None,
                    completed_by=actor if done_at else None,
                )
            DoseAlert.objects.create(
                patient=patient,
                order=order,
                level=level,
                rule_id=f"ka_r.{level}",
                rule_set_version="test",
                quantity="ka_r_mgy",
                value=6000.0 if level == "srdl" else 3500.0,
                threshold=5000.0 if level == "srdl" else 3000.0,
                unit="mGy",
                message=f"{level} of case {n}",
                confidence="A",
                verified=True,
                followup_task=task,
            )
    devices = {}
    for i, (label, case_n, kind, action, placed, due, removed, reason, active) in enumerate(
        DEVICES
    ):
        patient = (
            records[case_n].patient if case_n else _patient(actor, f"SD{i:06d}", label, active)
        )
        devices[label] = DeviceInSitu.objects.create(
            patient=patient,
            kind=kind,
            name=f"Device {label}",
            action=action,
            placed_on=placed,
            due_on=due,
            placed_by_procedure=records[case_n] if case_n else None,
            status="removed" if removed else "in_situ",
            removed_on=removed,
            removal_reason=reason,
        )
    tasks = {}
    for i, (label, of, kind, due, status, done_at) in enumerate(TASKS):
        tasks[label] = FollowUpTask.objects.create(
            patient=records[of].patient if of else _patient(actor, f"ST{i:06d}", label, True),
            order=records[of].order if of else None,
            kind=kind,
            description=f"Task {label}",
            due_date=due,
            status=status,
            completed_at=done_at.replace(tzinfo=zone) if done_at else None,
            completed_by=actor if done_at else None,
        )
    return {"records": {n: r.pk for n, r in records.items()}, "devices": devices, "tasks": tasks}


def _patient(actor: User, mrn: str, label: str, active: bool) -> Patient:
    patient = patient_create(
        actor=actor,
        mrn=mrn,
        family_name=f"Device {label}",
        given_name="Patient",
        birth_date=date(1960, 1, 1),
        sex="F",
    )
    if not active:
        Patient.objects.filter(pk=patient.pk).update(is_active=False)
    return patient
