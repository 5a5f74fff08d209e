"""A referral follows its order and booking (connected in ReferralsConfig.ready)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from irflow.accounts.actors import Actor
from irflow.orders.models import Order
from irflow.referrals import following
from irflow.scheduling.models import Booking


def order_changed(
    sender: type[Order], *, order: Order, previous: str, actor: Actor, **kwargs: Any
) -> None:
    following.referral_follow_order(order=order, previous=previous, actor=actor)


def booking_moved(
    sender: type[Booking],
    *,
    booking: Booking,
    previous_start: datetime,
    actor: Actor,
    **kwargs: Any,
) -> None:
    following.referral_follow_reschedule(
        booking=booking, previous_start=previous_start, actor=actor
    )
