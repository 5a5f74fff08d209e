"""A small fixed department for the quality dashboards' tests: nine procedures whose every
figure is worked out by hand in irflow/quality/tests/test_figures.py (and docs/quality.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from irflow.accounts.models import User
from irflow.catalogue.models import ProcedureType, Room
from irflow.dose.models import RadiationDoseReport
from irflow.orders.models import Order
from irflow.outcomes.models import AdverseEvent
from irflow.patients.services import patient_create
from irflow.procedures.models import ProcedureRecord
from irflow.scheduling.models import Booking

START, END = date(2026, 3, 1), date(2026, 4, 30)

# (procedure, room, operator, day, urgency, technical, clinical, [(grade, in error)], [DAP], Ka,r)
CASES = [
    ("PTA-IL", "A", 1, date(2026, 3, 10), "routine", "success", "success", [], [10.0], 100.0),
    (
        "PTA-IL",
        "A",
        1,
        date(2026, 3, 11),
        "urgent",
        "success",
        "failure",
        [("mild", False)],
        [20.0],
        200.0,
    ),
    (
        "PTA-IL",
        "B",
        2,
        date(2026, 4, 14),
        "routine",
        "failure",
        "",
        [("moderate", False), ("mild", False)],
        [30.0],
        300.0,
    ),
    (
        "PTA-IL",
        "B",
        2,
        date(2026, 4, 15),
        "routine",
        "success",
        "success",
        [("severe", True)],
        [15.0, 25.0],
        400.0,
    ),
    ("PTA-IL", "A", 1, date(2026, 4, 16), "emergent", "", "", [], [], None),
    ("PICC", "B", 1, date(2026, 3, 12), "routine", "success", "success", [], [1.0], 5.0),
    ("PICC", "B", 2, date(2026, 4, 20), "routine", "success", "", [("mild", False)], [3.0], 15.0),
    ("PICC", "A", None, date(2026, 4, 21), "routine", "partial", "", [], [], None),
    # Outside the period.
    (
        "PTA-IL",
        "A",
        1,
        date(2025, 2, 3),
        "routine",
        "failure",
        "",
        [("death", False)],
        [99.0],
        999.0,
    ),
]


def quality_world(actor: User, operators: dict[int, User]) -> dict:
    """The nine cases above, written directly (their history is not what is tested); returns
    the rooms and the record ids in the order of CASES."""
    zone = ZoneInfo(settings.TIME_ZONE)
    rooms = {
        "A": Room.objects.create(code="QA", name="Angio A", kind="angio", modality="XA"),
        "B": Room.objects.create(code="QB", name="Angio B", kind="angio", modality="XA"),
    }
    types = {t.code: t for t in ProcedureType.objects.filter(code__in={c[0] for c in CASES})}
    records = []
    for n, (code, room, op, day, urgency, tech, clin, events, daps, kar) in enumerate(CASES, 1):
        patient = patient_create(
            actor=actor,
            mrn=f"Q{n:07d}",
            family_name=f"Quality{n}",
            given_name="Case",
            birth_date=date(1950, 1, n),
            sex="F",
        )
        at = datetime.combine(day, time(10, 0), zone)
        order = Order.objects.create(
            patient=patient,
            procedure_type=types[code],
            priority=urgency,
            accession_number=f"QA{n:06d}",
            requested_procedure_id=f"QR{n:06d}",
            study_instance_uid=f"1.2.826.0.1.3680043.10.999.{n}",
            status="completed",
        )
        booking = Booking.objects.create(
            order=order,
            patient=patient,
            room=rooms[room],
            start=at,
            end=at + timedelta(hours=1),
            primary_operator=operators[op] if op else None,
            sps_id=f"QS{n:06d}",
            modality="XA",
            status="discharged",
        )
        record = ProcedureRecord.objects.create(
            booking=booking,
            order=order,
            patient=patient,
            status="completed",
            checked_in_at=at,
            checked_in_by=actor,
            technical_success=tech,
            clinical_success=clin,
        )
        for grade, in_error in events:
            AdverseEvent.objects.create(
                patient=patient,
                record=record,
                onset_at=at + timedelta(hours=2),
                detection="recovery",
                description=f"Event {grade} of case {n}",
                sir_grade=grade,
                attribution="procedure",
                outcome="resolved",
                entered_in_error=in_error,
                recorded_by=actor,
            )
        for i, dap in enumerate(daps):
            RadiationDoseReport.objects.create(
                sop_instance_uid=f"1.2.826.0.1.3680043.10.998.{n}.{i}",
                sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
                template="projection",
                performed_at=at,
                dap_counted_gy_cm2=dap,
                ka_r_counted_mgy=kar if i == 0 else 0.0,
                patient=patient,
                order=order,
                booking=booking,
                link_status="linked",
            )
        records.append(record.pk)
    return {"rooms": rooms, "records": records}
