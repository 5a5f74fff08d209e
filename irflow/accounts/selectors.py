"""Reads about people."""

from __future__ import annotations

from django.db.models import QuerySet

from irflow.accounts.models import User
from irflow.accounts.permissions import require


def staff_list(*, actor, role: str = "") -> QuerySet[User]:
    """Active users, optionally of one role, with their privileges."""
    require(actor, "staff.view")
    qs = User.objects.filter(is_active=True).exclude(role="").prefetch_related("privileges")
    return qs.filter(role=role) if role else qs
