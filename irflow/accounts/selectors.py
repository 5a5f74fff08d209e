"""Reads about people."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django_otp import user_has_device

from irflow.accounts.actors import Actor
from irflow.accounts.models import User
from irflow.accounts.permissions import require
from irflow.accounts.roles import Role


def staff_list(*, actor: Actor, role: str = "") -> QuerySet[User]:
    """Active users, optionally of one role, with their privileges."""
    require(actor, "staff.view")
    qs = User.objects.filter(is_active=True).exclude(role="").prefetch_related("privileges")
    return qs.filter(role=role) if role else qs


def second_factor_satisfied(user: User) -> bool:
    """The session of `user` needs no second factor, or has given it."""
    # django-otp's is_verified(), which a user signed in during this request does not have yet.
    if getattr(user, "otp_device", None) is not None:
        return True
    if user_has_device(user):
        return False
    return not (
        settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS and (user.role == Role.ADMIN or user.is_superuser)
    )
