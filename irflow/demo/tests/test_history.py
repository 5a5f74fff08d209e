"""The history generator (`irflow demo --years N --procedures-per-year M`): a consistent
department history, written in bulk, that the app's own pages read; a second demo on top of
demo data; the referral demo's cost independent of the number of patients."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from irflow.audit.models import AccessLog
from irflow.board.models import BoardCase, BoardMeeting
from irflow.catalogue.models import ProcedureType
from irflow.checklists.models import ChecklistRecord
from irflow.demo.board import demo_board_create
from irflow.demo.generator import DemoContext, _first_mrn
from irflow.demo.history import History, demo_history_create
from irflow.demo.patients import demo_patients_create
from irflow.demo.referrals import demo_referrals_create
from irflow.demo.rooms import demo_rooms_create
from irflow.demo.staff import demo_staff_create
from irflow.devices.models import DeviceInSitu
from irflow.dose.models import IrradiationEventXrayData, RadiationDoseReport
from irflow.orders.models import Order
from irflow.patients.models import Patient, PatientIdentifier
from irflow.procedures.models import ProcedureRecord, ProcedureTeamMember
from irflow.readiness.models import ReadinessSnapshot
from irflow.recovery.models import RecoveryEpisode
from irflow.referrals.models import Referral, ReferralEvent
from irflow.reports.models import Report
from irflow.scheduling.models import Booking

pytestmark = pytest.mark.django_db


def _context(seed: int = 3, patients: int = 0) -> DemoContext:
    today = timezone.localdate()
    users = demo_staff_create(today=today)
    referrers = [u for u in users.values() if u.role == "referrer"]
    made = (
        demo_patients_create(count=patients, seed=seed, today=today, referrers=referrers)
        if patients
        else []
    )
    return DemoContext(
        seed=seed,
        today=today,
        users=users,
        rooms=demo_rooms_create(),
        patients=made,
        procedure_types=list(ProcedureType.objects.filter(active=True).order_by("code")),
    )


def test_a_year_of_history_is_consistent_and_the_pages_read_it(client):
    ctx = _context()
    demo_history_create(ctx, years=1, per_year=150)
    placed = ctx.counts["history procedures"]
    assert 100 <= placed <= 200

    records = ProcedureRecord.objects.all()
    assert records.count() == placed
    assert Booking.objects.filter(status="discharged").count() == placed
    assert Order.objects.filter(status="completed").count() == placed
    # Every record has its booking, order and patient, and they agree.
    assert not records.exclude(booking__order=F("order")).exists()
    assert not records.exclude(booking__patient=F("patient")).exists()
    assert not records.exclude(order__patient=F("patient")).exists()
    assert set(records.values_list("status", flat=True)) == {"completed"}
    first = timezone.localdate() - timedelta(days=366)
    assert all(first <= r.started_at.date() < timezone.localdate() for r in records)
    assert ProcedureTeamMember.objects.values("record").distinct().count() == placed
    assert RecoveryEpisode.objects.filter(discharged_at__isnull=False).count() == placed
    # Every patient has an MRN.
    assert PatientIdentifier.objects.count() == Patient.objects.count()
    # Reports: one per record, final and signed, their digest that of their content.
    reports = Report.objects.all()
    assert reports.count() == placed
    for report in reports:
        assert report.status == "final" and report.signed_by_id and report.signed_at
        assert report.content_sha256 == report.content_digest()
    # The safety record: three checklists and the readiness kept at sign-in, per booking.
    assert ChecklistRecord.objects.count() == 3 * placed
    assert ReadinessSnapshot.objects.filter(kind="sign_in").count() == placed
    # Dose reports for the fluoroscopy rooms, linked to their procedure, with their events.
    doses = RadiationDoseReport.objects.all()
    xa = Booking.objects.filter(modality="XA").count()
    assert doses.count() == xa > 0
    for dose in doses.select_related("booking", "order"):
        assert dose.link_status == "linked"
        assert dose.booking.order_id == dose.order_id and dose.order.patient_id == dose.patient_id
        assert dose.study_instance_uid == dose.order.study_instance_uid
        assert dose.event_count == IrradiationEventXrayData.objects.filter(report=dose).count()
    # Referrals with their timeline, ending done.
    referrals = Referral.objects.all()
    assert referrals.exists()
    assert set(referrals.values_list("status", flat=True)) == {"done"}
    for referral in referrals[:20]:
        steps = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "pk"))
        assert steps[0].to_status == "received" and steps[-1].to_status == "done"
        assert referral.order.status == "completed"
    assert AccessLog.objects.count() >= placed
    # Devices placed by procedures are on their patient, removed or still in.
    for device in DeviceInSitu.objects.select_related("placed_by_procedure"):
        assert device.placed_by_procedure.patient_id == device.patient_id

    # The app reads it: a chart, a procedure, a report, the dose dashboard.
    client.force_login(ctx.users["physician"])
    record = records.filter(booking__modality="XA").first() or records.first()
    for url in (
        reverse("patient-chart", args=[record.patient_id]),
        reverse("procedure-detail", args=[record.pk]),
        reverse("report-detail", args=[record.report.pk]),
        reverse("dose-dashboard"),
        reverse("dose-reports"),
    ):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url


def test_history_plans_around_the_bookings_already_there():
    """A second history over the same days finds the rooms taken and adds what fits."""
    ctx = _context(seed=4)
    demo_history_create(ctx, years=1, per_year=100)
    first = ctx.counts["history procedures"]
    demo_history_create(ctx, years=1, per_year=100)
    assert ProcedureRecord.objects.count() == first + ctx.counts["history procedures"]
    # No overlaps: the database refuses them, so every booking is there, one per record.
    assert Booking.objects.count() == ProcedureRecord.objects.count()


def test_bookings_today_tops_today_up_across_the_rooms():
    ctx = _context(seed=6)
    History(ctx, years=0, per_year=0).fill_today(60)
    tz = timezone.get_current_timezone()
    start = datetime.combine(ctx.today, time(0), tz)
    today = Booking.objects.filter(active=True, start__gte=start, start__lt=start + timedelta(1))
    assert today.count() == 60
    assert today.values("room").distinct().count() > 4  # more rooms than the demo's four
    assert not today.exclude(preparation__isnull=False).exists()
    # Asking again for as many adds nothing.
    assert History(ctx, years=0, per_year=0).fill_today(60) == 0


def test_a_second_demo_run_adds_referrals_and_board_cases_to_the_first():
    """The steps that failed on a database with demo data ("already on an agenda") and the
    MRN block of a seed already used (the rest goes through the services as in a first run)."""
    first = _context(seed=1, patients=12)
    demo_referrals_create(first)
    demo_board_create(first)
    assert _first_mrn(1) > 1_000_000 + 10_000 + 11  # the seed's block is taken: after it
    second = _context(seed=2, patients=12)
    demo_referrals_create(second)
    demo_board_create(second)
    assert BoardMeeting.objects.count() == 4
    assert second.counts["referrals"] == first.counts["referrals"] > 0
    # Each open referral waits on one agenda only.
    open_cases = BoardCase.objects.filter(decision="")
    assert open_cases.count() == open_cases.values("referral").distinct().count() > 0


def test_the_referral_demo_costs_the_same_whatever_the_number_of_patients():
    few = _context(seed=8, patients=20)
    with CaptureQueriesContext(connection) as small:
        demo_referrals_create(few)
    many = _context(seed=9, patients=300)
    with CaptureQueriesContext(connection) as large:
        demo_referrals_create(many)
    assert few.counts["referrals"] == many.counts["referrals"]
    # One query more per referrer at most (care relations added or not), and none of them
    # names every patient: the longest is as long with 300 patients as with 20.
    assert len(large) <= len(small) + 3
    longest = max(len(q["sql"]) for q in small.captured_queries)
    assert max(len(q["sql"]) for q in large.captured_queries) <= longest + 100


def test_history_memory_holds_a_bounded_window_of_patients():
    ctx = _context(seed=10)
    history = History(ctx, years=1, per_year=300)
    history.run()
    assert len(history.recent) <= history.recent.maxlen
    assert len(history.meds) <= 2 * history.recent.maxlen
    assert all(not table.rows for table in history.w.tables.values())
