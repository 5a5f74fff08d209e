"""Reading received dose reports into the database: totals, planes, events, de-duplication."""

from __future__ import annotations

import pytest
from pydicom.uid import DeflatedExplicitVRLittleEndian, ImplicitVRLittleEndian

from irflow.accounts.actors import SYSTEM
from irflow.dicom.rdsr_builder import (
    CtRdsr,
    NonDoseSr,
    ProjectionRdsr,
    RadiopharmaceuticalSr,
    UnitStyle,
    make_ct_scans,
    make_events,
)
from irflow.dose.models import (
    IrradiationEventXrayData,
    LinkMethod,
    LinkStatus,
    RadiationDoseReport,
    ReceivedObject,
    ReceivedStatus,
)
from irflow.dose.services import received_reprocess
from irflow.dose.services.alerts import order_dose_totals
from irflow.dose.services.receiving import MSG_SAME_FILE
from irflow.dose.tests.conftest import ingest

pytestmark = pytest.mark.django_db


def test_projection_report_is_stored_linked_and_counted(case):
    events = make_events(6, seed=2, biplane=True)
    rdsr = case.rdsr(events)

    outcome = ingest(rdsr.to_bytes())

    report = outcome.report
    assert outcome.status == "imported" and outcome.received.status == ReceivedStatus.PROCESSED
    assert report.order == case.order and report.patient == case.patient
    assert report.booking == case.booking
    assert report.link_status == LinkStatus.LINKED and report.link_method == LinkMethod.STUDY_UID
    expected = rdsr.planes()
    assert {p.plane for p in report.planes.all()} == {"plane_a", "plane_b"}
    total_ka_r = expected["A"].dose_rp_mgy + expected["B"].dose_rp_mgy
    assert report.ka_r_total_mgy == pytest.approx(total_ka_r)
    assert report.ka_r_counted_mgy == pytest.approx(total_ka_r)
    assert report.event_count == report.new_event_count == 6
    stored = IrradiationEventXrayData.objects.filter(report=report)
    assert {e.event_uid for e in stored} == {e.uid for e in events}
    assert order_dose_totals(order_id=case.order.pk)["ka_r_mgy"] == pytest.approx(total_ka_r)


def test_the_same_file_twice_is_a_duplicate_and_counts_once(case):
    data = case.rdsr(make_events(5, seed=3)).to_bytes()

    first = ingest(data)
    second = ingest(data)

    assert second.status == "duplicate"
    assert second.reason == MSG_SAME_FILE.format(pk=first.received.pk)
    assert second.report == first.report
    assert RadiationDoseReport.objects.count() == 1
    assert IrradiationEventXrayData.objects.count() == 5
    assert ReceivedObject.objects.count() == 2  # both receptions are on record


def test_the_same_report_in_another_encoding_is_a_duplicate(case):
    rdsr = case.rdsr(make_events(3, seed=4))

    ingest(rdsr.to_bytes())
    again = ingest(rdsr.to_bytes(transfer_syntax=ImplicitVRLittleEndian))

    assert again.status == "duplicate"
    assert "already received" in again.reason
    assert IrradiationEventXrayData.objects.count() == 3


def test_cumulative_resend_adds_only_the_new_events(case):
    events = make_events(8, seed=5)
    first = ingest(case.rdsr(events[:5], sop_instance_uid="2.25.101").to_bytes()).report
    cumulative = ingest(case.rdsr(events, sop_instance_uid="2.25.102").to_bytes()).report

    assert cumulative.event_count == 8 and cumulative.new_event_count == 3
    assert cumulative.ka_r_counted_mgy == pytest.approx(sum(e.dose_rp_mgy for e in events[5:]))
    assert IrradiationEventXrayData.objects.count() == 8
    totals = order_dose_totals(order_id=case.order.pk)
    assert totals["ka_r_mgy"] == pytest.approx(sum(e.dose_rp_mgy for e in events))
    assert totals["dap_gy_cm2"] == pytest.approx(sum(e.dap_gy_cm2 for e in events))
    fluoro = [e for e in events if e.is_fluoro]
    assert totals["fluoro_time_s"] == pytest.approx(sum(e.irradiation_duration_s for e in fluoro))
    assert first.ka_r_counted_mgy == pytest.approx(first.ka_r_total_mgy)


def test_a_resent_report_with_no_new_event_adds_nothing(case):
    events = make_events(4, seed=6)
    ingest(case.rdsr(events, sop_instance_uid="2.25.201").to_bytes())
    resent = ingest(case.rdsr(events, sop_instance_uid="2.25.202").to_bytes()).report

    assert resent.new_event_count == 0
    assert resent.ka_r_counted_mgy == 0
    assert order_dose_totals(order_id=case.order.pk)["ka_r_mgy"] == pytest.approx(
        sum(e.dose_rp_mgy for e in events)
    )


def test_continuation_report_adds_its_events(case):
    events = make_events(6, seed=7)
    ingest(case.rdsr(events[:3], sop_instance_uid="2.25.301").to_bytes())
    ingest(case.rdsr(events[3:], sop_instance_uid="2.25.302").to_bytes())

    assert IrradiationEventXrayData.objects.filter(report__order=case.order).count() == 6
    assert order_dose_totals(order_id=case.order.pk)["ka_r_mgy"] == pytest.approx(
        sum(e.dose_rp_mgy for e in events)
    )


def test_units_are_normalised_whatever_the_file_uses(case):
    events = make_events(3, seed=8)
    units = UnitStyle(dap="dGy.cm2", dose_rp="mGy", time="min", exposure="mA.s", length="cm")

    report = ingest(case.rdsr(events, units=units).to_bytes()).report

    assert report.dap_total_gy_cm2 == pytest.approx(sum(e.dap_gy_cm2 for e in events))
    assert report.ka_r_total_mgy == pytest.approx(sum(e.dose_rp_mgy for e in events))
    stored = IrradiationEventXrayData.objects.get(event_uid=events[0].uid)
    assert stored.sid_mm == pytest.approx(events[0].sid_mm)


def test_empty_values_stay_empty_not_zero(case):
    events = make_events(2, seed=9)
    rdsr = case.rdsr(events, empty_concepts=frozenset({"113725", "113738"}))

    report = ingest(rdsr.to_bytes()).report

    assert report.ka_r_total_mgy is None and report.ka_r_counted_mgy is None
    assert IrradiationEventXrayData.objects.filter(dose_rp_mgy__isnull=True).count() == 2
    assert order_dose_totals(order_id=case.order.pk)["ka_r_mgy"] is None


def test_ct_report_is_stored_with_its_acquisitions(case):
    scans = make_ct_scans(3, seed=1)
    rdsr = CtRdsr(
        scans=scans,
        patient_id=case.patient.mrn,
        study_instance_uid=case.order.study_instance_uid,
        accession_number=case.order.accession_number,
        mpps_uid=None,
        enhanced_sr=True,
    )

    report = ingest(rdsr.to_bytes(transfer_syntax=DeflatedExplicitVRLittleEndian)).report

    assert report.template == "ct"
    assert report.dlp_total_mgy_cm == pytest.approx(rdsr.dlp_total_mgy_cm)
    assert report.ct_acquisitions.count() == 3
    assert order_dose_totals(order_id=case.order.pk)["dlp_mgy_cm"] == pytest.approx(
        rdsr.dlp_total_mgy_cm
    )


def test_unknown_identifiers_go_to_reconciliation(case):
    rdsr = case.rdsr(make_events(2, seed=10), study_instance_uid=None, accession_number="NOPE0001")

    report = ingest(rdsr.to_bytes()).report

    assert report.link_status == LinkStatus.UNMATCHED and report.order is None
    assert "No order has this report's" in report.link_problem


def test_patient_mismatch_is_never_attached(case):
    rdsr = case.rdsr(make_events(2, seed=11), patient_id="SOMEONE-ELSE")

    report = ingest(rdsr.to_bytes()).report

    assert report.link_status == LinkStatus.MISMATCH
    assert report.order is None and report.patient is None
    assert "SOMEONE-ELSE" in report.link_problem
    assert order_dose_totals(order_id=case.order.pk)["ka_r_mgy"] is None


def test_link_by_accession_when_the_study_uid_is_missing(case):
    report = ingest(case.rdsr(make_events(2, seed=12), study_instance_uid=None).to_bytes()).report

    assert report.order == case.order and report.link_method == LinkMethod.ACCESSION


def test_link_by_mpps_reference(case):
    from irflow.procedures.models import PerformedProcedureStep

    step = PerformedProcedureStep.objects.create(
        sop_instance_uid="2.25.777",
        status="COMPLETED",
        booking=case.booking,
        order=case.order,
        patient=case.patient,
    )
    rdsr = case.rdsr(
        make_events(2, seed=13), study_instance_uid=None, accession_number="", mpps_uid="2.25.777"
    )

    report = ingest(rdsr.to_bytes()).report

    assert report.link_method == LinkMethod.MPPS
    assert report.performed_step == step and report.booking == case.booking


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (NonDoseSr(), "SR root concept is 18748-4"),
        (RadiopharmaceuticalSr(), "Radiopharmaceutical dose report"),
    ],
)
def test_refused_reports_are_quarantined_with_the_reason(db, builder, expected):
    outcome = ingest(builder.to_bytes())

    assert outcome.status == "rejected"
    assert outcome.received.status == ReceivedStatus.QUARANTINED
    assert expected in outcome.reason
    assert RadiationDoseReport.objects.count() == 0


def test_garbage_is_quarantined_not_crashed_on(db):
    outcome = ingest(b"this is not DICOM at all" * 20)

    assert outcome.status == "rejected" and "Not a DICOM file" in outcome.reason


def test_a_missing_file_is_quarantined_and_can_be_read_again(db, personas):
    from irflow.dose import storage
    from irflow.dose.services import received_process, received_record

    lost = storage.store_durably(b"x" * 10)
    received = received_record(stored=lost, channel="dicom")
    storage.absolute(lost.relative_path).unlink()
    outcome = received_process(actor=SYSTEM, received_id=received.pk)
    assert outcome.status == "rejected" and "cannot be read" in outcome.reason

    # The technologist puts the file back (e.g. from the modality) and reads it again.
    storage.absolute(lost.relative_path).write_bytes(
        ProjectionRdsr(events=make_events(1, seed=15), seed=15).to_bytes()
    )
    again = received_reprocess(actor=personas["technologist"], received_id=received.pk)
    assert again.status == "imported"
    assert ReceivedObject.objects.get(pk=received.pk).attempts == 2


def test_reading_is_idempotent(case):
    outcome = ingest(case.rdsr(make_events(2, seed=16)).to_bytes())
    from irflow.dose.services import received_process

    again = received_process(actor=SYSTEM, received_id=outcome.received.pk)

    assert again.status == "imported" and again.report == outcome.report
    assert RadiationDoseReport.objects.count() == 1


def test_unread_objects_are_queued_again_only_when_their_task_is_lost(db):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from irflow.dose import storage
    from irflow.dose.tasks import received_record_queued, received_requeue

    received = received_record_queued(stored=storage.store_durably(b"y" * 10), channel="dicom")
    queued = DBTaskResult.objects.filter(task_path="irflow.dose.tasks.received_process_task")
    task = queued.get()
    assert task.args_kwargs == {"args": [received.pk], "kwargs": {}}
    assert received.task_id == str(task.id)

    # Still waiting in the queue: left alone.
    assert received_requeue(older_than=timedelta(0)) == 0
    # A worker took it and died an hour ago: queued again, once.
    queued.update(status="RUNNING", started_at=timezone.now() - timedelta(hours=1))
    assert received_requeue(older_than=timedelta(minutes=10)) == 0  # queued only just now
    assert received_requeue(older_than=timedelta(0)) == 1
    assert queued.count() == 2
    assert received_requeue(older_than=timedelta(0)) == 0
