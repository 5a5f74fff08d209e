"""Reads of reference data."""

from __future__ import annotations

from django.db.models import QuerySet

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.catalogue.models import ProcedureType, Room


def procedure_types(
    *, actor: Actor, category: str = "", active_only: bool = True
) -> QuerySet[ProcedureType]:
    """The procedure catalogue, optionally one category."""
    require(actor, "catalogue.view")
    qs = ProcedureType.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    if category:
        qs = qs.filter(category=category)
    return qs


def rooms(*, actor: Actor, active_only: bool = True) -> QuerySet[Room]:
    """Rooms of the department."""
    require(actor, "room.view")
    qs = Room.objects.all()
    return qs.filter(active=True) if active_only else qs
