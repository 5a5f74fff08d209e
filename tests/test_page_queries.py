"""The page budget's query counts (bench/pages.py times the same pages at scale): each page
and API list costs the same number of queries whether it shows 3 rows or 30, under a
ceiling. The Today board and the schedule are counted in irflow/dayofcase's own tests.

Every count includes what the request really does: session and user, permissions, the
access-log rows the read writes, the template's own queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    # Not counted: a first view, which may write the session's activity (at most once a
    # minute, so a slow set-up can make any one view pay for it).
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code, answer.content[:300])
    return len(ctx.captured_queries)


def counts(client, urls: list[str]) -> dict[str, int]:
    queries(client, urls[0])  # the session's first use is not part of any page
    return {url: queries(client, url) for url in urls}


def same_for_3_and_30(client, urls: list[str], add_rows, *, ceiling: int) -> dict[str, int]:
    """Count each page with 3 rows, add 27 with `add_rows`, count again: equal and under
    `ceiling`. Returns the counts."""
    add_rows(0, 3)
    few = counts(client, urls)
    add_rows(3, 30)
    many = counts(client, urls)
    assert many == few, f"queries grow with rows: {few} → {many}"
    assert max(many.values()) <= ceiling, many
    return many


# --- patients -------------------------------------------------------------------------------


def _patients(attending, start: int, stop: int, *, family: str = "Quarry") -> list:
    from irflow.patients.services import patient_create

    return [
        patient_create(
            actor=attending,
            mrn=f"Q{i:07d}",
            family_name=family,
            given_name=f"Given{chr(65 + i % 26)}{i}",
            birth_date=date(1950, 1, 1) + timedelta(days=i),
            sex="F",
        )
        for i in range(start, stop)
    ]


def test_patient_search_by_name_and_mrn(client, personas):
    attending = personas["attending"]
    login(client, attending)
    urls = ["/patients/?q=quarr", "/api/patients?q=quarr", "/patients/?q=Q0000001"]
    same_for_3_and_30(client, urls, lambda a, b: _patients(attending, a, b), ceiling=12)


def test_patient_chart(client, personas, patient):
    """The chart with its parts (loaded by the browser on open) as 3 and 30 referrals."""
    from irflow.catalogue.models import ProcedureType
    from irflow.patients.services import care_relation_add
    from irflow.referrals.services import referral_create
    from irflow.testing.fixtures import page_with_parts

    referrer = personas["referrer"]
    care_relation_add(patient_id=patient.pk, clinician_id=referrer.pk)
    picc = ProcedureType.objects.get(code="PICC")

    def add(a: int, b: int) -> None:
        for i in range(a, b):
            referral_create(
                actor=referrer,
                patient_id=patient.pk,
                clinical_question=f"Line {i}?",
                urgency="routine",
                procedure_type=picc,
                medications=f"Drug{i} 5 mg daily",
            )

    login(client, personas["attending"])
    url = f"/patients/{patient.pk}/"

    def chart() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page_with_parts(client, url)
        return len(ctx.captured_queries)

    add(0, 3)
    chart()
    few = chart()
    add(3, 30)
    many = chart()
    assert many == few and many <= 120, (few, many)


# --- referrals ------------------------------------------------------------------------------


def _referrals(personas, start: int, stop: int) -> None:
    from irflow.catalogue.models import ProcedureType
    from irflow.patients.services import care_relation_add
    from irflow.referrals.services import referral_accept, referral_create

    referrer, attending = personas["referrer"], personas["attending"]
    picc = ProcedureType.objects.get(code="PICC")
    for patient in _patients(attending, start, stop, family="Refer"):
        care_relation_add(patient_id=patient.pk, clinician_id=referrer.pk)
        referral = referral_create(
            actor=referrer,
            patient_id=patient.pk,
            clinical_question="PICC for antibiotics?",
            urgency="urgent" if patient.pk % 2 else "routine",
            procedure_type=picc,
        )
        if patient.pk % 3 == 0:
            referral_accept(actor=attending, referral_id=referral.pk)


@pytest.mark.parametrize("role", ["referrer", "attending"])
def test_referral_lists(client, personas, role):
    login(client, personas[role])
    urls = ["/referrals/", "/api/referrals"]
    if role == "attending":
        urls += ["/referrals/triage/", "/api/referrals/queue"]
    same_for_3_and_30(client, urls, lambda a, b: _referrals(personas, a, b), ceiling=15)


# --- orders, bookings, follow-up ------------------------------------------------------------


def test_order_and_booking_lists(client, personas, angio_room):
    from irflow.testing.fixtures import make_booking, make_order, next_weekday_at

    attending, scheduler = personas["attending"], personas["scheduler"]
    day = next_weekday_at(8, days_ahead=7)

    def add(a: int, b: int) -> None:
        for i, patient in enumerate(_patients(attending, a, b, family="Order"), start=a):
            order = make_order(attending, patient, "PICC")
            if i % 2 == 0:
                start = day + timedelta(minutes=30 * (i // 2))
                make_booking(scheduler, order, angio_room, start)

    login(client, attending)
    urls = [
        "/api/orders",
        "/api/orders?to_book=true",
        f"/api/scheduling/bookings?date={day.date()}",
    ]
    same_for_3_and_30(client, urls, add, ceiling=12)


def test_followup_due(client, personas, patient):
    """The follow-up list and API, as 3 and 30 tasks fall due."""
    from irflow.followup.models import FollowUpTask
    from irflow.testing.fixtures import make_order

    attending = personas["attending"]

    def add(a: int, b: int) -> None:
        for p in _patients(attending, a, b, family="Follow"):
            order = make_order(attending, p, "PICC")
            FollowUpTask.objects.create(
                patient=p,
                order=order,
                kind="clinic",
                description="Review in clinic.",
                due_date=date.today() - timedelta(days=p.pk % 3),
            )

    login(client, attending)
    same_for_3_and_30(client, ["/followup/", "/api/followup/due"], add, ceiling=12)


# --- audit ----------------------------------------------------------------------------------


def test_audit_views(client, personas):
    """The auditor's access log and change history, as 3 and 30 rows match."""
    from irflow.audit.models import AccessLog

    attending = personas["attending"]

    def add(a: int, b: int) -> None:
        shown = _patients(attending, a, b, family="Audit")  # writes history rows
        AccessLog.objects.bulk_create(
            AccessLog(
                user=attending,
                username=attending.username,
                role=attending.role,
                patient_id=p.pk,
                patient_label=str(p),
                what="chart",
            )
            for p in shown
        )

    login(client, personas["auditor"])
    urls = [
        f"/audit/?username={attending.username}",
        f"/audit/?view=history&username={attending.username}",
        f"/api/audit/access?username={attending.username}",
        f"/api/audit/history?username={attending.username}",
    ]
    same_for_3_and_30(client, urls, add, ceiling=12)


# --- readiness ------------------------------------------------------------------------------


def test_readiness_page(client, personas, patient):
    """A booking's readiness as its patient has 3 and 30 medications, allergies and labs
    (written in bulk: the services' own re-evaluations would cost the test seconds)."""
    from decimal import Decimal

    from django.utils import timezone

    from irflow.patients.models import ANALYTE_UNITS, Allergy, LabResult, Medication
    from irflow.testing.cases import booked, fresh_room

    attending = personas["attending"]
    booking = booked(attending, patient, fresh_room())
    drugs = ["apixaban", "aspirin", "clopidogrel"]
    analytes = [("inr", "1.1"), ("platelets", "250"), ("haemoglobin", "130")]

    def add(a: int, b: int) -> None:
        now = timezone.now()
        Medication.objects.bulk_create(
            Medication(
                patient=patient,
                name=f"Drug {i}",
                drug=drugs[i % 3],
                dose=Decimal(5),
                dose_unit="mg",
                frequency="bd",
                dose_times=["08:00", "20:00"],
                is_antithrombotic=True,
            )
            for i in range(a, b)
        )
        Allergy.objects.bulk_create(
            Allergy(patient=patient, agent=f"Agent {i}", category="drug", severity="mild")
            for i in range(a, b)
        )
        LabResult.objects.bulk_create(
            LabResult(
                patient=patient,
                analyte=analytes[i % 3][0],
                value=Decimal(analytes[i % 3][1]),
                unit=ANALYTE_UNITS[analytes[i % 3][0]],
                collected_at=now - timedelta(hours=i + 1),
                recorded_by=attending,
            )
            for i in range(a, b)
        )

    login(client, personas["nurse"])
    urls = [f"/readiness/bookings/{booking.pk}/", f"/api/readiness/bookings/{booking.pk}"]
    same_for_3_and_30(client, urls, add, ceiling=30)


# --- dose -----------------------------------------------------------------------------------


def _dose_reports(attending, patient, counts: list[int]) -> list[int]:
    """One TACE order per entry of `counts`, each with a dose report of that many events,
    received and processed as the listener's would be; returns the order ids."""
    import tempfile
    from pathlib import Path

    from django.test import override_settings

    from irflow.accounts.actors import SYSTEM
    from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
    from irflow.dose import storage
    from irflow.dose.services import received_process, received_record
    from irflow.testing.fixtures import make_order

    orders = []
    with tempfile.TemporaryDirectory() as folder, override_settings(DATA_DIR=Path(folder)):
        for n in counts:
            order = make_order(attending, patient, "TACE")
            rdsr = ProjectionRdsr(
                events=make_events(n, seed=n + order.pk),
                seed=order.pk,
                patient_id=patient.mrn,
                study_instance_uid=order.study_instance_uid,
                accession_number=order.accession_number,
                mpps_uid=None,
            )
            received = received_record(
                stored=storage.store_durably(rdsr.to_bytes()), channel="import"
            )
            received_process(actor=SYSTEM, received_id=received.pk)
            orders.append(order.pk)
    return orders


def test_dose_review_of_3_and_30_events(client, personas, patient):
    few, many = _dose_reports(personas["attending"], patient, [3, 30])
    login(client, personas["qi_lead"])
    counts(client, [f"/dose/orders/{few}/"])
    assert queries(client, f"/dose/orders/{few}/") == queries(client, f"/dose/orders/{many}/")
    assert queries(client, f"/dose/orders/{many}/") <= 30


def test_dose_lists(client, personas):
    attending = personas["attending"]

    def add(a: int, b: int) -> None:
        for p in _patients(attending, a, b, family="Dose"):
            _dose_reports(attending, p, [2])

    login(client, personas["qi_lead"])
    urls = ["/dose/", "/dose/dashboard/", "/api/dose/reports"]
    same_for_3_and_30(client, urls, add, ceiling=20)


# --- reports --------------------------------------------------------------------------------


def test_report_worklists(client, personas):
    """The physician's report worklists with 2 and 6 drafts (each draft needs a procedure
    taken into the room: 2 and 6 keep the test cheap and still show any per-row query)."""
    from irflow.reports.services import report_start
    from irflow.testing.cases import booked, fresh_room, in_room, past_weekday_at

    attending = personas["attending"]

    def add(a: int, b: int) -> None:
        for i, p in enumerate(_patients(attending, a, b, family="Draft"), start=a):
            booking = booked(attending, p, fresh_room(), start=past_weekday_at(9 + i % 8))
            report_start(actor=attending, procedure_id=in_room(attending, booking).pk)

    login(client, attending)
    urls = ["/reports/"]
    add(0, 2)
    few = counts(client, urls)
    add(2, 6)
    assert counts(client, urls) == few and max(few.values()) <= 20, few


def test_report_with_3_and_30_addenda(client, personas, patient):
    from irflow.reports import services as reports
    from irflow.testing.cases import booked, completed, fresh_room, past_weekday_at

    attending = personas["attending"]
    done = completed(attending, booked(attending, patient, fresh_room(), start=past_weekday_at(10)))
    report = reports.report_start(actor=attending, procedure_id=done.pk)
    reports.report_update(
        actor=attending,
        report_id=report.pk,
        fields={"retrievable": "yes", "filter_position": "Infrarenal"},
        sections={"impression": "Retrievable infrarenal IVC filter placed."},
    )
    reports.report_sign(actor=attending, report_id=report.pk)

    def add(a: int, b: int) -> None:
        for i in range(a, b):
            reports.addendum_create(
                actor=attending, report_id=report.pk, text=f"Note {i}.", sign=i % 2 == 0
            )

    login(client, attending)
    urls = [f"/reports/{report.pk}/", f"/api/reports/{report.pk}"]
    same_for_3_and_30(client, urls, add, ceiling=25)


# --- quality: timeliness --------------------------------------------------------------------


def _timely(actor, referrer, start: int, stop: int) -> None:
    """Per row: a room of its own, a referral triaged and treated, its booking done (record,
    a completed MPPS step, a signed report) or, every third, cancelled as a did-not-attend."""
    from irflow.catalogue.models import ProcedureType, Room, RoomClosure
    from irflow.orders.models import Order
    from irflow.procedures.models import PerformedProcedureStep, ProcedureRecord
    from irflow.referrals.models import Referral
    from irflow.reports.models import Report
    from irflow.scheduling.models import Booking
    from irflow.testing.cases import past_weekday_at

    picc = ProcedureType.objects.get(code="PICC")
    for i, patient in enumerate(_patients(actor, start, stop, family="Timely"), start=start):
        at = past_weekday_at(9, days_back=10 + i)
        room = Room.objects.create(code=f"QT{i}", name=f"Room {i}", kind="angio", modality="XA")
        RoomClosure.objects.create(
            room=room, starts_at=at, ends_at=at + timedelta(hours=1), reason="x"
        )
        order = Order.objects.create(
            patient=patient,
            procedure_type=picc,
            accession_number=f"QT{i:06d}",
            requested_procedure_id=f"QT{i:06d}",
            study_instance_uid=f"1.2.826.0.1.3680043.10.995.{i}",
        )
        Referral.objects.create(
            patient=patient,
            referrer=referrer,
            referring_clinician="Dr R",
            clinical_question="?",
            urgency="routine",
            procedure_type=picc,
            received_at=at - timedelta(days=3),
            triaged_at=at - timedelta(days=2),
            procedure_at=at,
            order=order,
        )
        cancelled = i % 3 == 2
        booking = Booking.objects.create(
            order=order,
            patient=patient,
            room=room,
            start=at,
            end=at + timedelta(hours=1),
            sps_id=f"QT{i:06d}",
            modality="XA",
            status="cancelled" if cancelled else "discharged",
            active=not cancelled,
            cancel_reason="did_not_attend" if cancelled else "",
        )
        if cancelled:
            continue
        record = ProcedureRecord.objects.create(
            booking=booking,
            order=order,
            patient=patient,
            status="completed",
            checked_in_at=at,
            checked_in_by=actor,
            started_at=at,
            ended_at=at + timedelta(minutes=40),
        )
        PerformedProcedureStep.objects.create(
            sop_instance_uid=f"1.2.826.0.1.3680043.10.994.{i}",
            status="COMPLETED",
            booking=booking,
            room=room,
            started_at=at,
            ended_at=at + timedelta(minutes=40),
        )
        Report.objects.create(
            record=record,
            author=actor,
            status="final",
            signed_by=actor,
            signed_at=at + timedelta(hours=5),
        )


def test_quality_timeliness(client, personas):
    """The timeliness page, a download, and the referrals, procedures and bookings behind
    its figures (each list access-logged in one statement)."""

    def add(a: int, b: int) -> None:
        _timely(personas["attending"], personas["referrer"], a, b)

    login(client, personas["qi_lead"])
    base = "/quality/timeliness/"
    urls = [
        base,
        f"{base}rooms.csv",
        f"{base}cases/?show=triage",
        f"{base}cases/?show=signed",
        f"{base}cases/?show=cancelled&reason=did_not_attend",
        f"{base}cases/?show=booked",
    ]
    same_for_3_and_30(client, urls, add, ceiling=30)
