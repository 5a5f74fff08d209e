"""Reads of reference data."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.catalogue.models import ProcedureType, Room, RoomClosure
from irflow.lib.errors import NotFound

MSG_NO_ROOM = "This room does not exist."
MSG_NO_PROCEDURE = "This procedure is not in the catalogue."


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


def room_for_edit(*, actor: Actor, room_id: int) -> Room:
    """A room with its closures, for the administrator who changes it."""
    require(actor, "room.manage")
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise NotFound(MSG_NO_ROOM)
    return room


def room_closures(*, actor: Actor, room_id: int, since: datetime) -> QuerySet[RoomClosure]:
    """The room's closures that end after `since`, soonest first."""
    require(actor, "room.view")
    return RoomClosure.objects.filter(room_id=room_id, ends_at__gt=since).order_by("starts_at")


def procedure_type_for_edit(*, actor: Actor, procedure_id: int) -> ProcedureType:
    """A procedure of the catalogue, for the administrator who changes it."""
    require(actor, "catalogue.manage")
    procedure = ProcedureType.objects.filter(pk=procedure_id).first()
    if procedure is None:
        raise NotFound(MSG_NO_PROCEDURE)
    return procedure
