"""The header's link to the user's notifications, in every page's context (counted only when
a page draws it)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from irflow.accounts.roles import Role
from irflow.referrals import selectors


def notifications(request) -> dict:
    user = getattr(request, "user", None)

    def link() -> dict:
        if user is None or not user.is_authenticated:
            return {"show": False, "unread": 0}
        unread = selectors.unread_count(user)
        return {"show": unread > 0 or user.role == Role.REFERRER, "unread": unread}

    return {"notifications_link": SimpleLazyObject(link)}
