"""Submitting, triaging and following referrals through the services and the API."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.audit.models import AccessLog
from irflow.catalogue.models import ProcedureType
from irflow.lib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from irflow.orders.models import OrderStatus
from irflow.patients.models import CareRelation, Patient
from irflow.patients.services import MSG_MRN_TAKEN, patient_create
from irflow.referrals import selectors, services
from irflow.referrals.models import Notification, ReferralStatus
from irflow.testing.fixtures import make_user

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "mrn": "N0000001",
    "family_name": "Nakamura",
    "given_name": "Emi",
    "birth_date": date(1972, 8, 1),
    "sex": "F",
}


def api(client, user):
    token = api_token_create(actor=SYSTEM, user_id=user.pk, name="t")[1]
    return {"headers": {"authorization": f"Bearer {token}"}, "content_type": "application/json"}


def test_referrer_registers_a_new_patient_and_sees_only_their_own(personas):
    referrer = personas["referrer"]
    referral = services.referral_create(
        actor=referrer,
        new_patient=NEW_PATIENT,
        clinical_question="Biopsy of a liver lesion?",
        urgency="routine",
        procedure_type=ProcedureType.objects.get(code="BX-LIV"),
    )
    patient = referral.patient
    assert patient.mrn == "N0000001"
    assert CareRelation.objects.filter(patient=patient, clinician=referrer).exists()
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.referring_clinician == str(referrer)
    assert [e.to_status for e in referral.events.all()] == ["received"]

    other = make_user("other_referrer", "referrer")
    with pytest.raises(NotFound):
        selectors.referral_get(actor=other, referral_id=referral.pk)
    assert selectors.referral_list(actor=other) == []
    assert selectors.referral_list(actor=personas["attending"]) == [referral]


def test_a_known_mrn_is_found_and_a_mismatch_is_refused(personas):
    referrer = personas["referrer"]
    first = services.referral_create(
        actor=referrer,
        new_patient=NEW_PATIENT,
        clinical_question="Q1",
        urgency="routine",
        requested_procedure_text="Drain",
    )
    second = services.referral_create(
        actor=referrer,
        new_patient=NEW_PATIENT,
        clinical_question="Q2",
        urgency="urgent",
        requested_procedure_text="Drain",
    )
    assert second.patient_id == first.patient_id
    with pytest.raises(ValidationFailed) as exc:
        services.referral_create(
            actor=referrer,
            new_patient={**NEW_PATIENT, "birth_date": date(1980, 1, 1)},
            clinical_question="Q3",
            urgency="routine",
            requested_procedure_text="Drain",
        )
    assert exc.value.errors["mrn"] == [services.MSG_MRN_OTHER_PATIENT.format(mrn="N0000001")]


def test_a_patient_known_to_ir_joins_the_referrers_care_only_on_a_full_match(personas):
    known = patient_create(actor=personas["attending"], issuer=None, **NEW_PATIENT)
    referrer = personas["referrer"]
    with pytest.raises(ValidationFailed) as exc:
        services.referral_create(
            actor=referrer,
            new_patient={**NEW_PATIENT, "family_name": "Other"},
            clinical_question="Q",
            urgency="routine",
            requested_procedure_text="Drain",
        )
    assert exc.value.errors["mrn"] == [
        MSG_MRN_TAKEN.format(mrn="N0000001", issuer=settings.IRFLOW_MRN_ISSUER)
    ]
    assert not CareRelation.objects.filter(patient=known, clinician=referrer).exists()
    referral = services.referral_create(
        actor=referrer,
        new_patient={**NEW_PATIENT, "family_name": "NAKAMURA"},
        clinical_question="Q",
        urgency="routine",
        requested_procedure_text="Drain",
    )
    assert referral.patient_id == known.pk
    assert Patient.objects.count() == 1


def test_submission_is_validated_and_permission_checked(personas, cared_patient):
    with pytest.raises(ValidationFailed) as exc:
        services.referral_create(
            actor=personas["referrer"],
            patient_id=cared_patient.pk,
            clinical_question=" ",
            urgency="soon",
        )
    assert exc.value.errors == {
        "clinical_question": [services.MSG_QUESTION_REQUIRED],
        "urgency": [services.MSG_URGENCY],
        "procedure_type": [services.MSG_PROCEDURE_REQUIRED],
    }
    with pytest.raises(Forbidden):
        services.referral_create(
            actor=personas["nurse"],
            patient_id=cared_patient.pk,
            clinical_question="Q",
            urgency="routine",
            requested_procedure_text="x",
        )
    stranger = patient_create(
        actor=personas["attending"],
        mrn="S1",
        family_name="Stranger",
        given_name="A",
        birth_date=date(1950, 1, 1),
        sex="M",
    )
    with pytest.raises(NotFound):
        services.referral_create(
            actor=personas["referrer"],
            patient_id=stranger.pk,
            clinical_question="Q",
            urgency="routine",
            requested_procedure_text="x",
        )


def test_accepting_orders_with_identifiers_and_notifies_the_referrer(personas, make_referral):
    referral = make_referral(urgency="urgent", laterality="left", site="Basilic vein")
    attending = personas["attending"]
    services.referral_accept(actor=attending, referral_id=referral.pk, note="Will do")
    referral.refresh_from_db()
    order = referral.order
    assert referral.status == ReferralStatus.ORDERED
    assert referral.triaged_by == attending and referral.triaged_at is not None
    assert order.procedure_type.code == "PICC"
    assert (order.priority, order.laterality, order.site) == ("urgent", "left", "Basilic vein")
    assert order.accession_number.startswith("IR") and order.requested_procedure_id
    assert order.study_instance_uid.startswith(settings.IRFLOW_UID_ROOT + ".")
    assert [e.to_status for e in referral.events.all()] == ["received", "accepted", "ordered"]
    notes = list(Notification.objects.filter(recipient=personas["referrer"]).order_by("pk"))
    assert [n.message for n in notes] == [
        "OKONKWO, Ada: referral accepted — Will do",
        f"OKONKWO, Ada: procedure ordered — {order.procedure_type.name}, accession "
        f"{order.accession_number}",
    ]
    assert all(n.url == f"/referrals/{referral.pk}/" for n in notes)


def test_a_free_text_request_waits_for_a_catalogue_entry(personas, make_referral):
    referral = make_referral(code=None)
    attending = personas["attending"]
    services.referral_accept(actor=attending, referral_id=referral.pk)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.order is None
    with pytest.raises(ValidationFailed) as exc:
        services.referral_order_create(
            actor=attending, referral_id=referral.pk, procedure_type=None
        )
    assert exc.value.errors == {"procedure_type": [services.MSG_CHOOSE_PROCEDURE]}
    order = services.referral_order_create(
        actor=attending,
        referral_id=referral.pk,
        procedure_type=ProcedureType.objects.get(code="PORT"),
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ORDERED and referral.order == order


def test_more_information_goes_back_to_the_queue(personas, make_referral):
    referral = make_referral()
    attending, referrer = personas["attending"], personas["referrer"]
    with pytest.raises(ValidationFailed):
        services.referral_request_information(actor=attending, referral_id=referral.pk, question="")
    services.referral_request_information(
        actor=attending, referral_id=referral.pk, question="Platelet count?"
    )
    with pytest.raises(Forbidden):
        services.referral_request_information(
            actor=personas["scheduler"], referral_id=referral.pk, question="?"
        )
    services.referral_add_information(
        actor=referrer, referral_id=referral.pk, information="Platelets 180 yesterday."
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.events.last().note == "Platelets 180 yesterday."
    # The referrer is not notified of their own change, only of IR's.
    assert list(
        Notification.objects.filter(recipient=referrer).values_list("message", flat=True)
    ) == ["OKONKWO, Ada: IR asks for more information — Platelet count?"]


def test_decline_needs_a_reason_and_cancel_by_the_referrer_stops_at_ordering(
    personas, make_referral
):
    attending, referrer = personas["attending"], personas["referrer"]
    declined = make_referral()
    with pytest.raises(ValidationFailed) as exc:
        services.referral_decline(actor=attending, referral_id=declined.pk, reason="  ")
    assert exc.value.errors == {"reason": [services.MSG_DECLINE_REASON]}
    services.referral_decline(actor=attending, referral_id=declined.pk, reason="Not indicated")
    declined.refresh_from_db()
    assert (declined.status, declined.status_note) == ("declined", "Not indicated")

    withdrawn = make_referral()
    services.referral_cancel(actor=referrer, referral_id=withdrawn.pk, reason="Improved")
    withdrawn.refresh_from_db()
    assert withdrawn.status == ReferralStatus.CANCELLED

    ordered = make_referral()
    services.referral_accept(actor=attending, referral_id=ordered.pk)
    with pytest.raises(Conflict) as exc:
        services.referral_cancel(actor=referrer, referral_id=ordered.pk, reason="Improved")
    assert exc.value.message == services.MSG_CANCEL_ASK_IR
    services.referral_cancel(actor=attending, referral_id=ordered.pk, reason="Improved")
    ordered.refresh_from_db()
    assert ordered.status == ReferralStatus.CANCELLED
    assert ordered.order.status == OrderStatus.CANCELLED
    assert ordered.order.cancel_reason == "Referral cancelled: Improved"


def test_reads_are_access_logged(personas, make_referral):
    referral = make_referral()
    selectors.referral_get(actor=personas["attending"], referral_id=referral.pk)
    entry = AccessLog.objects.filter(patient_id=referral.patient_id).latest("at")
    assert (entry.username, entry.what) == ("attending", f"referral {referral.pk}")


def test_the_api_submits_lists_and_refuses_other_referrers(client, personas, cared_patient):
    referrer = personas["referrer"]
    response = client.post(
        "/api/referrals",
        data={
            "patient_id": cared_patient.pk,
            "clinical_question": "Drain for an abscess?",
            "urgency": "urgent",
            "procedure_code": "DRN-DEEP",
        },
        **api(client, referrer),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["procedure_code"], body["urgency"]) == (
        "received",
        "DRN-DEEP",
        "urgent",
    )
    other = make_user("other_referrer", "referrer")
    assert client.get(f"/api/referrals/{body['id']}", **api(client, other)).status_code == 404
    assert client.get("/api/referrals", **api(client, other)).json() == []
    assert client.get(f"/api/patients/{cared_patient.pk}", **api(client, other)).status_code == 404
    accepted = client.post(
        f"/api/referrals/{body['id']}/accept", data={}, **api(client, personas["attending"])
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "ordered"
    assert accepted.json()["accession_number"].startswith("IR")
    refused = client.post(
        f"/api/referrals/{body['id']}/decline",
        data={"reason": "Too late"},
        **api(client, personas["attending"]),
    )
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "A referral cannot go from “Ordered” to “Declined”.",
        "code": "invalid_transition",
    }
    notes = client.get("/api/referrals/notifications", **api(client, referrer)).json()
    assert [n["message"].split(": ", 1)[1][:17] for n in notes] == [
        "procedure ordered",  # newest first
        "referral accepted",
    ]
    marked = client.post("/api/referrals/notifications/read", data={}, **api(client, referrer))
    assert marked.json() == {"marked": 2}
    assert selectors.unread_count(referrer) == 0
