"""Reads of referrals: a referrer's own, the triage queue, waiting times, attachments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.db.models import BooleanField, Case, Prefetch, QuerySet, Value, When
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.accounts.models import User
from irflow.accounts.permissions import OWN, require
from irflow.audit.services import access_log_record
from irflow.lib.errors import NotFound
from irflow.orders.models import Priority
from irflow.referrals import waiting
from irflow.referrals.attachments import media_path
from irflow.referrals.models import (
    DEFAULT_TARGETS,
    Notification,
    PatientMatch,
    Referral,
    ReferralAttachment,
    ReferralEvent,
    ReferralStatus,
    UrgencyTarget,
)

MSG_REFERRAL_NOT_FOUND = "No such referral, or you may not see it."
MSG_ATTACHMENT_NOT_FOUND = "No such attachment, or you may not see it."
URGENCY_RANK: dict[str, int] = {Priority.EMERGENT: 0, Priority.URGENT: 1, Priority.ROUTINE: 2}


def referrals_visible(*, actor: Actor, action: str = "referral.view") -> QuerySet[Referral]:
    """Referrals `actor` may see: all of them, or (referrers) only those they sent.

    Each carries `patient_hidden`: true for a referrer's referral whose patient IR has not
    confirmed yet — they see what they typed (`submitted_patient`), not the record.
    """
    scope = require(actor, action)
    qs = Referral.objects.select_related("patient", "procedure_type", "referrer", "order").filter(
        patient__is_active=True
    )
    if scope is OWN:
        return qs.filter(referrer=person(actor)).annotate(
            patient_hidden=Case(
                When(patient_match=PatientMatch.PENDING, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    return qs.annotate(patient_hidden=Value(False, output_field=BooleanField()))


def referral_get(
    *, actor: Actor, referral_id: int, what: str = "referral", action: str = "referral.view"
) -> Referral:
    """One referral with its timeline and files; the read is written to the access log."""
    referral = (
        referrals_visible(actor=actor, action=action)
        .select_related("order__procedure_type", "triaged_by")
        .prefetch_related(
            "patient__identifiers",
            "attachments",
            Prefetch("events", queryset=ReferralEvent.objects.select_related("actor")),
        )
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise NotFound(MSG_REFERRAL_NOT_FOUND)
    access_log_record(actor=actor, patient=referral.patient, what=f"{what} {referral.pk}")
    return referral


def referral_list(*, actor: Actor, status: str = "", limit: int = 200) -> list[Referral]:
    """Referrals, newest first (a referrer's own; everyone's for IR staff)."""
    qs = referrals_visible(actor=actor).prefetch_related("patient__identifiers")
    if status:
        qs = qs.filter(status=status)
    referrals = list(qs[:limit])
    access_log_record(
        actor=actor,
        patient=None,
        what=f"referral list ({len(referrals)})",
        shown=[r.patient for r in referrals],
    )
    return referrals


def urgency_targets() -> dict[str, tuple[int, int]]:
    """Urgency -> (triage target hours, procedure target hours): the site's, else defaults."""
    targets = {str(k): v for k, v in DEFAULT_TARGETS.items()}
    for row in UrgencyTarget.objects.all():
        targets[row.urgency] = (row.triage_within_hours, row.procedure_within_hours)
    return targets


@dataclass
class QueueItem:
    referral: Referral
    due_at: datetime
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.now > self.due_at

    @property
    def hours_against_target(self) -> float:
        """Positive: hours past the target; negative: hours left."""
        return (self.now - self.due_at).total_seconds() / 3600

    @property
    def against_target(self) -> str:
        """'3 days over' or 'due in 5 h'."""
        hours = self.hours_against_target
        span = waiting.format_hours(abs(hours))
        return f"{span} over" if hours > 0 else f"due in {span}"


@dataclass
class TriageQueue:
    to_triage: list[QueueItem]
    to_order: list[QueueItem]
    waiting: list[QueueItem]

    @property
    def breaches(self) -> int:
        return sum(1 for item in self.to_triage if item.overdue)


def triage_queue(*, actor: Actor, now: datetime | None = None) -> TriageQueue:
    """Referrals waiting for IR, most urgent and most overdue first, against their target."""
    require(actor, "referral.triage")
    now = now or timezone.now()
    targets = urgency_targets()
    qs = (
        referrals_visible(actor=actor)
        .filter(
            status__in=[
                ReferralStatus.RECEIVED,
                ReferralStatus.ACCEPTED,
                ReferralStatus.MORE_INFO,
                ReferralStatus.CLINIC,
                ReferralStatus.BOARD,
            ]
        )
        .prefetch_related("patient__identifiers")
    )
    sections: dict[str, list[QueueItem]] = {"to_triage": [], "to_order": [], "waiting": []}
    for referral in qs:
        triage_h, procedure_h = targets[referral.urgency]
        if referral.status == ReferralStatus.RECEIVED:
            section = "to_triage"
            due = referral.received_at + timedelta(hours=triage_h)
        else:
            section = "to_order" if referral.status == ReferralStatus.ACCEPTED else "waiting"
            due = referral.received_at + timedelta(hours=procedure_h)
        sections[section].append(QueueItem(referral=referral, due_at=due, now=now))
    for items in sections.values():
        items.sort(key=lambda i: (URGENCY_RANK.get(i.referral.urgency, 9), i.due_at))
    count = sum(len(v) for v in sections.values())
    access_log_record(
        actor=actor,
        patient=None,
        what=f"triage queue ({count})",
        shown=[i.referral.patient for items in sections.values() for i in items],
    )
    return TriageQueue(**sections)


@dataclass(frozen=True)
class WaitingTimes:
    since: datetime
    until: datetime
    # kind ("triage" or "procedure") -> urgency -> summary
    figures: dict[str, dict[str, waiting.WaitSummary]]


def waiting_times(
    *,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> WaitingTimes:
    """Referral → triage and referral → procedure, per urgency, for referrals received in
    [since, until) (default: the last 365 days), against the site's targets."""
    require(actor, "waiting_times.view")
    now = now or timezone.now()
    until = until or now
    since = since or until - timedelta(days=365)
    targets = urgency_targets()
    rows = Referral.objects.filter(received_at__gte=since, received_at__lt=until).values_list(
        "urgency", "status", "received_at", "triaged_at", "procedure_at"
    )
    waits: dict[str, dict[str, list[float]]] = {"triage": {}, "procedure": {}}
    open_over: dict[str, dict[str, int]] = {"triage": {}, "procedure": {}}
    closed = {ReferralStatus.DECLINED, ReferralStatus.CANCELLED, ReferralStatus.DONE}
    for urgency, status, received, triaged, performed in rows:
        triage_h, procedure_h = targets[urgency]
        for kind, end, target_h, still_waiting in (
            ("triage", triaged, triage_h, status == ReferralStatus.RECEIVED),
            ("procedure", performed, procedure_h, status not in closed),
        ):
            if end is not None:
                hours = (end - received).total_seconds() / 3600
                waits[kind].setdefault(urgency, []).append(hours)
            elif still_waiting and (now - received).total_seconds() / 3600 > target_h:
                open_over[kind][urgency] = open_over[kind].get(urgency, 0) + 1
    figures = {
        kind: {
            urgency: waiting.summarise(
                waits[kind].get(urgency, []),
                targets[urgency][0 if kind == "triage" else 1],
                open_over[kind].get(urgency, 0),
            )
            for urgency in Priority.values
        }
        for kind in ("triage", "procedure")
    }
    return WaitingTimes(since=since, until=until, figures=figures)


def attachment_get(*, actor: Actor, attachment_id: int) -> tuple[ReferralAttachment, Path]:
    """An attachment of a referral `actor` may see, and its file; the read is access-logged."""
    attachment = (
        ReferralAttachment.objects.select_related("referral__patient")
        .filter(referral__in=referrals_visible(actor=actor), pk=attachment_id)
        .first()
    )
    path = media_path(attachment.stored_name) if attachment is not None else None
    if attachment is None or path is None or not path.is_file():
        raise NotFound(MSG_ATTACHMENT_NOT_FOUND)
    access_log_record(
        actor=actor,
        patient=attachment.referral.patient,
        what=f"attachment {attachment.original_name[:80]} of referral {attachment.referral_id}",
    )
    return attachment, path


def notifications_for(*, actor: Actor, limit: int = 50) -> list[Notification]:
    """The user's own notifications, newest first. Their messages name patients: the read is
    access-logged, one row per patient whose referral they concern."""
    items = list(
        Notification.objects.filter(recipient=person(actor)).select_related("referral__patient")[
            :limit
        ]
    )
    access_log_record(
        actor=actor,
        patient=None,
        what=f"notifications ({len(items)})",
        shown=[n.referral.patient for n in items if n.referral is not None],
    )
    return items


def unread_count(user: User | AnonymousUser) -> int:
    """How many notifications `user` has not read (none for a visitor)."""
    if isinstance(user, AnonymousUser):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
