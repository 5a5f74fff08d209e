"""Template helpers: the header's notification link, referral status tags, waiting spans."""

from __future__ import annotations

from django import template

from irflow.accounts.roles import Role
from irflow.referrals import selectors
from irflow.referrals.waiting import format_hours

register = template.Library()


@register.inclusion_tag("referrals/_notifications_link.html", takes_context=True)
def notifications_link(context) -> dict:
    """A link to the user's notifications with the unread count (referrers always see it)."""
    user = context.get("user")
    unread = selectors.unread_count(user)
    show = unread > 0 or getattr(user, "role", "") == Role.REFERRER
    return {"show": show, "unread": unread}


@register.filter
def hours(value: float | None) -> str:
    return format_hours(value)
