"""Demo board meetings: one held last week with its decisions, one coming with an agenda."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from irflow.board import services
from irflow.board.models import Decision
from irflow.catalogue.models import ProcedureType
from irflow.referrals.models import Referral, ReferralStatus

SPECIALTIES = [
    "Interventional radiology",
    "Hepatobiliary surgery",
    "Medical oncology",
    "Gastroenterology",
    "Diagnostic radiology",
]


def demo_board_create(ctx) -> None:
    physician = ctx.users["physician"]
    referrers = [u for u in ctx.users.values() if u.role == "referrer"]
    waiting = list(
        Referral.objects.filter(status=ReferralStatus.BOARD, referrer__in=referrers)
        # Not those an earlier demo run put on an agenda (they wait for its meeting).
        .exclude(board_cases__decision="")
        .select_related("procedure_type")
        .order_by("received_at", "pk")
    )
    tz = timezone.get_current_timezone()
    attendees = [
        (str(ctx.users["physician"]), "Interventional radiology"),
        (str(ctx.users["physician3"]), "Interventional radiology"),
    ] + [(str(r), r.profile.specialty) for r in referrers]
    held = datetime.combine(ctx.today - timedelta(days=7), time(8, 0), tz)
    past = services.board_meeting_create(
        actor=physician,
        title="Hepatobiliary and oncology MDT",
        held_at=held,
        location="Seminar room 2",
        specialties=SPECIALTIES,
        attendees=attendees,
    )
    coming = services.board_meeting_create(
        actor=physician,
        title="Hepatobiliary and oncology MDT",
        held_at=held + timedelta(days=9),
        location="Seminar room 2",
        specialties=SPECIALTIES,
        attendees=attendees,
    )
    decided, agenda = waiting[:2], waiting[2:5]
    for i, referral in enumerate(decided):
        case = services.board_case_add(actor=physician, meeting_id=past.pk, referral_id=referral.pk)
        if i == 0:
            procedure = referral.procedure_type or ProcedureType.objects.get(code="TACE")
            services.board_decision_record(
                actor=physician,
                case_id=case.pk,
                decision=Decision.IR_TREATMENT,
                recommended_treatment=procedure.name,
                rationale="Liver-only disease, good liver function; IR treatment agreed.",
                agreed_by="IR, hepatobiliary surgery, oncology",
                procedure_type=procedure,
            )
        else:
            services.board_decision_record(
                actor=physician,
                case_id=case.pk,
                decision=Decision.OTHER_TREATMENT,
                recommended_treatment="systemic therapy first",
                rationale="Extrahepatic progression; restage after three cycles.",
                agreed_by="All present",
            )
    for referral in agenda:
        services.board_case_add(actor=physician, meeting_id=coming.pk, referral_id=referral.pk)
    ctx.counts["board meetings"] = 2
