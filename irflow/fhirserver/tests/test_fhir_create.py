"""A referral from another system, sent as a FHIR ServiceRequest: it lands in triage, with its
patient found by MRN or registered; what cannot be taken is an OperationOutcome naming the
element."""

from __future__ import annotations

import json

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import TokenScope
from irflow.accounts.services import api_token_create
from irflow.patients.models import Patient
from irflow.referrals.models import Referral, ReferralStatus
from irflow.referrals.selectors import triage_queue

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"
MRN_SYSTEM = "http://irflow.invalid/fhir/sid/patient/HOSP"


def _referral(**changes) -> dict:
    body = {
        "resourceType": "ServiceRequest",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "identifier": [{"system": MRN_SYSTEM, "value": "F0000042"}],
                "name": [{"family": "Fairweather", "given": ["Iris"]}],
                "birthDate": "1961-07-14",
                "gender": "female",
            }
        ],
        "status": "active",
        "intent": "order",
        "priority": "urgent",
        "code": {"text": "Tunnelled dialysis line"},
        "subject": {"reference": "#p"},
        "requester": {"display": "Dr Ng, renal"},
        "reasonCode": [{"text": "Needs dialysis access this week."}],
        "bodySite": [{"text": "right internal jugular"}],
        "note": [{"text": "AV fistula failed."}],
    }
    body.update(changes)
    return body


def _post(client, token: str, body):
    return client.post(
        "/fhir/ServiceRequest",
        data=json.dumps(body),
        content_type=FHIR_JSON,
        headers={"authorization": f"Bearer {token}"},
    )


def test_a_referral_sent_as_a_service_request_lands_in_triage(client, personas):
    referrer = personas["referrer"]
    token = api_token_create(actor=SYSTEM, user_id=referrer.pk, name="ehr")[1]
    response = _post(client, token, _referral())
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["resourceType"] == "ServiceRequest" and created["id"].startswith("referral-")
    assert response["Location"].endswith(f"/fhir/ServiceRequest/{created['id']}")
    referral = Referral.objects.get(pk=int(created["id"].removeprefix("referral-")))
    assert referral.status == ReferralStatus.RECEIVED and referral.urgency == "urgent"
    assert referral.referrer == referrer
    assert referral.clinical_question == "Needs dialysis access this week."
    assert referral.requested_procedure_text == "Tunnelled dialysis line"
    patient = Patient.objects.get(identifiers__value="F0000042")
    assert (patient.family_name, str(patient.birth_date), patient.sex) == (
        "Fairweather",
        "1961-07-14",
        "F",
    )
    queue = triage_queue(actor=personas["attending"])
    assert referral.pk in {item.referral.pk for item in queue.to_triage}
    # The referrer reads it back through FHIR.
    again = client.get(
        f"/fhir/{response['Location'].split('/fhir/')[1]}",
        headers={"authorization": f"Bearer {token}"},
    )
    assert again.status_code == 200 and again.json()["subject"]["reference"] == (
        f"Patient/{patient.pk}"
    )


def test_what_cannot_be_taken_names_its_element(client, personas):
    token = api_token_create(actor=SYSTEM, user_id=personas["referrer"].pk, name="ehr")[1]
    missing = _referral(reasonCode=[])
    missing["contained"][0]["birthDate"] = None
    del missing["contained"][0]["birthDate"]
    response = _post(client, token, missing)
    assert response.status_code == 422
    expressions = {i["expression"][0] for i in response.json()["issue"]}
    assert expressions == {"ServiceRequest.reasonCode", "Patient.birthDate"}
    not_r4 = _post(client, token, _referral(colour="blue"))
    assert not_r4.status_code == 400
    assert not_r4.json()["issue"][0]["expression"] == ["ServiceRequest.colour"]
    assert _post(client, token, ["not", "a", "resource"]).status_code == 400
    assert not Referral.objects.exists()
    read_only = api_token_create(
        actor=SYSTEM, user_id=personas["referrer"].pk, name="ro", scope=TokenScope.READ
    )[1]
    assert _post(client, read_only, _referral()).status_code == 403
    # A role the matrix does not let submit referrals.
    nurse = api_token_create(actor=SYSTEM, user_id=personas["nurse"].pk, name="n")[1]
    refused = _post(client, nurse, _referral())
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    assert not Referral.objects.exists()
