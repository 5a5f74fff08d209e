"""The database -> CaseInput mapping, field by field."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from irflow.catalogue.models import ProcedureType
from irflow.orders.services import order_record_bleeding_risk
from irflow.patients.services import (
    allergy_add,
    condition_add,
    medication_add,
    medication_stop,
    patient_update,
)
from irflow.readiness import engine
from irflow.readiness.mapping import case_input, preparation_defaults
from irflow.readiness.policy import site_policy
from irflow.readiness.services import last_dose_record, preparation_update
from irflow.readiness.tests.helpers import booking_for, lab

pytestmark = pytest.mark.django_db


def case_of(booking):
    (loaded,) = engine.bookings_with_facts([booking.pk])
    return case_input(engine.facts_for([loaded], site_policy())[loaded.pk])


def test_a_new_booking_reads_the_catalogue_and_records_nothing_else(attending, patient):
    booking = booking_for(attending, patient, "ANG-LL", priority="urgent")
    case = case_of(booking)
    assert case.procedure.code == "ANG-LL"
    assert case.procedure.bleeding_risk == "low"
    # Catalogue arterial_access = true: the site is not decided, the femoral limit applies.
    assert case.procedure.arterial_access == "unspecified"
    assert case.contrast_route == "ia_first_pass"
    assert case.sedation == "moderate"
    assert case.urgency == "urgent"
    assert case.planned_start == booking.start and case.planned_end == booking.end
    # Not recorded is None, never an empty "nothing to check".
    assert case.medications is None
    assert case.allergies is None
    assert case.last_intake is None
    assert case.consent is None
    assert case.labs == ()


@pytest.mark.parametrize(
    ("code", "route", "access", "sedation"),
    [
        ("BX-LIV", "none", "none", "local"),
        ("PCN", "iv", "none", "moderate"),
        ("EVAR", "ia_first_pass", "unspecified", "general"),
        ("BX-THY", "none", "none", "none"),
    ],
)
def test_preparation_defaults_from_the_catalogue(db, code, route, access, sedation):
    defaults = preparation_defaults(ProcedureType.objects.get(code=code))
    assert defaults == {"sedation": sedation, "contrast_route": route, "access_site": access}


def test_patient_facts(attending, patient):
    booking = booking_for(attending, patient)
    condition_add(actor=attending, patient_id=patient.pk, code="chronic_liver_disease")
    condition_add(actor=attending, patient_id=patient.pk, code="dialysis")
    condition_add(actor=attending, patient_id=patient.pk, code="high_thrombotic_risk")
    p = case_of(booking).patient
    day = timezone.localtime(booking.start).date()
    assert p.age_years == patient.age_on(day)
    assert p.weight_kg == 82.0
    assert p.sex == "male"
    assert p.chronic_liver_disease and p.on_dialysis and p.thrombotic_risk == "high"
    assert p.anuric is None  # on dialysis, anuria not recorded: the rules ask for it
    assert not p.acute_kidney_injury
    preparation_update(actor=attending, booking_id=booking.pk, anuric="yes")
    assert case_of(booking).patient.anuric is True


@pytest.mark.parametrize(
    ("recorded", "chart_says_high", "expected"),
    [
        ("", False, None),  # not recorded: the rules ask for it
        ("", True, "high"),  # the chart's condition
        ("low", False, "low"),
        ("moderate", True, "moderate"),  # the preparation's answer for this booking wins
        ("high", False, "high"),
    ],
)
def test_thrombotic_risk_from_the_preparation_else_the_chart(
    attending, patient, recorded, chart_says_high, expected
):
    booking = booking_for(attending, patient)
    if chart_says_high:
        condition_add(actor=attending, patient_id=patient.pk, code="high_thrombotic_risk")
    preparation_update(actor=attending, booking_id=booking.pk, thrombotic_risk=recorded)
    assert case_of(booking).patient.thrombotic_risk == expected


def test_other_or_unknown_sex_is_not_recorded(attending, patient):
    booking = booking_for(attending, patient)
    patient_update(actor=attending, patient_id=patient.pk, sex="U")
    assert case_of(booking).patient.sex is None


def test_labs_keep_their_collection_times_and_units(attending, patient):
    booking = booking_for(attending, patient)
    at = timezone.now() - timedelta(days=1)
    lab(attending, patient, "fibrinogen", "1.8", at)
    lab(attending, patient, "inr", "1.25", at)
    (fib, inr) = sorted(case_of(booking).labs, key=lambda x: x.analyte)
    assert (fib.analyte, fib.value, fib.collected_at) == ("fibrinogen", 1.8, at)  # g/L as stored
    assert (inr.analyte, inr.value) == ("inr", 1.25)


def test_medications_with_frequency_dose_times_and_last_dose(attending, patient):
    booking = booking_for(attending, patient)
    apixaban = medication_add(
        actor=attending,
        patient_id=patient.pk,
        name="Apixaban 5 mg",
        drug="apixaban",
        dose="5",
        dose_unit="mg",
        frequency="bd",
        dose_times=["20:00", "08:00"],
    )
    medication_add(actor=attending, patient_id=patient.pk, name="Ramipril 5 mg")
    stopped = medication_add(actor=attending, patient_id=patient.pk, name="Old", drug="aspirin")
    medication_stop(actor=attending, medication_id=stopped.pk)
    taken = timezone.now() - timedelta(hours=3)
    last_dose_record(
        actor=attending, booking_id=booking.pk, medication_id=apixaban.pk, taken_at=taken
    )
    meds = {m.drug: m for m in case_of(booking).medications}
    assert set(meds) == {"apixaban", "ramipril 5 mg"}
    apx = meds["apixaban"]
    assert apx.doses_per_day == 2
    assert apx.dose_times == (time(8), time(20))
    assert apx.dose == "5 mg"
    assert apx.last_dose_at == taken
    assert apx.antithrombotic and not meds["ramipril 5 mg"].antithrombotic


def test_confirmed_lists_with_no_rows_mean_none(attending, patient):
    booking = booking_for(attending, patient)
    preparation_update(
        actor=attending,
        booking_id=booking.pk,
        medications_confirmed=True,
        allergies_confirmed=True,
        intake_asked=True,
    )
    case = case_of(booking)
    assert case.medications == () and case.allergies == () and case.last_intake == ()


def test_allergies_intake_consent_and_premedication(attending, patient):
    booking = booking_for(attending, patient, "PCN")
    allergy_add(
        actor=attending,
        patient_id=patient.pk,
        agent="Iohexol",
        category="iodinated_contrast",
        severity="moderate",
        reaction="Urticaria",
    )
    meal = timezone.now() - timedelta(hours=10)
    preparation_update(
        actor=attending,
        booking_id=booking.pk,
        last_light_meal_at=meal,
        consent="pending",
        premedication="prednisone",
        contrast_route="ia_second_pass",
    )
    case = case_of(booking)
    (allergy,) = case.allergies
    assert (allergy.agent, allergy.substance, allergy.severity) == (
        "iodinated_contrast",
        "Iohexol",
        "moderate",
    )
    assert [(i.kind, i.at) for i in case.last_intake] == [("light_meal", meal)]
    assert case.consent == "pending"
    assert case.premedication == "prednisone"
    assert case.contrast_route == "ia_second_pass"


def test_operator_choice_from_the_order(attending, patient):
    booking = booking_for(attending, patient, "PTA-FP")
    assert case_of(booking).procedure.bleeding_risk == "operator_decides"
    assert case_of(booking).procedure.operator_choice is None
    order_record_bleeding_risk(actor=attending, order_id=booking.order_id, category="low")
    assert case_of(booking).procedure.operator_choice == "low"


def test_emergent_priority_is_the_urgency(attending, patient):
    booking = booking_for(attending, patient, priority="emergent")
    assert case_of(booking).urgency == "emergent"


def test_the_charts_drug_keys_are_the_rules_drug_keys():
    from irflow.clinical import rule
    from irflow.clinical.rules import rules_where
    from irflow.patients.drugs import ANTITHROMBOTICS

    labels = {r.attr("drug"): r.attr("label") for r in rules_where() if r.attr("drug")}
    assert labels == ANTITHROMBOTICS
    never_withheld = rule("sir-2019.low-risk.do-not-withhold").values["drugs"].choices or ()
    assert set(never_withheld) <= set(ANTITHROMBOTICS)
