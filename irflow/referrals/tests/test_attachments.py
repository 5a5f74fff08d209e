"""Attachments: checked by content, size-limited, never half-written, served with permission."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.audit.models import AccessLog
from irflow.lib.errors import ValidationFailed
from irflow.referrals import attachments, services
from irflow.referrals.models import Referral, ReferralAttachment
from irflow.testing.fixtures import login, make_user
from irflow.testing.referrals import PNG_1PX

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def stored_files(media_root) -> list:
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("letter.pdf", b"Dear colleague", attachments.MSG_WRONG_TYPE.format(name="letter.pdf")),
        ("tool.exe", b"MZ\x90\x00", attachments.MSG_WRONG_TYPE.format(name="tool.exe")),
        (
            "scan.png",
            JPEG,
            attachments.MSG_NAME_MISMATCH.format(
                name="scan.png", named="a .png file", actual="JPEG"
            ),
        ),
        ("empty.pdf", b"", attachments.MSG_EMPTY.format(name="empty.pdf")),
        (
            "big.pdf",
            PDF + b"x" * 2000,
            attachments.MSG_TOO_LARGE.format(name="big.pdf", limit="1 KB"),
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    settings, personas, cared_patient, _media_root, name, content, message
):
    settings.IRFLOW_MAX_ATTACHMENT_BYTES = 1024
    with pytest.raises(ValidationFailed) as exc:
        services.referral_create(
            actor=personas["referrer"],
            patient_id=cared_patient.pk,
            clinical_question="Q",
            urgency="routine",
            requested_procedure_text="Drain",
            attachments=[upload("fine.pdf", PDF), upload(name, content)],
        )
    assert exc.value.errors == {"attachments": [message]}
    assert not Referral.objects.exists()
    assert stored_files(_media_root) == []


def test_good_files_are_stored_under_media_root(personas, cared_patient, _media_root):
    referral = services.referral_create(
        actor=personas["referrer"],
        patient_id=cared_patient.pk,
        clinical_question="Q",
        urgency="routine",
        requested_procedure_text="Drain",
        attachments=[upload("letter.pdf", PDF), upload("wound.JPG", JPEG)],
    )
    rows = list(referral.attachments.order_by("pk"))
    assert [(a.original_name, a.content_type, a.size_bytes) for a in rows] == [
        ("letter.pdf", "application/pdf", len(PDF)),
        ("wound.JPG", "image/jpeg", len(JPEG)),
    ]
    files = stored_files(_media_root)
    assert sorted(f.read_bytes() for f in files) == sorted([PDF, JPEG])
    assert all(str(f).startswith(str(_media_root / "referrals")) for f in files)
    assert not any(f.name.endswith(".part") for f in files)


def test_a_refused_row_leaves_no_file(personas, make_referral, _media_root):
    """The second file's row is refused by the database (same file twice): both files go."""
    referral = make_referral()
    with pytest.raises(ValidationFailed) as exc:
        services.referral_add_information(
            actor=personas["referrer"],
            referral_id=referral.pk,
            information="Two copies",
            attachments=[upload("a.png", PNG_1PX), upload("b.png", PNG_1PX)],
        )
    assert exc.value.errors == {"attachments": [attachments.MSG_DUPLICATE.format(name="b.png")]}
    assert not ReferralAttachment.objects.exists()
    assert stored_files(_media_root) == []
    assert referral.events.count() == 1  # the information was not half-added either


def test_a_failed_file_write_leaves_no_row(settings, personas, cared_patient, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker / "files"
    with pytest.raises(attachments.AttachmentNotStored) as exc:
        services.referral_create(
            actor=personas["referrer"],
            patient_id=cared_patient.pk,
            clinical_question="Q",
            urgency="routine",
            requested_procedure_text="Drain",
            attachments=[upload("letter.pdf", PDF)],
        )
    assert exc.value.message == attachments.MSG_NOT_STORED and exc.value.status_code == 503
    assert not Referral.objects.exists() and not ReferralAttachment.objects.exists()


def test_files_are_served_only_to_those_who_may_see_the_referral(client, personas, make_referral):
    referral = make_referral()
    attachment = services.attachment_add(
        actor=personas["referrer"], referral_id=referral.pk, upload=upload("letter.pdf", PDF)
    )
    url = f"/referrals/files/{attachment.pk}/"
    login(client, personas["referrer"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="letter.pdf"' in response["Content-Disposition"]
    entry = AccessLog.objects.filter(patient_id=referral.patient_id).latest("pk")
    assert (entry.username, entry.what) == (
        "referrer",
        f"attachment letter.pdf of referral {referral.pk}",
    )
    login(client, make_user("other_referrer", "referrer"))
    assert client.get(url).status_code == 404
    login(client, personas["technologist"])
    assert client.get(url).status_code == 403
    token = api_token_create(actor=SYSTEM, user_id=personas["nurse"].pk, name="t")[1]
    api = client.get(
        f"/api/referrals/{referral.pk}/attachments/{attachment.pk}",
        headers={"authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200 and b"".join(api.streaming_content) == PDF


def test_the_api_takes_a_multipart_upload_and_refuses_bad_content(client, personas, make_referral):
    referral = make_referral()
    token = api_token_create(actor=SYSTEM, user_id=personas["referrer"].pk, name="t")[1]
    headers = {"authorization": f"Bearer {token}"}
    good = client.post(
        f"/api/referrals/{referral.pk}/attachments",
        data={"file": upload("wound.png", PNG_1PX)},
        headers=headers,
    )
    assert good.status_code == 201 and good.json()["content_type"] == "image/png"
    bad = client.post(
        f"/api/referrals/{referral.pk}/attachments",
        data={"file": upload("wound.png", b"<svg/>")},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"file": [attachments.MSG_WRONG_TYPE.format(name="wound.png")]}
