"""Readiness counts what a referrer reported as present until the team decides, and says it is
unconfirmed: unconfirmed vs confirmed vs rejected, for an anticoagulant and a contrast allergy."""

from __future__ import annotations

import pytest

from irflow.clinical import messages as msg
from irflow.patients import services as patients
from irflow.readiness.selectors import readiness_detail
from irflow.readiness.services import preparation_update
from irflow.readiness.tests.helpers import booking_for

pytestmark = pytest.mark.django_db
UNCONFIRMED = "(Reported by the referrer, not yet confirmed on the chart.)"
HOLD = "sir-2019.medications"  # rule ids of the apixaban hold start with this
PREMED = "acr-contrast-premedication.prior-reaction"


def _findings(booking, prefix):
    data = readiness_detail(booking_id=booking.pk).data
    return [f for f in data["findings"] if f["rule_id"].startswith(prefix)]


@pytest.mark.parametrize("decision", [None, "confirm", "reject"])
def test_reported_entries_drive_the_rules_until_rejected(attending, nurse, patient, decision):
    # PCN: IV contrast; a high-bleeding-risk procedure that holds apixaban.
    booking = booking_for(attending, patient, "PCN")
    preparation_update(actor=attending, booking_id=booking.pk, consent="signed")
    (med,), (allergy,) = patients.reported_entries_add(
        actor=attending,
        patient_id=patient.pk,
        reported_by="Referral 1 · Dr Ng",
        medications="Apixaban 5 mg twice daily",
        allergies="Iodinated contrast — hives",
    )
    if decision:
        patients.medication_reconcile(actor=nurse, medication_id=med.pk, decision=decision)
        patients.allergy_reconcile(
            actor=nurse, allergy_id=allergy.pk, decision=decision, severity="moderate"
        )
    holds = [f for f in _findings(booking, "sir-2019") if f["inputs"].get("drug") == "apixaban"]
    premed = _findings(booking, PREMED)
    if decision == "reject":
        assert holds == []
        # Nothing left on the chart and allergies not asked for this booking: not "none".
        assert [f["status"] for f in premed] == ["missing_data"]
        assert premed[0]["message"] == msg.ALLERGIES_MISSING
        return
    (hold,) = holds
    (needed,) = premed
    assert hold["status"] != "pass"
    assert needed["status"] == "action_needed"
    assert needed["message"].startswith("Prior reaction to iodinated contrast: premedication")
    assert (UNCONFIRMED in hold["message"]) == (decision is None)
    assert (UNCONFIRMED in needed["message"]) == (decision is None)
    assert needed["inputs"].get("reported", False) == (decision is None)
