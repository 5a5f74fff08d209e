"""A referral sent by MRN for a patient IR already knows links its referrer to that patient only
once IR staff confirm the match ("this is the same patient"), or attach it to the right one
("not the same patient"). Until then the referrer sees their own referral — what they typed —
and not the chart. Cancelling a referral ends the access that came only from it. Through the
services, the API and the pages."""

from __future__ import annotations

from datetime import date

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.catalogue.models import ProcedureType
from irflow.lib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from irflow.patients.models import Allergy, CareRelation, Medication
from irflow.patients.selectors import patient_get
from irflow.patients.services import patient_create
from irflow.referrals import selectors, services
from irflow.referrals.models import Notification, PatientMatch, Referral
from irflow.testing.fixtures import login, make_user

pytestmark = pytest.mark.django_db

# What the referrer types: the MRN, family name and birth date of a patient IR knows, with
# a given name the record spells otherwise (the record's must not reach the referrer).
TYPED = {
    "mrn": "K0000007",
    "family_name": "Lindqvist",
    "given_name": "Maja",
    "birth_date": "1949-11-02",
    "sex": "F",
}
RECORD_GIVEN = "Margareta"


@pytest.fixture
def known(personas):
    """A patient IR knows; the referrer does not care for them."""
    return patient_create(
        actor=personas["attending"],
        **{**TYPED, "given_name": RECORD_GIVEN, "birth_date": date(1949, 11, 2)},
    )


def send(referrer, **kwargs) -> Referral:
    values = {
        "actor": referrer,
        "new_patient": TYPED,
        "clinical_question": "Tunnelled line for home parenteral nutrition?",
        "urgency": "routine",
        "procedure_type": ProcedureType.objects.get(code="PICC"),
        "medications": "Warfarin 3 mg daily",
        "allergies": "Chlorhexidine — rash",
    }
    return services.referral_create(**{**values, **kwargs})


def sees_chart(user, patient) -> bool:
    try:
        patient_get(actor=user, patient_id=patient.pk)
    except NotFound:
        return False
    return True


def api(client, user) -> dict:
    token = api_token_create(actor=SYSTEM, user_id=user.pk, name=f"t-{user.pk}")[1]
    return {"headers": {"authorization": f"Bearer {token}"}, "content_type": "application/json"}


# -- Services --------------------------------------------------------------------------------


def test_a_referral_by_mrn_waits_for_ir_and_gives_no_access_meanwhile(personas, known):
    referrer = personas["referrer"]
    referral = send(referrer)
    assert referral.patient_id == known.pk
    assert referral.patient_match == PatientMatch.PENDING
    assert referral.submitted_patient == TYPED
    assert not CareRelation.objects.filter(patient=known, clinician=referrer).exists()
    assert not sees_chart(referrer, known)
    # Their own referral, yes, marked as hiding the record.
    mine = selectors.referral_get(actor=referrer, referral_id=referral.pk)
    assert mine.patient_hidden is True
    assert [r.patient_hidden for r in selectors.referral_list(actor=referrer)] == [True]
    assert (
        selectors.referral_get(actor=personas["attending"], referral_id=referral.pk).patient_hidden
        is False
    )
    # What the referral lists waits too: nothing on a chart before IR knows it is the patient.
    assert not Medication.objects.filter(patient=known).exists()
    assert not Allergy.objects.filter(patient=known).exists()


def test_ir_cannot_act_on_the_patient_before_confirming(personas, known):
    referral = send(personas["referrer"])
    attending = personas["attending"]
    for act in (
        services.referral_accept,
        services.referral_send_to_board,
        services.referral_clinic_first,
    ):
        with pytest.raises(Conflict) as exc:
            act(actor=attending, referral_id=referral.pk)
        assert exc.value.code == "patient_unconfirmed"
    # Declining or asking for more needs no patient.
    services.referral_request_information(
        actor=attending, referral_id=referral.pk, question="Which line does she have now?"
    )


def test_confirming_links_the_referrer_and_puts_the_entries_on_the_chart(personas, known):
    referrer, attending = personas["referrer"], personas["attending"]
    referral = send(referrer)
    with pytest.raises(Forbidden):
        services.referral_patient_confirm(actor=referrer, referral_id=referral.pk)
    with pytest.raises(Forbidden):
        services.referral_patient_confirm(actor=personas["nurse"], referral_id=referral.pk)

    services.referral_patient_confirm(actor=attending, referral_id=referral.pk)
    referral.refresh_from_db()
    assert referral.patient_match == PatientMatch.CONFIRMED
    assert sees_chart(referrer, known)
    assert CareRelation.objects.get(patient=known, clinician=referrer).reason == "referral"
    assert Medication.objects.get(patient=known).reported_text == "Warfarin 3 mg daily"
    assert Allergy.objects.get(patient=known).reported_text == "Chlorhexidine — rash"
    assert "Patient confirmed" in referral.events.last().note
    notice = Notification.objects.get(recipient=referrer, referral=referral)
    assert notice.message.startswith(f"LINDQVIST, {RECORD_GIVEN}:")
    with pytest.raises(Conflict):
        services.referral_patient_confirm(actor=attending, referral_id=referral.pk)
    services.referral_accept(actor=attending, referral_id=referral.pk)  # now it may go on


def test_notifications_before_the_match_name_the_patient_as_typed(personas, known):
    referrer = personas["referrer"]
    referral = send(referrer)
    services.referral_request_information(
        actor=personas["attending"], referral_id=referral.pk, question="Current weight?"
    )
    (notice,) = Notification.objects.filter(recipient=referrer)
    assert notice.message.startswith("LINDQVIST, Maja:")
    assert RECORD_GIVEN not in notice.message


def test_not_the_same_patient_attaches_the_referral_to_the_right_one(personas, known):
    referrer, attending = personas["referrer"], personas["attending"]
    right = patient_create(
        actor=attending,
        mrn="K0000070",
        family_name="Lindqvist",
        given_name="Maja",
        birth_date=date(1949, 11, 2),
        sex="F",
    )
    referral = send(referrer)
    with pytest.raises(ValidationFailed) as exc:
        services.referral_patient_reattach(actor=attending, referral_id=referral.pk)
    assert exc.value.errors["patient_id"] == [services.MSG_REATTACH_ONE]
    with pytest.raises(ValidationFailed) as exc:
        services.referral_patient_reattach(
            actor=attending, referral_id=referral.pk, patient_id=known.pk
        )
    assert exc.value.errors["patient_id"] == [services.MSG_REATTACH_SAME]

    services.referral_patient_reattach(
        actor=attending, referral_id=referral.pk, patient_id=right.pk
    )
    referral.refresh_from_db()
    assert referral.patient_id == right.pk
    assert referral.patient_match == PatientMatch.CORRECTED
    assert sees_chart(referrer, right)
    assert not sees_chart(referrer, known)
    assert Medication.objects.filter(patient=right).exists()
    assert not Medication.objects.filter(patient=known).exists()


def test_not_the_same_patient_registers_a_new_one_with_the_right_mrn(personas, known):
    referrer, attending = personas["referrer"], personas["attending"]
    referral = send(referrer)
    with pytest.raises(ValidationFailed) as exc:
        services.referral_patient_reattach(
            actor=attending, referral_id=referral.pk, new_patient={**TYPED, "mrn": ""}
        )
    assert "mrn" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:  # the typed MRN is the other patient's
        services.referral_patient_reattach(
            actor=attending, referral_id=referral.pk, new_patient=TYPED
        )
    assert "mrn" in exc.value.errors
    assert Referral.objects.get(pk=referral.pk).match_pending  # nothing half done

    services.referral_patient_reattach(
        actor=attending,
        referral_id=referral.pk,
        new_patient={**TYPED, "mrn": "K0000777", "birth_date": date(1949, 11, 2)},
    )
    referral.refresh_from_db()
    assert referral.patient.mrn == "K0000777"
    assert referral.patient.given_name == "Maja"
    assert sees_chart(referrer, referral.patient)
    assert not sees_chart(referrer, known)


def test_cancelling_ends_the_access_that_came_only_from_the_referral(personas, known):
    referrer, attending = personas["referrer"], personas["attending"]
    first, second = send(referrer), send(referrer, clinical_question="Or a port?")
    for r in (first, second):
        services.referral_patient_confirm(actor=attending, referral_id=r.pk)
    services.referral_cancel(actor=referrer, referral_id=first.pk, reason="Sent twice.")
    assert sees_chart(referrer, known)  # the second referral still gives it
    services.referral_cancel(actor=attending, referral_id=second.pk, reason="Treated elsewhere.")
    assert not sees_chart(referrer, known)
    assert not CareRelation.objects.filter(patient=known, clinician=referrer).exists()
    # Their referrals stay theirs to read; IR staff see the patient by their role, as before.
    assert {r.pk for r in selectors.referral_list(actor=referrer)} == {first.pk, second.pk}
    assert sees_chart(attending, known)


def test_cancelling_a_pending_referral_leaves_other_access_alone(personas, known):
    referrer, attending = personas["referrer"], personas["attending"]
    confirmed = send(referrer)
    services.referral_patient_confirm(actor=attending, referral_id=confirmed.pk)
    # The referrer cares for the patient now: a second referral by MRN is not pending.
    again = send(referrer, clinical_question="Also a biopsy?")
    assert again.patient_match == PatientMatch.NONE
    other_referrer = make_user("other_referrer", "referrer")
    pending = send(other_referrer)
    services.referral_cancel(actor=other_referrer, referral_id=pending.pk, reason="Wrong patient.")
    assert sees_chart(referrer, known)
    assert not sees_chart(other_referrer, known)


def test_a_patient_the_referrer_registered_stays_theirs_after_cancelling(personas):
    referrer = personas["referrer"]
    referral = send(referrer, new_patient={**TYPED, "mrn": "K0000999"})
    assert referral.patient_match == PatientMatch.NONE
    assert CareRelation.objects.get(patient=referral.patient, clinician=referrer).reason == (
        "registered"
    )
    services.referral_cancel(actor=referrer, referral_id=referral.pk, reason="Changed my mind.")
    assert sees_chart(referrer, referral.patient)


# -- API -------------------------------------------------------------------------------------


def test_the_api_follows_the_same_rules(client, personas, known):
    referrer, attending = personas["referrer"], personas["attending"]
    as_referrer, as_attending = api(client, referrer), api(client, attending)
    body = {
        "patient": TYPED,
        "clinical_question": "Tunnelled line?",
        "urgency": "routine",
        "procedure_code": "PICC",
    }
    created = client.post("/api/referrals", data=body, **as_referrer)
    assert created.status_code == 201, created.content
    answer = created.json()
    referral_id = answer["id"]
    assert answer["patient_id"] is None
    assert answer["patient_match"] == "pending"
    assert answer["submitted_patient"]["given_name"] == "Maja"
    assert RECORD_GIVEN not in created.content.decode()
    assert client.get("/api/referrals", **as_referrer).json()[0]["patient_id"] is None
    assert client.get(f"/api/patients/{known.pk}", **as_referrer).status_code == 404
    staff_view = client.get(f"/api/referrals/{referral_id}", **as_attending).json()
    assert staff_view["patient_id"] == known.pk

    confirm = f"/api/referrals/{referral_id}/patient/confirm"
    assert client.post(confirm, **as_referrer).status_code == 403
    assert (
        client.post(f"/api/referrals/{referral_id}/accept", data={}, **as_attending).status_code
        == 409
    )
    response = client.post(confirm, **as_attending)
    assert response.status_code == 200 and response.json()["patient_match"] == "confirmed"
    assert client.post(confirm, **as_attending).status_code == 409
    assert (
        client.get(f"/api/referrals/{referral_id}", **as_referrer).json()["patient_id"] == known.pk
    )
    assert client.get(f"/api/patients/{known.pk}", **as_referrer).status_code == 200

    cancel = client.post(
        f"/api/referrals/{referral_id}/cancel", data={"reason": "Not needed."}, **as_referrer
    )
    assert cancel.status_code == 200
    assert client.get(f"/api/patients/{known.pk}", **as_referrer).status_code == 404


def test_the_api_reattaches_to_a_new_patient(client, personas, known):
    referral = send(personas["referrer"])
    response = client.post(
        f"/api/referrals/{referral.pk}/patient/reattach",
        data={"patient": {**TYPED, "mrn": "K0000888"}},
        **api(client, personas["attending"]),
    )
    assert response.status_code == 200, response.content
    assert response.json()["patient_match"] == "corrected"
    assert response.json()["patient_id"] != known.pk
    assert sees_chart(personas["referrer"], Referral.objects.get(pk=referral.pk).patient)


# -- Pages -----------------------------------------------------------------------------------


def test_the_referrer_page_shows_what_they_typed_not_the_record(client, personas, known):
    referral = send(personas["referrer"])
    login(client, personas["referrer"])
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "LINDQVIST, Maja" in page
    assert "IR confirms that this is the patient they know" in page
    assert RECORD_GIVEN not in page
    assert f"/patients/{known.pk}/" not in page
    listing = client.get("/referrals/").content.decode()
    assert "LINDQVIST, Maja" in listing and RECORD_GIVEN not in listing
    assert client.get(f"/patients/{known.pk}/").status_code == 404


def test_ir_confirms_on_the_referral_page(client, personas, known):
    referral = send(personas["referrer"])
    login(client, personas["attending"])
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Is this the patient on record?" in page
    assert "Maja" in page and RECORD_GIVEN in page  # side by side
    assert "Patient to confirm" in client.get("/referrals/triage/").content.decode()
    # The moves that act on the patient are not offered yet; the reason stands in their place.
    accept = f'action="/referrals/{referral.pk}/accept/"'
    assert accept not in page
    assert "Send to the board" not in page and "See in clinic first" not in page
    assert "Confirm the patient first" in page
    assert "Decline" in page and "Ask for more information" in page
    response = client.post(f"/referrals/{referral.pk}/patient/confirm/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Patient confirmed" in page
    assert "Is this the patient on record?" not in page
    assert accept in page and "Send to the board" in page
    login(client, personas["referrer"])
    assert client.get(f"/patients/{known.pk}/").status_code == 200


def test_ir_reattaches_on_the_referral_page_with_errors_beside_the_fields(client, personas, known):
    referral = send(personas["referrer"])
    login(client, personas["attending"])
    url = f"/referrals/{referral.pk}/patient/reattach/"
    response = client.post(url, {"mrn": "K0000007", "family_name": "Lindqvist"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "already used by another patient" in page
    assert "This field is required." in page
    response = client.post(url, {})
    assert services.MSG_REATTACH_ONE in response.content.decode()
    response = client.post(
        url,
        {
            "mrn": "K0000555",
            "family_name": "Lindqvist",
            "given_name": "Maja",
            "birth_date": "1949-11-02",
            "sex": "F",
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.patient.mrn == "K0000555"
    # The nurse may not settle the match.
    login(client, personas["nurse"])
    other = send(personas["referrer"], new_patient=TYPED)
    assert client.post(f"/referrals/{other.pk}/patient/confirm/").status_code == 403
