"""The multidisciplinary board: agenda from referrals sent to it, decisions, the printed agenda."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.audit.models import AccessLog
from irflow.board import services
from irflow.board.models import BoardCase, BoardMeeting, Decision
from irflow.catalogue.models import ProcedureType
from irflow.lib.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from irflow.patients.models import CareRelation
from irflow.patients.services import patient_create
from irflow.referrals.models import Notification, ReferralStatus
from irflow.referrals.services import referral_create, referral_send_to_board
from irflow.testing.fixtures import login, next_weekday_at
from irflow.testing.tools import require_tool

pytestmark = pytest.mark.django_db


@pytest.fixture
def to_board(personas):
    """Referrals (each for its own patient) sent to the board."""

    def make(n: int = 1):
        made = []
        for i in range(n):
            patient = patient_create(
                actor=personas["attending"],
                mrn=f"B{i:07d}",
                family_name=f"Boardman{i}",
                given_name="Kim",
                birth_date=date(1958, 1, 1 + i),
                sex="M",
            )
            CareRelation.objects.create(patient=patient, clinician=personas["referrer"])
            referral = referral_create(
                actor=personas["referrer"],
                patient_id=patient.pk,
                clinical_question="Liver-only metastases: ablation, TACE or surgery?",
                urgency="routine",
                requested_procedure_text="Liver-directed therapy",
            )
            referral_send_to_board(actor=personas["attending"], referral_id=referral.pk)
            referral.refresh_from_db()
            made.append(referral)
        return made

    return make


@pytest.fixture
def meeting(personas):
    return services.board_meeting_create(
        actor=personas["scheduler"],
        title="Hepatobiliary MDT",
        held_at=next_weekday_at(8),
        location="Room 2",
        specialties=["Interventional radiology", "Hepatobiliary surgery"],
        attendees=[("Dr A. Okafor", "IR"), ("Dr S. Marín", "Hepatobiliary surgery")],
    )


def test_a_decision_for_ir_treatment_orders_the_procedure(personas, to_board, meeting):
    (referral,) = to_board()
    case = services.board_case_add(
        actor=personas["scheduler"], meeting_id=meeting.pk, referral_id=referral.pk
    )
    with pytest.raises(Conflict):
        services.board_case_add(
            actor=personas["scheduler"], meeting_id=meeting.pk, referral_id=referral.pk
        )
    with pytest.raises(Forbidden):
        services.board_decision_record(
            actor=personas["scheduler"], case_id=case.pk, decision="ir_treatment"
        )
    with pytest.raises(ValidationFailed) as exc:
        services.board_decision_record(
            actor=personas["attending"], case_id=case.pk, decision="ir_treatment"
        )
    assert exc.value.errors == {
        "recommended_treatment": [services.MSG_TREATMENT],
        "rationale": [services.MSG_RATIONALE],
        "procedure_type": [services.MSG_PROCEDURE],
    }
    tace = ProcedureType.objects.get(code="TACE")
    case = services.board_decision_record(
        actor=personas["attending"],
        case_id=case.pk,
        decision=Decision.IR_TREATMENT,
        recommended_treatment="TACE",
        rationale="Liver-only disease, Child-Pugh A.",
        agreed_by="IR, surgery, oncology",
        procedure_type=tace,
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ORDERED
    assert case.order == referral.order and case.order.procedure_type == tace
    assert case.decided_by == personas["attending"] and case.decided_at is not None
    assert Notification.objects.filter(recipient=personas["referrer"]).latest("pk").message == (
        "BOARDMAN0, Kim: procedure ordered — Board decision: TACE"
    )
    with pytest.raises(Conflict) as exc:
        services.board_decision_record(
            actor=personas["attending"], case_id=case.pk, decision="defer", rationale="x"
        )
    assert exc.value.code == "already_decided"


def test_other_decisions_move_the_referral_on(personas, to_board, meeting):
    other, more, defer = to_board(3)
    cases = {
        r.pk: services.board_case_add(
            actor=personas["attending"], meeting_id=meeting.pk, referral_id=r.pk
        )
        for r in (other, more, defer)
    }
    decide = dict(actor=personas["attending"], rationale="Discussed.")
    services.board_decision_record(
        case_id=cases[other.pk].pk,
        decision=Decision.OTHER_TREATMENT,
        recommended_treatment="liver resection",
        **decide,
    )
    services.board_decision_record(
        case_id=cases[more.pk].pk, decision=Decision.MORE_INFORMATION, **decide
    )
    services.board_decision_record(case_id=cases[defer.pk].pk, decision=Decision.DEFER, **decide)
    for r in (other, more, defer):
        r.refresh_from_db()
    assert (other.status, other.status_note) == (
        "declined",
        "The board recommends liver resection. Discussed.",
    )
    assert more.status == ReferralStatus.MORE_INFO
    assert defer.status == ReferralStatus.BOARD
    # A deferred case can join another meeting's agenda; a declined one cannot.
    later = services.board_meeting_create(
        actor=personas["attending"], title="Next MDT", held_at=next_weekday_at(8, days_ahead=14)
    )
    services.board_case_add(actor=personas["attending"], meeting_id=later.pk, referral_id=defer.pk)
    with pytest.raises(InvalidTransition):
        services.board_case_add(
            actor=personas["attending"], meeting_id=later.pk, referral_id=other.pk
        )
    assert BoardCase.objects.filter(referral=defer).count() == 2


def test_the_agenda_pages_and_pdf(client, personas, to_board, meeting):
    pdftotext = require_tool("pdftotext", "poppler-utils")
    first, second = to_board(2)
    for r in (first, second):
        services.board_case_add(
            actor=personas["attending"], meeting_id=meeting.pk, referral_id=r.pk
        )
    login(client, personas["attending"])
    page = client.get(f"/board/{meeting.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "BOARDMAN0, Kim" in text and "Record the board's decision" in text
    before = AccessLog.objects.count()
    pdf = client.get(f"/board/{meeting.pk}/agenda.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    # One access-log entry per patient on the agenda.
    logged = AccessLog.objects.order_by("pk")[before:]
    assert sorted(e.patient_id for e in logged) == sorted([first.patient_id, second.patient_id])
    extracted = subprocess.run(
        [pdftotext, "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Hepatobiliary MDT" in extracted
    assert "1. BOARDMAN0, Kim" in extracted and "2. BOARDMAN1, Kim" in extracted
    assert "Liver-only metastases" in extracted
    printable = client.get(f"/board/{meeting.pk}/agenda/")
    assert printable.status_code == 200 and b"Dr S. Mar" in printable.content
    login(client, personas["referrer"])
    assert client.get(f"/board/{meeting.pk}/agenda.pdf").status_code == 403


def test_decisions_through_the_web_and_the_api(client, personas, to_board, meeting):
    first, second = to_board(2)
    login(client, personas["attending"])
    added = client.post(f"/board/{meeting.pk}/cases/", {"referral_id": first.pk})
    assert added.status_code == 302
    case = BoardCase.objects.get(referral=first)
    missing = client.post(
        f"/board/{meeting.pk}/cases/{case.pk}/decision/",
        {
            f"case{case.pk}-decision": "ir_treatment",
            f"case{case.pk}-priority": "routine",
            f"case{case.pk}-recommended_treatment": "Ablation",
            f"case{case.pk}-rationale": "Small lesions.",
        },
    )
    assert missing.status_code == 422
    assert services.MSG_PROCEDURE in missing.content.decode()
    assert not BoardCase.objects.get(pk=case.pk).decision
    decided = client.post(
        f"/board/{meeting.pk}/cases/{case.pk}/decision/",
        {
            f"case{case.pk}-decision": "ir_treatment",
            f"case{case.pk}-recommended_treatment": "Microwave ablation",
            f"case{case.pk}-procedure_code": "ABL-LIV",
            f"case{case.pk}-priority": "urgent",
            f"case{case.pk}-rationale": "Two lesions under 3 cm.",
        },
    )
    assert decided.status_code == 302
    first.refresh_from_db()
    assert first.order.procedure_type.code == "ABL-LIV" and first.order.priority == "urgent"

    token = api_token_create(actor=SYSTEM, user_id=personas["attending"].pk, name="t")[1]
    headers = {"authorization": f"Bearer {token}"}
    response = client.post(
        f"/api/board/meetings/{meeting.pk}/cases",
        {"referral_id": second.pk},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201
    agenda = client.get(f"/api/board/meetings/{meeting.pk}", headers=headers).json()
    assert [c["referral_id"] for c in agenda["cases"]] == [first.pk, second.pk]
    assert agenda["cases"][0]["decision"] == "ir_treatment"
    assert [a["name"] for a in agenda["attendees"]] == ["Dr S. Marín", "Dr A. Okafor"]


def test_planning_a_meeting_is_the_403_page_for_a_role_that_may_not(client, personas):
    planned = {"title": "Vascular MDT", "held_at": next_weekday_at(8).strftime("%Y-%m-%dT%H:%M")}
    login(client, personas["nurse"])  # may see the board, not plan its meetings
    assert client.get("/board/").status_code == 200
    assert client.post("/board/new/", planned).status_code == 403
    login(client, personas["scheduler"])
    created = client.post("/board/new/", planned)
    assert created.status_code == 302
    assert [m.title for m in BoardMeeting.objects.all()] == ["Vascular MDT"]
