"""A referral follows its order and booking: booked → scheduled, booking cancelled → ordered,
procedure started (procedure time recorded), finished → done, order cancelled → cancelled;
a moved booking is told to the referrer. Connected to the orders' and bookings' signals in
ReferralsConfig.ready (receivers.py)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from irflow.accounts.actors import Actor, person
from irflow.lib.history import history_actor
from irflow.orders.models import Order, OrderStatus
from irflow.referrals.models import Referral, ReferralEvent, ReferralStatus
from irflow.referrals.transitions import notify_referrer, transition
from irflow.scheduling.models import Booking


def referral_follow_order(*, order: Order, previous: str, actor: Actor) -> None:
    """Keep a referral in step with its order (connected to order_status_changed).

    Raises InvalidTransition when the referral cannot follow — e.g. booking an order whose
    referral was declined or cancelled — which aborts the order's change.
    """
    referral = Referral.objects.select_for_update().select_related("patient").filter(order=order)
    found = referral.first()
    if found is None:
        return
    if order.status == OrderStatus.IN_PROGRESS:
        if found.procedure_at is None:
            found.procedure_at = timezone.now()
            with history_actor(actor):
                found.save(update_fields=["procedure_at", "updated_at"])
        return
    target = {
        OrderStatus.SCHEDULED: ReferralStatus.SCHEDULED,
        OrderStatus.ORDERED: ReferralStatus.ORDERED,
        OrderStatus.DISCONTINUED: ReferralStatus.ORDERED,
        OrderStatus.COMPLETED: ReferralStatus.DONE,
        OrderStatus.CANCELLED: ReferralStatus.CANCELLED,
    }.get(OrderStatus(order.status))
    if target is None or found.status == target:
        return
    transition(found, target, actor=actor, note=_order_note(order, target))


def _when(booking: Booking) -> str:
    local = timezone.localtime(booking.start)
    return f"{local:%a %d %b %Y %H:%M}, {booking.room}"


def _order_note(order: Order, target: str) -> str:
    booking = order.bookings.order_by("-updated_at", "-pk").select_related("room").first()
    if target == ReferralStatus.SCHEDULED and booking is not None:
        return _when(booking)
    if target == ReferralStatus.ORDERED and booking is not None and not booking.active:
        return f"booking cancelled ({booking.get_cancel_reason_display().lower()})"
    if target == ReferralStatus.CANCELLED:
        return order.cancel_reason
    return ""


def referral_follow_reschedule(*, booking: Booking, previous_start: datetime, actor: Actor) -> None:
    """Tell the referrer their patient's procedure moved (connected to booking_rescheduled)."""
    referral = Referral.objects.select_related("patient").filter(order_id=booking.order_id).first()
    if referral is None or previous_start == booking.start:
        return
    with history_actor(actor):
        ReferralEvent.objects.create(
            referral=referral,
            actor=person(actor),
            from_status=referral.status,
            to_status=referral.status,
            note=f"Moved to {_when(booking)}",
        )
    notify_referrer(referral=referral, text=f"procedure moved to {_when(booking)}", actor=actor)
