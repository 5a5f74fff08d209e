"""Dose alerts from the rule data, and the skin follow-up a substantial dose creates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from auditlog.models import LogEntry

from irflow.accounts.roles import Role
from irflow.clinical import ruleset, skin_followup_window_days
from irflow.clinical.radiation import CUMULATIVE_REVIEW, NOTIFICATION, SKIN_FOLLOWUP, SRDL_RULES
from irflow.dicom.rdsr_builder import make_events
from irflow.dose.models import AlertLevel, DoseAlert
from irflow.dose.services import dose_alert_acknowledge
from irflow.dose.services.alerts import MSG_ALREADY_ACKNOWLEDGED
from irflow.dose.tests.conftest import STUDY_AT, ingest, scaled
from irflow.followup.models import FollowUpKind, FollowUpStatus, FollowUpTask
from irflow.lib.errors import Forbidden, ValidationFailed
from irflow.testing.fixtures import make_order, make_user

pytestmark = pytest.mark.django_db


def high_dose_events(total_mgy: float, count: int = 4, seed: int = 20):
    return scaled(make_events(count, seed=seed), dose_rp_mgy=total_mgy / count)


def test_srdl_creates_the_skin_follow_up_with_owner_and_due_date(case):
    report = ingest(case.rdsr(high_dose_events(6200)).to_bytes()).report

    alert = DoseAlert.objects.get(order=case.order, rule_id=SRDL_RULES["ka_r_mgy"])
    assert alert.level == AlertLevel.SRDL and alert.value == pytest.approx(6200)
    assert alert.threshold == pytest.approx(5000)
    assert alert.rule_set_version == ruleset("ncrp-168-radiation").version and alert.verified
    task = FollowUpTask.objects.get(order=case.order)
    assert alert.followup_task == task
    assert task.kind == FollowUpKind.SKIN_CHECK and task.status == FollowUpStatus.OPEN
    assert task.patient == case.patient
    assert task.owner == case.operator  # the booking's primary operator
    start, end = skin_followup_window_days()
    assert (start, end) == (14, 28)
    assert task.window_start == STUDY_AT.date() + timedelta(days=start)
    assert task.due_date == STUDY_AT.date() + timedelta(days=end)
    assert task.source_rule_id == SKIN_FOLLOWUP
    assert task.source_rule_version == alert.rule_set_version
    assert task.source == f"dose report {report.pk}"
    assert "6200 mGy" in task.description


def test_exactly_at_the_srdl_counts(case):
    ingest(case.rdsr(high_dose_events(5000)).to_bytes())

    assert FollowUpTask.objects.filter(order=case.order, kind="skin_check").exists()


def test_below_the_srdl_only_the_notification_level(case):
    ingest(case.rdsr(high_dose_events(3400)).to_bytes())

    alerts = DoseAlert.objects.filter(order=case.order)
    assert [(a.rule_id, a.threshold) for a in alerts] == [(NOTIFICATION, 3000)]
    assert not FollowUpTask.objects.exists()


def test_a_second_report_raises_the_level_but_creates_no_second_task(case):
    events = high_dose_events(6000, count=6, seed=21)
    ingest(case.rdsr(events[:4], sop_instance_uid="2.25.401").to_bytes())
    notification = DoseAlert.objects.get(order=case.order, rule_id=NOTIFICATION)
    assert notification.threshold == 4000
    ingest(case.rdsr(events, sop_instance_uid="2.25.402").to_bytes())

    notification.refresh_from_db()
    assert notification.threshold == 6000 and notification.value == pytest.approx(6000)
    assert FollowUpTask.objects.filter(order=case.order).count() == 1


def test_owner_falls_back_to_the_ordering_physician(personas, patient):
    orderer = make_user("orderer", Role.PHYSICIAN)
    order = make_order(orderer, patient, code="TACE")
    from irflow.dicom.rdsr_builder import ProjectionRdsr

    rdsr = ProjectionRdsr(
        events=high_dose_events(5500),
        patient_id=patient.mrn,
        study_instance_uid=order.study_instance_uid,
        accession_number=order.accession_number,
        mpps_uid=None,
    )

    ingest(rdsr.to_bytes())

    assert FollowUpTask.objects.get(order=order).owner == orderer


def test_kap_srdl_alone_also_calls_for_the_skin_check(case):
    events = make_events(4, seed=22)
    events = tuple(replace(e, dap_gy_cm2=130.0, dose_rp_mgy=10.0) for e in events)

    ingest(case.rdsr(events).to_bytes())

    kap = DoseAlert.objects.get(order=case.order, rule_id=SRDL_RULES["kap_gy_cm2"])
    assert not kap.verified  # a site default, not a published fact
    assert FollowUpTask.objects.filter(order=case.order).count() == 1


def test_cumulative_dose_over_the_window_triggers_a_review(personas, patient, angio_room):
    from irflow.dicom.rdsr_builder import ProjectionRdsr

    attending = personas["attending"]
    reports = []
    for day, seed in ((datetime(2025, 3, 1, 10), 30), (datetime(2025, 4, 10, 10), 31)):
        order = make_order(attending, patient, code="TACE")
        rdsr = ProjectionRdsr(
            events=high_dose_events(8000, seed=seed),
            patient_id=patient.mrn,
            study_instance_uid=order.study_instance_uid,
            accession_number=order.accession_number,
            mpps_uid=None,
            study_datetime=day,
            timezone_offset=None,
            seed=seed,
        )
        reports.append(ingest(rdsr.to_bytes()).report)

    review = DoseAlert.objects.get(order=reports[1].order, rule_id=CUMULATIVE_REVIEW)
    assert review.value == pytest.approx(16000)  # both within the 60-day window
    assert not DoseAlert.objects.filter(order=reports[0].order, rule_id=CUMULATIVE_REVIEW)


def test_acknowledgement_is_the_physicians_and_is_audited(case, personas):
    ingest(case.rdsr(high_dose_events(6000)).to_bytes())
    alert = DoseAlert.objects.get(order=case.order, rule_id=SRDL_RULES["ka_r_mgy"])

    with pytest.raises(Forbidden):
        dose_alert_acknowledge(actor=personas["nurse"], alert_id=alert.pk)
    done = dose_alert_acknowledge(
        actor=personas["attending"], alert_id=alert.pk, note="Patient informed"
    )

    assert done.acknowledged_by == personas["attending"] and done.acknowledged_at is not None
    entry = LogEntry.objects.get_for_object(alert).filter(actor=personas["attending"]).get()
    assert "acknowledged_by" in entry.changes_dict
    with pytest.raises(ValidationFailed) as exc:
        dose_alert_acknowledge(actor=personas["attending"], alert_id=alert.pk)
    assert exc.value.errors == {"alert": [MSG_ALREADY_ACKNOWLEDGED]}


def test_follow_up_due_dates_follow_the_report_date_not_today(case):
    ingest(case.rdsr(high_dose_events(7000), study_datetime=datetime(2024, 1, 30, 8)).to_bytes())

    task = FollowUpTask.objects.get(order=case.order)
    assert task.due_date == date(2024, 2, 27)


def test_the_report_list_counts_each_orders_alerts(case, personas):
    from irflow.dose.selectors import dose_reports_list

    report = ingest(case.rdsr(high_dose_events(6200)).to_bytes()).report
    expected = DoseAlert.objects.filter(order=case.order).count()
    assert expected >= 2  # the notification level and the SRDL

    listed = dose_reports_list(actor=personas["qi_lead"])
    assert [(r.pk, r.alert_count) for r in listed] == [(report.pk, expected)]
