"""Repeated procedures: the SRDL applied to the patient's cumulative Ka,r within the window —
one alert and one skin follow-up per crossing, naming every contributing procedure."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from irflow.accounts.actors import SYSTEM
from irflow.clinical import messages as msg
from irflow.clinical.cumulative_dose import CUMULATIVE_SRDL
from irflow.clinical.radiation import SRDL_RULES
from irflow.clinical.tests.templates import matches
from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events
from irflow.dose.models import AlertLevel, DoseAlert, RadiationDoseReport
from irflow.dose.services import dose_report_link
from irflow.dose.services.alerts import MSG_CUMULATIVE_WITHDRAWN, patient_cumulative_refresh
from irflow.dose.tests.conftest import ingest, scaled
from irflow.followup.models import FollowUpKind, FollowUpTask
from irflow.testing.fixtures import (
    login,
    make_booking,
    make_order,
    next_weekday_at,
    page_with_parts,
)

pytestmark = pytest.mark.django_db

KA_R = CUMULATIVE_SRDL["ka_r_mgy"]
FIRST = datetime(2025, 3, 3, 10, 0)


@pytest.fixture
def procedure(personas, patient, angio_room):
    """`procedure(days, ka_r_mgy)`: a TACE of the patient, booked with the attending as
    operator, whose dose report (performed `days` after FIRST) is received and linked."""
    attending = personas["attending"]

    def make(days: int, ka_r_mgy: float, *, link: bool = True, seed: int | None = None):
        order = make_order(attending, patient, code="TACE")
        make_booking(
            personas["scheduler"],
            order,
            angio_room,
            next_weekday_at(9) + timedelta(days=7 * days),
            primary_operator=attending,
        )
        seed = seed if seed is not None else 100 + days
        rdsr = ProjectionRdsr(
            events=scaled(make_events(4, seed=seed), dose_rp_mgy=ka_r_mgy / 4),
            patient_id=patient.mrn,
            study_instance_uid=order.study_instance_uid if link else None,
            accession_number=order.accession_number if link else "NOPE0000",
            mpps_uid=None,
            study_datetime=FIRST + timedelta(days=days),
            timezone_offset=None,
            seed=seed,
        )
        return order, ingest(rdsr.to_bytes()).report

    return make


def cumulative(patient) -> list[DoseAlert]:
    return list(DoseAlert.objects.filter(patient=patient, rule_id=KA_R))


# (procedures as (days after the first, Ka,r mGy), whether the cumulative SRDL is reached)
TABLE = [
    ([(0, 2450), (30, 2450)], False),  # 4.9 Gy inside the window
    ([(0, 2550), (30, 2550)], True),  # 5.1 Gy inside the window
    ([(0, 2550), (61, 2550)], False),  # 5.1 Gy spread over more than the window
    ([(0, 2550), (60, 2550)], True),  # the boundary day of the window counts
    ([(0, 2500), (30, 2500)], True),  # exactly the SRDL
]


@pytest.mark.parametrize(("doses", "reached"), TABLE)
def test_the_cumulative_srdl_on_both_sides(patient, procedure, doses, reached):
    made = [procedure(days, ka_r) for days, ka_r in doses]

    alerts = cumulative(patient)
    assert len(alerts) == int(reached)
    tasks = FollowUpTask.objects.filter(patient=patient, kind=FollowUpKind.SKIN_CHECK)
    assert tasks.count() == int(reached)
    assert not DoseAlert.objects.filter(rule_id=SRDL_RULES["ka_r_mgy"]).exists()
    if reached:
        (alert,) = alerts
        assert alert.order == made[-1][0]  # the procedure whose dose made the sum reach
        assert alert.level == AlertLevel.SRDL and alert.threshold == 5000
        assert alert.value == pytest.approx(sum(k for _, k in doses))
        assert alert.confidence == "S" and alert.verified
        assert matches(msg.ALERT_CUMULATIVE_SRDL, alert.message)
        assert alert.followup_task == tasks.get()


def test_the_alert_names_every_procedure_with_its_date_ka_r_and_psd(patient, procedure, personas):
    first, _ = procedure(0, 2550)
    second, _ = procedure(30, 2550)

    (alert,) = cumulative(patient)
    texts = [c["text"] for c in alert.contributions]
    assert texts == [
        f"03 Mar 2025 · {first.procedure_type.name} ({first.accession_number}): "
        "Ka,r 2550 mGy, PSD not known",
        f"02 Apr 2025 · {second.procedure_type.name} ({second.accession_number}): "
        "Ka,r 2550 mGy, PSD not known",
    ]
    task = alert.followup_task
    assert task.order == second and task.owner == personas["attending"]
    assert all(text in task.description for text in texts)
    assert task.window_start == date(2025, 4, 2) + timedelta(days=14)
    assert task.due_date == date(2025, 4, 2) + timedelta(days=28)


def test_a_third_procedure_extends_the_crossing_one_alert_one_task(patient, procedure, personas):
    from irflow.dose.services import dose_alert_acknowledge

    procedure(0, 2550)
    procedure(30, 2550)
    (alert,) = cumulative(patient)
    dose_alert_acknowledge(actor=personas["attending"], alert_id=alert.pk, note="Told")
    procedure(45, 1000)

    (again,) = cumulative(patient)
    assert again.pk == alert.pk and len(again.contributions) == 3
    assert again.value == pytest.approx(6100)
    assert again.acknowledged_at is None  # a further dose: acknowledged again
    assert FollowUpTask.objects.filter(patient=patient, kind="skin_check").count() == 1


def test_no_second_task_when_a_single_procedure_srdl_already_has_one(patient, procedure):
    first, _ = procedure(0, 6000)
    single = DoseAlert.objects.get(order=first, rule_id=SRDL_RULES["ka_r_mgy"])
    procedure(20, 800)

    (alert,) = cumulative(patient)
    assert alert.value == pytest.approx(6800)
    assert alert.followup_task == single.followup_task
    assert FollowUpTask.objects.filter(patient=patient, kind="skin_check").count() == 1


def test_a_report_linked_by_hand_re_evaluates_the_cumulative_dose(patient, procedure, personas):
    procedure(0, 2550)
    late, report = procedure(30, 2550, link=False)
    assert report.link_status != "linked" and not cumulative(patient)

    dose_report_link(actor=personas["technologist"], report_id=report.pk, order_id=late.pk)

    (alert,) = cumulative(patient)
    assert {c["order_id"] for c in alert.contributions} == {
        o.order_id for o in RadiationDoseReport.objects.filter(patient=patient)
    }


def test_a_report_of_an_earlier_procedure_arriving_late_joins_the_same_crossing(patient, procedure):
    procedure(30, 2550)
    procedure(0, 2550)  # received second, performed first
    procedure(40, 500)

    (alert,) = cumulative(patient)
    assert len(alert.contributions) == 3
    assert [c["on"] for c in alert.contributions] == ["2025-03-03", "2025-04-02", "2025-04-12"]
    assert FollowUpTask.objects.filter(patient=patient, kind="skin_check").count() == 1


def test_a_correction_below_the_level_keeps_the_alert_and_says_so(patient, procedure):
    _, report = procedure(0, 2550)
    procedure(30, 2550)
    RadiationDoseReport.objects.filter(pk=report.pk).update(ka_r_counted_mgy=1000)

    assert patient_cumulative_refresh(actor=SYSTEM, patient_id=patient.pk) == []

    (alert,) = cumulative(patient)
    assert alert.message.startswith(MSG_CUMULATIVE_WITHDRAWN.format(message=""))
    assert FollowUpTask.objects.filter(patient=patient, kind="skin_check").count() == 1


def test_refreshing_again_changes_nothing(patient, procedure):
    procedure(0, 2550)
    procedure(30, 2550)
    (alert,) = cumulative(patient)

    patient_cumulative_refresh(actor=SYSTEM, patient_id=patient.pk)

    (again,) = cumulative(patient)
    assert again.updated_at == alert.updated_at


def test_every_contributing_procedures_dose_review_shows_the_alert(
    client, patient, procedure, personas
):
    first, _ = procedure(0, 2550)
    second, _ = procedure(30, 2550)
    (alert,) = cumulative(patient)
    for persona in ("attending", "qi_lead"):
        login(client, personas[persona])
        for order in (first, second):
            page = client.get(f"/dose/orders/{order.pk}/").content.decode()
            assert alert.message in page
            assert "Contributing procedures (within 60 days)" in page
            assert "<td>3 Mar 2025</td>" in page and "<td>2 Apr 2025</td>" in page
            assert "not known" in page
            assert (first.accession_number in page) == (persona == "attending")


def test_the_patients_chart_shows_the_cumulative_alert_with_its_procedures(
    client, patient, procedure, personas
):
    first, _ = procedure(0, 2550)
    second, _ = procedure(30, 2550)
    (alert,) = cumulative(patient)
    login(client, personas["nurse"])
    chart = page_with_parts(client, f"/patients/{patient.pk}/")
    assert "Radiation dose" in chart and alert.message in chart
    assert "3 Mar 2025" in chart and "2 Apr 2025" in chart
    for order in (first, second):
        assert f"/dose/orders/{order.pk}/" in chart
    assert "Ka,r 2,550 mGy · PSD not known" in chart
    login(client, personas["scheduler"])  # sees the chart, not dose: no card
    assert client.get(f"/dose/patients/{patient.pk}/chart/").content.strip() == b""


def test_the_demo_shows_a_repeated_procedure_over_the_level_together():
    from irflow.demo.generator import demo_create

    today = timezone.localdate()
    demo_create(patients=30, seed=11, today=today - timedelta(days=(today.isoweekday() + 6) % 7))

    (alert,) = DoseAlert.objects.filter(rule_id=KA_R)
    # 2.7 Gy then 2.6 Gy, each split over its irradiation events (rounded to 0.01 mGy).
    assert len(alert.contributions) == 2 and alert.value == pytest.approx(5300, abs=1)
    assert alert.followup_task is not None and alert.followup_task.kind == "skin_check"


def test_the_api_gives_the_cumulative_alert_with_its_procedures(api_client, patient, procedure):
    first, _ = procedure(0, 2550)
    second, _ = procedure(30, 2550)

    body = api_client.get(f"/api/dose/orders/{first.pk}").json()
    (alert,) = [a for a in body["alerts"] if a["rule_id"] == KA_R]
    assert alert["order_id"] == second.pk
    assert alert["contributions"] == [
        {"order_id": first.pk, "on": "2025-03-03", "ka_r_mgy": 2550.0, "psd_mgy": None},
        {"order_id": second.pk, "on": "2025-04-02", "ka_r_mgy": 2550.0, "psd_mgy": None},
    ]
