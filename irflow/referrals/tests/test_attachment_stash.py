"""A refused referral form keeps the files that were fine, so that nobody chooses them again;
the kept files belong to the session that chose them."""

from __future__ import annotations

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from irflow.referrals import attachments, services
from irflow.referrals.models import Referral, ReferralStatus
from irflow.referrals.stash import MSG_STASH_GONE, SESSION_KEY, STASH_MAX_AGE_S
from irflow.testing.fixtures import login
from irflow.testing.referrals import PNG_1PX

pytestmark = pytest.mark.django_db

GONE = MSG_STASH_GONE.format(minutes=STASH_MAX_AGE_S // 60)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def _stashed(data_dir) -> list:
    root = data_dir / "stash" / "referrals"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _form(cared_patient, **values) -> dict:
    return {
        "patient_id": cared_patient.pk,
        "requested_procedure_text": "Drain",
        "urgency": "routine",
        **values,
    }


def _token(response) -> str:
    match = re.search(r'name="stash_token" value="([^"]+)"', response.content.decode())
    assert match, "no files kept on the form"
    return match.group(1)


def _first_try(client, cared_patient):
    """No clinical question, one good file and one that is not a PDF: refused, all at once."""
    return client.post(
        f"/referrals/new/?patient={cared_patient.pk}",
        _form(
            cared_patient,
            clinical_question="",
            attachments=[
                SimpleUploadedFile("ultrasound.png", PNG_1PX),
                SimpleUploadedFile("letter.pdf", b"Dear colleague"),
            ],
        ),
    )


def test_good_files_are_kept_on_a_refused_form_and_every_error_is_shown(
    client, personas, cared_patient, _data_dir
):
    login(client, personas["referrer"])
    response = _first_try(client, cared_patient)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_clinical_question_error"><p class="error">This field is required.' in html
    assert attachments.MSG_WRONG_TYPE.format(name="letter.pdf") in html
    assert "Kept: <strong>ultrasound.png</strong>" in html
    assert "letter.pdf</strong>" not in html  # a bad file is not kept
    assert _token(response)
    assert len(_stashed(_data_dir)) == 2  # the file and its list
    assert not Referral.objects.exists()


def test_kept_files_go_with_the_referral_on_the_next_try(
    client, personas, cared_patient, _data_dir
):
    login(client, personas["referrer"])
    token = _token(_first_try(client, cared_patient))
    response = client.post(
        f"/referrals/new/?patient={cared_patient.pk}",
        _form(cared_patient, clinical_question="Drain the collection?", stash_token=token),
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    referral = Referral.objects.get()
    assert [a.original_name for a in referral.attachments.all()] == ["ultrasound.png"]
    assert _stashed(_data_dir) == []  # spent
    assert token not in client.session.get(SESSION_KEY, {})


def test_a_kept_file_ticked_to_remove_is_not_sent(client, personas, cared_patient):
    login(client, personas["referrer"])
    token = _token(_first_try(client, cared_patient))
    response = client.post(
        f"/referrals/new/?patient={cared_patient.pk}",
        _form(cared_patient, clinical_question="Drain?", stash_token=token, stash_remove="0"),
    )
    assert response.status_code == 302
    assert not Referral.objects.get().attachments.exists()


def test_kept_files_and_new_ones_go_together_and_stay_kept_across_tries(
    client, personas, cared_patient
):
    login(client, personas["referrer"])
    token = _token(_first_try(client, cared_patient))
    second = client.post(
        f"/referrals/new/?patient={cared_patient.pk}",
        _form(
            cared_patient,
            clinical_question="",
            stash_token=token,
            attachments=[SimpleUploadedFile("report.pdf", b"%PDF-1.4 report")],
        ),
    )
    assert second.status_code == 422
    html = second.content.decode()
    assert "Kept: <strong>ultrasound.png</strong>" in html and "Kept: <strong>report.pdf" in html
    newer = _token(second)
    assert newer != token
    third = client.post(
        f"/referrals/new/?patient={cared_patient.pk}",
        _form(cared_patient, clinical_question="Drain?", stash_token=newer),
    )
    assert third.status_code == 302
    names = sorted(a.original_name for a in Referral.objects.get().attachments.all())
    assert names == ["report.pdf", "ultrasound.png"]


def test_a_token_from_another_session_is_refused_clearly(client, personas, cared_patient):
    login(client, personas["referrer"])
    token = _token(_first_try(client, cared_patient))
    other = Client()
    login(other, personas["referrer"])  # the same user, another browser
    response = other.post(
        f"/referrals/new/?patient={cared_patient.pk}",
        _form(cared_patient, clinical_question="Drain?", stash_token=token),
    )
    assert response.status_code == 422
    assert GONE in response.content.decode()
    assert not Referral.objects.exists()
    # Nor does a made-up one work, nor one that tries to leave the stash folder.
    for forged in ("A" * 22, "../../secret_key"):
        refused = client.post(
            f"/referrals/new/?patient={cared_patient.pk}",
            _form(cared_patient, clinical_question="Drain?", stash_token=forged),
        )
        assert refused.status_code == 422 and GONE in refused.content.decode()
    assert not Referral.objects.exists()


def test_an_expired_token_is_refused_clearly(client, personas, cared_patient):
    login(client, personas["referrer"])
    token = _token(_first_try(client, cared_patient))
    session = client.session
    session[SESSION_KEY][token]["at"] = int(time.time()) - STASH_MAX_AGE_S - 1
    session.save()
    response = client.post(
        f"/referrals/new/?patient={cared_patient.pk}",
        _form(cared_patient, clinical_question="Drain?", stash_token=token),
    )
    assert response.status_code == 422 and GONE in response.content.decode()


def test_adding_information_keeps_good_files_too(client, personas, make_referral):
    referral = make_referral()
    login(client, personas["referrer"])
    url = f"/referrals/{referral.pk}/information/"
    first = client.post(
        url,
        {
            "information": "INR 1.1 yesterday",
            "attachments": [
                SimpleUploadedFile("inr.png", PNG_1PX),
                SimpleUploadedFile("notes.txt", b"plain text"),
            ],
        },
    )
    assert first.status_code == 422
    html = first.content.decode()
    assert "Kept: <strong>inr.png</strong>" in html
    assert "INR 1.1 yesterday" in html  # the text too
    second = client.post(url, {"information": "INR 1.1 yesterday", "stash_token": _token(first)})
    assert second.status_code == 302
    assert [a.original_name for a in referral.attachments.all()] == ["inr.png"]
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


def test_the_service_reports_every_bad_file_and_field_at_once(personas, cared_patient):
    from irflow.lib.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.referral_create(
            actor=personas["referrer"],
            patient_id=cared_patient.pk,
            clinical_question="",
            urgency="routine",
            requested_procedure_text="Drain",
            attachments=[
                SimpleUploadedFile("a.pdf", b"not a pdf"),
                SimpleUploadedFile("b.png", b""),
            ],
        )
    assert exc.value.errors == {
        "clinical_question": [services.MSG_QUESTION_REQUIRED],
        "attachments": [
            attachments.MSG_WRONG_TYPE.format(name="a.pdf"),
            attachments.MSG_EMPTY.format(name="b.png"),
        ],
    }
