"""Who acts: a person (a `User`) or the system, irflow's own work that no person does — the
DICOM listener's MPPS moves, the worker's tasks (reading dose reports, raising dose alerts and
their follow-up, the catalogue's follow-up rules) and the set-up commands. Services take an
`Actor`; the permission matrix has a column for the system as for every role, so
`require(SYSTEM, action)` passes or refuses like for anyone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from irflow.accounts.roles import Role
from irflow.lib.errors import Forbidden

if TYPE_CHECKING:
    from irflow.accounts.models import User


class SystemActor:
    """irflow itself. Not a database row: it cannot sign in, and nothing points to it — history
    it writes names no user (auditlog's `actor_email` says "system"), "by whom" columns stay
    empty."""

    role: Final = Role.SYSTEM
    pk: Final = None
    history_name: Final = "system"

    def __str__(self) -> str:
        return Role.SYSTEM.label

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = SystemActor()

type Actor = User | SystemActor


MSG_PERSON_ONLY = "Only a person may do this, not the system."


def person(actor: Actor) -> User | None:
    """The user behind `actor`, for a "by whom" column; None for the system."""
    return None if isinstance(actor, SystemActor) else actor


def person_only(actor: Actor) -> User:
    """The user behind `actor`, for what only a person does (signing, acknowledging, taking
    part): the matrix gives the system no such action, and this refuses it too."""
    if isinstance(actor, SystemActor):
        raise Forbidden(MSG_PERSON_ONLY, code="forbidden")
    return actor
