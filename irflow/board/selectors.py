"""Reads of the board: meetings, one meeting's agenda, referrals waiting for a board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.audit.services import access_log_record
from irflow.board.models import BoardCase, BoardMeeting
from irflow.lib.errors import NotFound
from irflow.referrals.models import Referral, ReferralStatus
from irflow.referrals.selectors import referrals_visible

MSG_MEETING_NOT_FOUND = "No such board meeting."


def board_meetings(
    *, actor: Actor, upcoming: bool | None = None, limit: int = 200
) -> list[BoardMeeting]:
    """Meetings with their number of cases and of decided cases (newest first), attendees
    prefetched. Titles and attendees name people: the read is access-logged."""
    require(actor, "board.view")
    qs = BoardMeeting.objects.annotate(
        case_count=Count("cases"), decided_count=Count("cases", filter=~Q(cases__decision=""))
    ).prefetch_related("attendees")
    now = timezone.now()
    if upcoming is True:
        qs = qs.filter(held_at__gte=now - timedelta(hours=12)).order_by("held_at")
    elif upcoming is False:
        qs = qs.filter(held_at__lt=now - timedelta(hours=12))
    meetings: list[BoardMeeting] = list(qs[:limit])
    which = "" if upcoming is None else "upcoming " if upcoming else "past "
    access_log_record(actor=actor, patient=None, what=f"{which}board meetings ({len(meetings)})")
    return meetings


@dataclass
class Agenda:
    meeting: BoardMeeting
    cases: list[BoardCase]

    @property
    def undecided(self) -> int:
        return sum(1 for c in self.cases if not c.decision)


def board_meeting_get(*, actor: Actor, meeting_id: int, what: str = "board agenda") -> Agenda:
    """One meeting with its attendees and agenda; each patient on it is access-logged."""
    require(actor, "board.view")
    meeting = BoardMeeting.objects.prefetch_related("attendees").filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(MSG_MEETING_NOT_FOUND)
    cases = list(
        BoardCase.objects.filter(meeting=meeting)
        .select_related(
            "referral__patient", "referral__procedure_type", "decided_by", "order__procedure_type"
        )
        .prefetch_related("referral__patient__identifiers", "referral__attachments")
        .order_by("position")
    )
    access_log_record(
        actor=actor,
        patient=None,
        what=f"{what} {meeting.pk}",
        shown=[case.referral.patient for case in cases],
    )
    return Agenda(meeting=meeting, cases=cases)


def referrals_awaiting_board(*, actor: Actor) -> list[Referral]:
    """Referrals sent to the board that are not on an agenda waiting for a decision."""
    require(actor, "board.view")
    open_cases = BoardCase.objects.filter(decision="").values("referral_id")
    referrals = list(
        referrals_visible(actor=actor)
        .filter(status=ReferralStatus.BOARD)
        .exclude(pk__in=open_cases)
        .prefetch_related("patient__identifiers")
        .order_by("received_at")
    )
    access_log_record(
        actor=actor,
        patient=None,
        what=f"awaiting board ({len(referrals)})",
        shown=[r.patient for r in referrals],
    )
    return referrals
