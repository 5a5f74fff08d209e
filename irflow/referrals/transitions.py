"""A referral moves along its state machine: the transition checked, an event in its timeline,
the history, a notification to the referrer. Steps inside the transaction of a service (or a
receiver of `following`) that has checked the actor's permission and locked the referral;
what the caller changed on it is saved with the new status."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.lib.history import history_actor
from irflow.lib.versions import save_fields
from irflow.referrals.models import (
    REFERRAL_STATES,
    TRIAGE_OUTCOMES,
    Notification,
    Referral,
    ReferralEvent,
    ReferralStatus,
)

# What the referrer is told about each change (the patient's name is put in front).
NOTICES = {
    ReferralStatus.RECEIVED: "information received, waiting for triage",
    ReferralStatus.ACCEPTED: "referral accepted",
    ReferralStatus.DECLINED: "referral declined",
    ReferralStatus.MORE_INFO: "IR asks for more information",
    ReferralStatus.BOARD: "referral sent to the multidisciplinary board",
    ReferralStatus.CLINIC: "IR will see the patient in clinic first",
    ReferralStatus.ORDERED: "procedure ordered",
    ReferralStatus.SCHEDULED: "procedure booked",
    ReferralStatus.DONE: "procedure done",
    ReferralStatus.CANCELLED: "referral cancelled",
}


def notify_referrer(*, referral: Referral, text: str, actor: Actor) -> Notification | None:
    """Tell the referrer about a change they did not make themselves."""
    if actor.pk == referral.referrer_id:
        return None
    # Until IR confirms the patient, the names the referrer typed, not the record's.
    message = f"{referral.patient_label(as_submitted=True)}: {text}"
    if len(message) > 300:
        message = message[:299] + "…"
    return Notification.objects.create(
        recipient_id=referral.referrer_id,
        referral=referral,
        message=message,
        url=reverse("referral-detail", args=[referral.pk]),
    )


def transition(
    referral: Referral, target: str, *, actor: Actor, note: str = "", also: tuple[str, ...] = ()
) -> None:
    """Move a (locked) referral along the state machine: event, history, notification.

    Only the state's fields are written (with `also`, fields the caller changed with it)."""
    REFERRAL_STATES.check(referral.status, target)
    previous = referral.status
    now = timezone.now()
    referral.status = target
    referral.status_note = note
    referral.status_changed_at = now
    if target in TRIAGE_OUTCOMES and referral.triaged_at is None:
        referral.triaged_at = now
        referral.triaged_by = person(actor)
    with history_actor(actor):
        save_fields(
            referral,
            "status",
            "status_note",
            "status_changed_at",
            "triaged_at",
            "triaged_by",
            *also,
        )
        ReferralEvent.objects.create(
            referral=referral,
            at=now,
            actor=person(actor),
            from_status=previous,
            to_status=target,
            note=note,
        )
        text = NOTICES[ReferralStatus(target)] + (f" — {note}" if note else "")
        notify_referrer(referral=referral, text=text, actor=actor)
