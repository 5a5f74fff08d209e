"""The draft follows the record: indication, sedation and the agents given, access, contrast,
devices with UDI / lot / serial and whether they stayed in, specimens, the dose totals and
alerts of the ingested dose report, and the adverse events as complications. Signing refuses
complications that say none while an adverse event is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from irflow.clinical.formatting import fmt_number
from irflow.dose.selectors import dose_totals_for_order
from irflow.lib.errors import ValidationFailed
from irflow.outcomes.services import adverse_event_record
from irflow.procedures import services as procedures
from irflow.reports import services
from irflow.reports.drafting import MSG_COMPLICATIONS_SAY_NONE, NONE_RECORDED, says_none
from irflow.reports.tests.conftest import INDICATION, drafted, fully_recorded
from irflow.testing.cases import booked, documented, fresh_room, past_weekday_at
from irflow.testing.outcomes import ae_facts

pytestmark = pytest.mark.django_db


def haematoma(actor, record) -> None:
    adverse_event_record(
        actor=actor,
        procedure_id=record.pk,
        onset_at=record.out_at + timedelta(minutes=30),
        detection="recovery",
        description="Groin haematoma",
        sir_grade="moderate",
        attribution="procedure",
        management="Compression",
        outcome="resolved",
        **ae_facts(therapy="substantial"),
    )


def test_the_draft_holds_what_was_recorded(attending, patient, angio_room):
    record = fully_recorded(attending, patient, angio_room)
    report = services.report_start(actor=attending, procedure_id=record.pk)
    sections = report.sections
    assert sections["indication"] == INDICATION
    assert sections["findings"] == "Patent infrarenal IVC, single renal veins at L1."

    technique = sections["technique"]
    assert "Sedation: moderate sedation; Midazolam 2 mg, Fentanyl 50 microgram." in technique
    assert "Propofol" not in technique  # struck out as entered in error
    assert "Access: right common femoral vein." in technique
    assert "Contrast: Iohexol 300, 30 ml intravenous." in technique
    assert (
        "IVC filter (Cook), UDI (01)00884838035683(17)491231(10)LOT42(21)SN7, lot LOT42, "
        "serial SN7, left in the patient" in technique
    )
    assert "Sheath 10 Fr, lot SH981." in technique  # used, not left in
    assert "Specimens: A1 (Thrombus) sent to Histopathology." in technique
    dose = dose_totals_for_order(actor=attending, order=record.order)
    assert dose is not None and dose.ka_r_mgy == pytest.approx(6000)
    assert dose.dap_gy_cm2 and dose.fluoro_time_s
    assert (
        f"Radiation dose: Ka,r 6000 mGy, DAP {fmt_number(dose.dap_gy_cm2)} Gy·cm², "
        f"fluoroscopy time {round(dose.fluoro_time_s)} s." in technique
    )
    assert (
        "Dose alert: substantial radiation dose level reached — reference air kerma 6000 mGy "
        "(level 5000 mGy)." in technique
    )
    assert "Dose alert: notification level reached — reference air kerma 6000 mGy" in technique

    complications = sections["complications"]
    assert complications.startswith(
        "Groin haematoma (in recovery): SIR 2017 grade mild; legacy SIR class A (minor); "
        "CIRSE grade 1. Attributed to the procedure. Management: Manual compression for 10 "
        "minutes. Outcome: resolved."
    )
    assert "Noted during the procedure: Brief vasovagal episode" in complications
    assert not says_none(complications)


def test_complications_are_the_events_text_else_none_recorded(attending, patient, angio_room):
    quiet = documented(attending, booked(attending, patient, angio_room, start=past_weekday_at(9)))
    report = services.report_start(actor=attending, procedure_id=quiet.pk)
    assert report.sections["complications"] == NONE_RECORDED
    assert "technique" not in report.sections or "Dose" not in report.sections["technique"]

    eventful = documented(
        attending, booked(attending, patient, fresh_room(), start=past_weekday_at(13))
    )
    procedures.procedure_record_update(
        actor=attending,
        procedure_id=eventful.pk,
        group="findings",
        values={"intra_procedure_events": "Transient bradycardia, atropine 0.5 mg."},
    )
    report = services.report_start(actor=attending, procedure_id=eventful.pk)
    assert report.sections["complications"] == "Transient bradycardia, atropine 0.5 mg."


@pytest.mark.parametrize("written", ["None.", "none", "Nil", "  ", "No complications.", "NAD"])
def test_signing_refuses_complications_that_say_none_while_an_event_is_recorded(
    attending, record, written
):
    report = drafted(attending, record)
    assert report.sections["complications"] == NONE_RECORDED
    haematoma(attending, record)  # recorded in recovery, after the draft was started
    services.report_update(
        actor=attending, report_id=report.pk, sections={"complications": written}
    )
    for action in (services.report_sign, services.report_submit):
        with pytest.raises(ValidationFailed) as exc:
            action(actor=attending, report_id=report.pk)
        assert exc.value.errors == {"section_complications": [MSG_COMPLICATIONS_SAY_NONE]}
    services.report_update(
        actor=attending,
        report_id=report.pk,
        sections={"complications": "Moderate groin haematoma, compression; resolved."},
    )
    assert services.report_sign(actor=attending, report_id=report.pk).status == "final"


def test_co_signing_refuses_it_too(personas, record):
    trainee, attending = personas["trainee"], personas["attending"]
    report = drafted(trainee, record)
    services.report_submit(actor=trainee, report_id=report.pk)
    haematoma(attending, record)
    with pytest.raises(ValidationFailed) as exc:
        services.report_cosign(actor=attending, report_id=report.pk)
    assert exc.value.errors == {"section_complications": [MSG_COMPLICATIONS_SAY_NONE]}


def test_without_an_adverse_event_none_may_be_signed(attending, record):
    report = drafted(attending, record)
    services.report_update(actor=attending, report_id=report.pk, sections={"complications": ""})
    assert services.report_sign(actor=attending, report_id=report.pk).status == "final"


def test_says_none_reads_the_usual_ways_of_writing_none():
    for text in ("None.", "nil", "None recorded.", "No immediate complications", "", None):
        assert says_none(text)
    for text in ("Groin haematoma.", "None of note except a small haematoma."):
        assert not says_none(text)
