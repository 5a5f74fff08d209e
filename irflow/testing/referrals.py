"""Referral-to-booking data and example requests for the API permission walk
(irflow/accounts/tests/test_api_permission_walk.py)."""

from __future__ import annotations

import json
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

# The smallest valid PNG (1×1 pixel).
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a2dd4b2b0000000049454e44ae426082"
)


class Multipart(dict):
    """An example body sent as multipart/form-data: field -> value, or (filename, bytes)."""


def encode_example(body) -> dict:
    """`data` and `content_type` for the test client: JSON, or multipart for file uploads."""
    if body is None:
        return {"data": None, "content_type": "application/json"}
    if isinstance(body, Multipart):
        fields = {
            k: SimpleUploadedFile(v[0], v[1]) if isinstance(v, tuple) else v
            for k, v in body.items()
        }
        return {"data": encode_multipart(BOUNDARY, fields), "content_type": MULTIPART_CONTENT}
    return {"data": json.dumps(body), "content_type": "application/json"}


def journey_world(personas: dict, patient) -> dict:
    """A referral of `patient` (in the referrer's care) with a file, referrals waiting for the
    board and on an agenda, an order, a room and a free slot."""
    from irflow.board.services import board_case_add, board_meeting_create
    from irflow.catalogue.models import ProcedureType, Room
    from irflow.patients.services import patient_create
    from irflow.referrals.services import (
        attachment_add,
        referral_create,
        referral_send_to_board,
    )
    from irflow.testing.fixtures import make_order, next_weekday_at

    referrer, attending = personas["referrer"], personas["attending"]
    picc = ProcedureType.objects.get(code="PICC")

    def referral(question: str):
        return referral_create(
            actor=referrer,
            patient_id=patient.pk,
            clinical_question=question,
            urgency="routine",
            procedure_type=picc,
        )

    received = referral("PICC for antibiotics?")
    upload = SimpleUploadedFile("wound.png", PNG_1PX)
    attachment = attachment_add(actor=referrer, referral_id=received.pk, upload=upload)
    waiting, on_agenda = referral("Port or PICC?"), referral("Line for chemotherapy?")
    for r in (waiting, on_agenda):
        referral_send_to_board(actor=attending, referral_id=r.pk)
    meeting = board_meeting_create(
        actor=attending, title="Walk MDT", held_at=next_weekday_at(8, days_ahead=2)
    )
    case = board_case_add(actor=attending, meeting_id=meeting.pk, referral_id=on_agenda.pk)
    room = Room.objects.create(code="JOURNEY1", name="Journey room", kind="angio", modality="XA")
    # Sent by MRN for a patient IR knows and the referrer does not care for: IR confirms.
    details = {
        "mrn": "JOURNEY9",
        "family_name": "Matchless",
        "given_name": "Ida",
        "birth_date": "1944-04-04",
        "sex": "F",
    }
    patient_create(
        actor=attending,
        mrn="JOURNEY9",
        family_name="Matchless",
        given_name="Ida",
        birth_date=date(1944, 4, 4),
        sex="F",
    )
    pending = referral_create(
        actor=referrer,
        new_patient=details,
        clinical_question="Drain for ascites?",
        urgency="routine",
        procedure_type=picc,
    )
    return {
        "referral_id": received.pk,
        "pending_referral_id": pending.pk,
        "attachment_id": attachment.pk,
        "board_referral": waiting.pk,
        "meeting_id": meeting.pk,
        "case_id": case.pk,
        "journey_order": make_order(attending, patient, "PICC").pk,
        "room_code": room.code,
        "slot_start": next_weekday_at(14).isoformat(),
        "attending_id": attending.pk,
        "nurse_id": personas["nurse"].pk,
    }


def journey_examples(ids: dict) -> dict[tuple[str, str], object]:
    """A valid request for each referral, board, order and scheduling route."""
    referral = "/api/referrals/{referral_id}"
    booking = "/api/scheduling/bookings/{booking_id}"
    return {
        ("GET", "/api/referrals"): None,
        ("POST", "/api/referrals"): {
            "patient_id": ids["patient_id"],
            "clinical_question": "Drain for a pleural effusion?",
            "urgency": "urgent",
            "procedure_code": "CHEST-DRN",
        },
        ("GET", "/api/referrals/queue"): None,
        ("GET", "/api/referrals/waiting-times"): None,
        ("GET", "/api/referrals/notifications"): None,
        ("POST", "/api/referrals/notifications/read"): {},
        ("GET", referral): None,
        ("POST", referral + "/accept"): {"procedure_code": "PICC", "site": "Left arm"},
        ("POST", referral + "/decline"): {"reason": "Not indicated."},
        ("POST", "/api/referrals/{pending_referral_id}/patient/confirm"): None,
        ("POST", "/api/referrals/{pending_referral_id}/patient/reattach"): {
            "patient_id": ids["patient_id"]
        },
        ("POST", referral + "/request-information"): {"question": "Latest platelet count?"},
        ("POST", referral + "/send-to-board"): {"note": "For the MDT"},
        ("POST", referral + "/clinic-first"): {"note": "To discuss options"},
        ("POST", referral + "/information"): {"information": "Platelets 210 today."},
        ("POST", referral + "/cancel"): {"reason": "Treated elsewhere."},
        ("POST", referral + "/attachments"): Multipart(file=("letter.png", PNG_1PX + b"\n")),
        ("GET", referral + "/attachments/{attachment_id}"): None,
        ("GET", "/api/board/meetings"): None,
        ("POST", "/api/board/meetings"): {
            "title": "Vascular MDT",
            "held_at": "2026-12-01T08:00:00+00:00",
            "specialties": ["Interventional radiology", "Vascular surgery"],
            "attendees": [{"name": "Dr A. Okafor", "specialty": "IR"}],
        },
        ("GET", "/api/board/meetings/{meeting_id}"): None,
        ("POST", "/api/board/meetings/{meeting_id}/cases"): {"referral_id": ids["board_referral"]},
        ("POST", "/api/board/cases/{case_id}/decision"): {
            "decision": "ir_treatment",
            "recommended_treatment": "PICC",
            "rationale": "Needs long-term access.",
            "agreed_by": "IR, oncology",
            "procedure_code": "PICC",
        },
        ("GET", "/api/orders"): None,
        ("POST", "/api/orders"): {"patient_id": ids["patient_id"], "procedure_code": "PICC"},
        ("GET", "/api/orders/{order_id}"): None,
        ("POST", "/api/orders/{order_id}/cancel"): {"reason": "No longer needed."},
        ("GET", "/api/scheduling/bookings"): None,
        ("POST", "/api/scheduling/bookings"): {
            "order_id": ids["journey_order"],
            "room_code": ids["room_code"],
            "start": ids["slot_start"],
            "primary_operator_id": ids["attending_id"],
            "team": [{"user_id": ids["nurse_id"], "role": "nurse"}],
        },
        ("GET", booking): None,
        ("POST", booking + "/reschedule"): {"start": ids["slot_start"], "reason": "equipment"},
        ("POST", booking + "/cancel"): {"reason": "patient_declined", "note": "Phoned"},
        ("POST", booking + "/status"): {"status": "arrived"},
        ("GET", "/api/scheduling/rooms/{room_code}/day"): None,
        ("GET", "/api/scheduling/board"): None,
    }
