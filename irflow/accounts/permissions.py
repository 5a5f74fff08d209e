"""The permission matrix: the one place that says which role may do what.

Services and selectors call `require(actor, action)` before they read or write, so every entry
point (web, API, DICOM, HL7, CLI) obeys the same rules. A role may hold an action for
everything (`ALL`) or only for the patients in its care (`OWN`: a referring clinician sees the
patients they referred, nobody else's). Tests walk every API route for every role against
this table.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from irflow.accounts.roles import Role
from irflow.lib.errors import Forbidden

if TYPE_CHECKING:
    from irflow.accounts.models import User


class Scope(enum.Enum):
    ALL = "all"
    OWN = "own"


ALL, OWN = Scope.ALL, Scope.OWN
PHY, TRN, NUR, TEC, SCH, REF, QIL, ADM, AUD, INT = (
    Role.PHYSICIAN,
    Role.TRAINEE,
    Role.NURSE,
    Role.TECHNOLOGIST,
    Role.SCHEDULER,
    Role.REFERRER,
    Role.QI_LEAD,
    Role.ADMIN,
    Role.AUDITOR,
    Role.INTEGRATION,
)


def _all(*roles: Role) -> dict[Role, Scope]:
    return dict.fromkeys(roles, ALL)


# action -> {role: scope}. Keep actions named `<thing>.<verb>`.
MATRIX: dict[str, dict[Role, Scope]] = {
    # Patients
    "patient.view": {**_all(PHY, TRN, NUR, TEC, SCH, ADM, INT), REF: OWN},
    "patient.create": {**_all(PHY, TRN, NUR, SCH, INT), REF: OWN},
    "patient.edit": {**_all(PHY, TRN, NUR, SCH, INT), REF: OWN},
    "patient.clinical_edit": _all(PHY, TRN, NUR, INT),
    "patient.merge": _all(SCH, ADM, INT),
    # Orders and bookings
    "order.create": _all(PHY, INT),
    "order.view": {**_all(PHY, TRN, NUR, TEC, SCH, ADM, INT), REF: OWN},
    "order.bleeding_risk": _all(PHY),
    "booking.view": {**_all(PHY, TRN, NUR, TEC, SCH, INT), REF: OWN},
    "booking.manage": _all(PHY, SCH, INT),
    "booking.progress": _all(PHY, TRN, NUR, TEC, SCH, INT),
    # Reference data
    "catalogue.view": _all(PHY, TRN, NUR, TEC, SCH, REF, QIL, ADM, AUD, INT),
    "catalogue.manage": _all(ADM),
    "room.view": _all(PHY, TRN, NUR, TEC, SCH, QIL, ADM, INT),
    # People
    "staff.view": _all(PHY, TRN, NUR, TEC, SCH, QIL, ADM),
    "user.manage": _all(ADM),
    "apitoken.manage": _all(ADM),
    # Audit
    "audit.view": _all(AUD),
}

MSG_FORBIDDEN = "Your role ({role}) may not {action}."

ACTION_LABELS = {
    "patient.view": "view patient records",
    "patient.create": "register patients",
    "patient.edit": "edit patient details",
    "patient.clinical_edit": "record allergies, medications, labs and conditions",
    "patient.merge": "merge patient records",
    "order.create": "create orders",
    "order.view": "view orders",
    "order.bleeding_risk": "record the operator's bleeding-risk choice",
    "booking.view": "view bookings",
    "booking.manage": "book, reschedule and cancel procedures",
    "booking.progress": "update a booked patient's status on the day",
    "catalogue.view": "view the procedure catalogue",
    "catalogue.manage": "manage the procedure catalogue",
    "room.view": "view rooms",
    "staff.view": "view staff",
    "user.manage": "manage users",
    "apitoken.manage": "manage API tokens",
    "audit.view": "view audit trails",
}


def register(action: str, roles: dict[Role, Scope], label: str) -> None:
    """Add an action (used by later apps so that the matrix stays one table)."""
    if action in MATRIX:
        raise ValueError(f"permission {action!r} declared twice")
    MATRIX[action] = roles
    ACTION_LABELS[action] = label


def scope(actor: User | None, action: str) -> Scope | None:
    """The scope `actor` holds for `action`, or None."""
    if action not in MATRIX:
        raise KeyError(f"unknown permission {action!r}")
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return None
    return MATRIX[action].get(Role(actor.role)) if actor.role else None


def can(actor: User | None, action: str) -> bool:
    return scope(actor, action) is not None


def require(actor: User | None, action: str) -> Scope:
    """Return the actor's scope for `action` or raise Forbidden with a readable message."""
    held = scope(actor, action)
    if held is None:
        role_code = actor.role if actor is not None and actor.is_authenticated else ""
        role = Role(role_code).label if role_code else "none"
        raise Forbidden(
            MSG_FORBIDDEN.format(role=role, action=ACTION_LABELS.get(action, action)),
            code="forbidden",
        )
    return held


def roles_for(action: str) -> dict[Role, Scope]:
    return dict(MATRIX[action])
