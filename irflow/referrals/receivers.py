"""A referral follows its order and booking (connected in ReferralsConfig.ready)."""

from __future__ import annotations

from irflow.referrals import following


def order_changed(sender, *, order, previous, actor, **kwargs) -> None:
    following.referral_follow_order(order=order, previous=previous, actor=actor)


def booking_moved(sender, *, booking, previous_start, actor, **kwargs) -> None:
    following.referral_follow_reschedule(
        booking=booking, previous_start=previous_start, actor=actor
    )
