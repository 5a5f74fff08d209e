"""The referral pages: submit with files, follow, triage; notifications in the header."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from irflow.patients.services import patient_create
from irflow.referrals import services
from irflow.referrals.models import Referral, ReferralStatus
from irflow.testing.fixtures import login, make_user, merged_just_before
from irflow.testing.referrals import PNG_1PX

pytestmark = pytest.mark.django_db


def test_a_referrer_submits_follows_and_is_notified(client, personas):
    referrer = personas["referrer"]
    login(client, referrer)
    form = client.get("/referrals/new/")
    assert form.status_code == 200 and "procedure within 21 days" in form.content.decode()
    empty = client.post("/referrals/new/", {"urgency": "routine"})
    assert empty.status_code == 422
    response = client.post(
        "/referrals/new/",
        {
            "mrn": "P0000042",
            "family_name": "Lindqvist",
            "given_name": "Maja",
            "birth_date": "1966-02-03",
            "sex": "F",
            "clinical_question": "Cholecystostomy for acalculous cholecystitis?",
            "procedure_code": "CHOLE",
            "urgency": "urgent",
            "relevant_history": "ICU, ventilated.",
            "attachments": [SimpleUploadedFile("ultrasound.png", PNG_1PX)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    referral = Referral.objects.get()
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.attachments.get().original_name == "ultrasound.png"
    page = client.get(response["Location"]).content.decode()
    assert "LINDQVIST, Maja" in page and "Received" in page and "ultrasound.png" in page
    assert "Triage" not in page.split("</header>", 1)[1]  # referrers do not triage

    login(client, personas["attending"])
    queue = client.get("/referrals/triage/").content.decode()
    assert "LINDQVIST, Maja" in queue and "Waiting times" in queue
    no_reason = client.post(f"/referrals/{referral.pk}/triage/decline/", {"decline-text": ""})
    assert no_reason.status_code == 422 and "This field is required." in no_reason.content.decode()
    accepted = client.post(
        f"/referrals/{referral.pk}/accept/",
        {"procedure_code": "CHOLE", "priority": "urgent", "note": "Tomorrow morning"},
    )
    assert accepted.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ORDERED

    login(client, referrer)
    home = client.get("/referrals/").content.decode()
    assert 'aria-label="2 unread"' in home  # accepted, ordered
    assert "Ordered" in home
    notes = client.get("/referrals/notifications/").content.decode()
    assert "LINDQVIST, Maja: referral accepted — Tomorrow morning" in notes
    assert 'aria-label="2 unread"' not in client.get("/referrals/").content.decode()

    other = make_user("other_referrer", "referrer")
    login(client, other)
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert client.get(f"/patients/{referral.patient_id}/").status_code == 404
    assert client.get(f"/referrals/new/?patient={referral.patient_id}").status_code == 404


def test_triage_outcomes_from_the_page(client, personas, make_referral):
    login(client, personas["attending"])
    for outcome, text, status in [
        ("information", "Recent INR please", ReferralStatus.MORE_INFO),
        ("board", "For Tuesday's MDT", ReferralStatus.BOARD),
        ("clinic", "", ReferralStatus.CLINIC),
        ("decline", "Not indicated", ReferralStatus.DECLINED),
    ]:
        referral = make_referral()
        response = client.post(
            f"/referrals/{referral.pk}/triage/{outcome}/", {f"{outcome}-text": text}
        )
        assert response.status_code == 302, (outcome, response.content.decode()[:500])
        referral.refresh_from_db()
        assert (referral.status, referral.status_note) == (status, text)
    declined = Referral.objects.get(status=ReferralStatus.DECLINED)
    again = client.post(f"/referrals/{declined.pk}/triage/board/", {"board-text": "Tuesday"})
    assert again.status_code == 409
    assert "A referral cannot go from “Declined” to “Sent to the board”." in again.content.decode()
    referral = make_referral()
    blank = client.post(f"/referrals/{referral.pk}/triage/decline/", {"decline-text": " "})
    assert blank.status_code == 422 and "This field is required." in blank.content.decode()
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED
    login(client, personas["nurse"])
    assert (
        client.post(f"/referrals/{declined.pk}/accept/", {"priority": "routine"}).status_code == 403
    )


def test_a_referral_for_a_patient_merged_away_meanwhile_is_the_404_page(
    client, monkeypatch, personas, cared_patient
):
    """The form read the patient; by the time the referral is sent, another user has merged the
    record into another one."""
    survivor = patient_create(
        actor=personas["attending"],
        mrn="R0000002",
        family_name="Okonkwo",
        given_name="Adaeze",
        birth_date=date(1961, 3, 14),
        sex="F",
    )
    merged_just_before(
        monkeypatch,
        services,
        "referral_create",
        actor=personas["scheduler"],
        source_id=cared_patient.pk,
        target_id=survivor.pk,
    )
    login(client, personas["referrer"])
    response = client.post(
        "/referrals/new/",
        {
            "patient_id": cared_patient.pk,
            "clinical_question": "Long-term venous access for antibiotics?",
            "procedure_code": "PICC",
            "urgency": "routine",
        },
    )
    assert response.status_code == 404
    assert f"merged into patient {survivor.pk}" in response.content.decode()
    assert not Referral.objects.exists()


def test_the_referral_form_answers_404_for_a_missing_patient_and_403_for_a_role_that_may_not(
    client, personas, cared_patient
):
    data = {"clinical_question": "Drain?", "procedure_code": "PICC", "urgency": "routine"}
    login(client, personas["referrer"])
    missing = cared_patient.pk + 1000
    assert client.post("/referrals/new/", {**data, "patient_id": missing}).status_code == 404
    login(client, personas["nurse"])  # may see referrals, not send them
    assert (
        client.post("/referrals/new/", {**data, "patient_id": cared_patient.pk}).status_code == 403
    )
    assert not Referral.objects.exists()
