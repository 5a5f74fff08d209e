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
P, T, N, TE, S, R, Q, A, AU, I = (
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
    "patient.view": {**_all(P, T, N, TE, S, A, I), R: OWN},
    "patient.create": {**_all(P, T, N, S, I), R: OWN},
    "patient.edit": {**_all(P, T, N, S, I), R: OWN},
    "patient.clinical_edit": _all(P, T, N, I),
    "patient.merge": _all(S, A, I),
    # Reference data
    "catalogue.view": _all(P, T, N, TE, S, R, Q, A, AU, I),
    "catalogue.manage": _all(A),
    "room.view": _all(P, T, N, TE, S, Q, A, I),
    # People
    "staff.view": _all(P, T, N, TE, S, Q, A),
    "user.manage": _all(A),
    "apitoken.manage": _all(A),
    # Audit
    "audit.view": _all(AU),
}

MSG_FORBIDDEN = "Your role ({role}) may not {action}."

ACTION_LABELS = {
    "patient.view": "view patient records",
    "patient.create": "register patients",
    "patient.edit": "edit patient details",
    "patient.clinical_edit": "record allergies, medications, labs and conditions",
    "patient.merge": "merge patient records",
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
        role = Role(actor.role).label if actor is not None and getattr(actor, "role", "") else "none"
        raise Forbidden(
            MSG_FORBIDDEN.format(role=role, action=ACTION_LABELS.get(action, action)),
            code="forbidden",
        )
    return held


def roles_for(action: str) -> dict[Role, Scope]:
    return dict(MATRIX[action])
