"""The permission matrix: the one place that says which role may do what.

Services and selectors call `require(actor, action)` before they read or write, so every entry
point (web, API, DICOM, HL7, CLI) obeys the same rules, and so does the work irflow does itself
(the system actor, `irflow.accounts.actors.SYSTEM`: the column "System"). A role may hold an
action for everything (`ALL`) or only for the patients in its care (`OWN`: a referring
clinician sees the patients they referred, nobody else's). Tests walk every API route for
every role against this table.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from irflow.accounts.actors import Actor, SystemActor
from irflow.accounts.roles import Role
from irflow.lib.errors import Forbidden

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class Scope(enum.Enum):
    ALL = "all"
    OWN = "own"


ALL, OWN = Scope.ALL, Scope.OWN
PHY, TRN, NUR, TEC, SCH, REF, QIL, ADM, AUD, INT, SYS = (
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
    Role.SYSTEM,
)


def _all(*roles: Role) -> dict[Role, Scope]:
    return dict.fromkeys(roles, ALL)


# action -> {role: scope}. Keep actions named `<thing>.<verb>`. The system (SYS) holds only what
# it does: moving bookings along the day from the modality's reports (MPPS), creating follow-up
# tasks (dose alerts, the catalogue's rules), re-reading quarantined dose reports
# (`irflow import-rdsr`), creating users, privileges and API tokens (set-up commands, the demo),
# and applying what the hospital sends over HL7 (irflow.hl7server.apply): registering and
# updating patients, merging them and changing their identifiers (ADT), creating, changing and
# cancelling orders with their bookings, and referrals for procedures the catalogue lacks (orders);
# and the trainees' logbook entries when a procedure completes (irflow.training).
MATRIX: dict[str, dict[Role, Scope]] = {
    # Patients
    "patient.view": {**_all(PHY, TRN, NUR, TEC, SCH, ADM, INT, SYS), REF: OWN},
    "patient.create": {**_all(PHY, TRN, NUR, SCH, INT, SYS), REF: OWN},
    "patient.edit": {**_all(PHY, TRN, NUR, SCH, INT, SYS), REF: OWN},
    "patient.clinical_edit": _all(PHY, TRN, NUR, INT),
    "patient.report": {**_all(PHY, TRN, NUR, SCH, INT), REF: OWN},
    "patient.merge": _all(SCH, ADM, INT, SYS),
    # Orders and bookings
    "order.create": _all(PHY, INT, SYS),
    "order.view": {**_all(PHY, TRN, NUR, TEC, SCH, ADM, INT, SYS), REF: OWN},
    "order.bleeding_risk": _all(PHY),
    "booking.view": {**_all(PHY, TRN, NUR, TEC, SCH, INT), REF: OWN},
    "booking.manage": _all(PHY, SCH, INT, SYS),
    "booking.progress": _all(PHY, TRN, NUR, TEC, SCH, INT, SYS),
    "order.cancel": _all(PHY, SCH, INT, SYS),
    "schedule.view": _all(PHY, TRN, NUR, TEC, SCH, INT),
    # Referrals, triage, waiting times and the multidisciplinary board
    "referral.view": {**_all(PHY, TRN, NUR, SCH, INT), REF: OWN},
    "referral.create": {**_all(PHY, TRN, SCH, INT, SYS), REF: OWN},
    "referral.triage": _all(PHY),
    "referral.cancel": {**_all(PHY, SCH, INT, SYS), REF: OWN},
    "referral.targets": _all(ADM),
    "waiting_times.view": _all(PHY, TRN, SCH, QIL, ADM, INT),
    "board.view": _all(PHY, TRN, NUR, SCH, INT),
    "board.manage": _all(PHY, SCH),
    "board.decide": _all(PHY),
    # Reference data
    "catalogue.view": _all(PHY, TRN, NUR, TEC, SCH, REF, QIL, ADM, AUD, INT),
    "catalogue.manage": _all(ADM),
    "room.view": _all(PHY, TRN, NUR, TEC, SCH, QIL, ADM, INT),
    "room.manage": _all(ADM),
    "department.manage": _all(ADM),
    # People
    "staff.view": _all(PHY, TRN, NUR, TEC, SCH, QIL, ADM),
    "user.manage": _all(ADM, SYS),
    "apitoken.manage": _all(ADM, SYS),
    "credential.view": _all(PHY, TRN, NUR, TEC, SCH, QIL, ADM, INT),
    # Trainee logbooks (a trainee sees only their own) and practice evaluation
    "logbook.view": _all(PHY, TRN, QIL, ADM),
    "logbook.record": _all(SYS),
    "logbook.verify": _all(PHY),
    "programme.manage": _all(ADM),
    "practice.view": _all(PHY, QIL, ADM),
    # Audit
    "audit.view": _all(AUD),
    # Radiation dose (RDSR) and follow-up tasks
    "dose.view": _all(PHY, TRN, NUR, TEC, QIL),
    "dose.reconcile": _all(PHY, TEC, SYS),
    "dose.acknowledge": _all(PHY),
    "dose.export": _all(PHY, QIL),
    "quality.view": _all(PHY, QIL),
    "followup.view": {**_all(PHY, TRN, NUR, TEC, SCH, INT), REF: OWN},
    "followup.manage": _all(PHY, TRN, NUR, INT, SYS),
    "followup.acknowledge": _all(PHY, TRN, NUR),
    # Readiness, site policy and checklists
    "readiness.view": {**_all(PHY, TRN, NUR, TEC, SCH, INT), REF: OWN},
    "readiness.evaluate": _all(PHY, TRN, NUR, TEC, SCH, INT),
    "readiness.acknowledge": _all(PHY),
    "preparation.edit": _all(PHY, TRN, NUR),
    "ruleset.view": _all(PHY, TRN, NUR, TEC, SCH, REF, QIL, ADM, AUD, INT),
    "policy.manage": _all(ADM),
    "checklist.view": _all(PHY, TRN, NUR, TEC, SCH, INT),
    "checklist.complete": _all(PHY, TRN, NUR, TEC),
    "case.override": _all(PHY),
    "safety_flag.review": _all(PHY, NUR),
    # Procedure steps reported by modalities (MPPS)
    "mpps.view": _all(PHY, TRN, NUR, TEC, SCH),
    "mpps.reconcile": _all(PHY, TEC),
    "dicom.configure": _all(ADM),
    "hl7.view": _all(ADM, INT),
    "hl7.manage": _all(ADM),
    # Day of procedure, reports, recovery, adverse events and devices left in patients
    "procedure.view": _all(PHY, TRN, NUR, TEC, SCH, INT),
    "procedure.record": _all(PHY, TRN, NUR, TEC),
    "report.view": {**_all(PHY, TRN, NUR, TEC, SCH), REF: OWN},
    "report.draft": _all(PHY, TRN),
    "report.sign": _all(PHY),
    "report.cosign": _all(PHY),
    "recovery.record": _all(PHY, NUR),
    "adverse_event.view": _all(PHY, TRN, NUR, TEC, QIL, INT),
    "adverse_event.record": _all(PHY, TRN, NUR),
    "device.view": _all(PHY, TRN, NUR, TEC, SCH, INT),
    "device.manage": _all(PHY, TRN, NUR, TEC),
    "device.expired_override": _all(PHY),
    "device.recall": _all(PHY, NUR, QIL),
    # Registry export (de-identified; identified only by choice) and the M&M review
    "registry.export": _all(QIL, ADM),
    "registry.export_identified": _all(QIL),
    "mm.view": _all(PHY, QIL),
    "fhir.export": _all(ADM, INT),
    "fhir.export_deidentified": _all(QIL, ADM, INT),
}

MSG_FORBIDDEN = "Your role ({role}) may not {action}."

ACTION_LABELS = {
    "patient.view": "view patient records",
    "patient.create": "register patients",
    "patient.edit": "edit patient details",
    "patient.clinical_edit": "record allergies, medications, labs and conditions",
    "patient.report": "report medications and allergies for the team to confirm",
    "patient.merge": "merge patient records",
    "order.create": "create orders",
    "order.view": "view orders",
    "order.bleeding_risk": "record the operator's bleeding-risk choice",
    "booking.view": "view bookings",
    "booking.manage": "book, reschedule and cancel procedures",
    "booking.progress": "check patients in and move them along the day",
    "order.cancel": "cancel orders",
    "schedule.view": "view room schedules and the department board",
    "referral.view": "view referrals",
    "referral.create": "submit referrals and add information to them",
    "referral.triage": "triage referrals (accept, decline, ask, board, clinic first)",
    "referral.cancel": "withdraw or cancel referrals",
    "referral.targets": "set the site's urgency targets",
    "waiting_times.view": "view waiting times",
    "board.view": "view multidisciplinary board meetings",
    "board.manage": "plan board meetings and build their agenda",
    "board.decide": "record board decisions",
    "catalogue.view": "view the procedure catalogue",
    "catalogue.manage": "manage the procedure catalogue",
    "room.view": "view rooms",
    "room.manage": "manage rooms, their opening hours and closures",
    "department.manage": "set the department's names, address, phone numbers and logo",
    "staff.view": "view staff",
    "user.manage": "manage users",
    "apitoken.manage": "manage API tokens",
    "credential.view": "see staff's expired or soon expiring certifications (flags)",
    "logbook.view": "view trainee logbooks (a trainee: their own)",
    "logbook.record": "make logbook entries from completed procedures",
    "logbook.verify": "verify or query the logbook entries of the trainees they supervised",
    "programme.manage": "manage training programmes and who follows them",
    "practice.view": "view per-operator practice evaluation figures",
    "audit.view": "view audit trails",
    "mpps.view": "view procedure steps reported by modalities",
    "mpps.reconcile": "link an unscheduled procedure step to its booking",
    "dicom.configure": "configure the modalities (remote DICOM AEs) irflow talks to",
    "hl7.view": "see the HL7 messages received and sent, raw",
    "hl7.manage": "configure HL7 destinations and code mappings; re-process or resend messages",
    "dose.view": "view radiation dose reports",
    "dose.reconcile": "link unmatched dose reports and re-process quarantined ones",
    "dose.acknowledge": "acknowledge radiation dose alerts",
    "dose.export": "export dose data (de-identified by default)",
    "quality.view": "view the quality dashboards, their exports and the cases behind a figure",
    "followup.view": "view follow-up tasks",
    "followup.manage": "create and complete follow-up tasks",
    "followup.acknowledge": "acknowledge follow-up tasks",
    "readiness.view": "view a booking's readiness",
    "readiness.evaluate": "ask whether a case is ready (evaluation API)",
    "readiness.acknowledge": "acknowledge (override) a readiness finding",
    "preparation.edit": "record a booking's preparation (sedation, contrast, consent, intake)",
    "ruleset.view": "view the clinical rule sets and the site policy",
    "policy.manage": "change the site policy of the clinical rules",
    "checklist.view": "view procedure checklists",
    "checklist.complete": "complete sign-in, time-out and sign-out",
    "case.override": "override a day-of-case safety rule in an emergency (with a reason)",
    "safety_flag.review": "review what a modality did out of order",
    "procedure.view": "view procedure records and recovery",
    "procedure.record": "document procedures",
    "report.view": "read procedure reports (referrers: final reports of their own patients)",
    "report.draft": "draft procedure reports and addenda",
    "report.sign": "sign procedure reports and addenda",
    "report.cosign": "co-sign reports drafted by trainees",
    "recovery.record": "record recovery, pain scores and discharge",
    "adverse_event.view": "view adverse events",
    "registry.export": "validate and export the registry datasets (de-identified)",
    "registry.export_identified": "export the registry datasets with names, MRN and birth date",
    "mm.view": "view the morbidity and mortality review and its agenda",
    "adverse_event.record": "record adverse events",
    "device.view": "view devices left in patients",
    "device.manage": "register devices in situ and record their removal",
    "device.expired_override": "record the use of an expired device (with the reason)",
    "device.recall": "find every patient who received a device product or lot (recall), "
    "and export the list",
    "fhir.export": "export the department's record as FHIR (Bulk Data $export)",
    "fhir.export_deidentified": "export the department's record as de-identified FHIR",
}


def register(action: str, roles: dict[Role, Scope], label: str) -> None:
    """Add an action (used by later apps so that the matrix stays one table)."""
    if action in MATRIX:
        raise ValueError(f"permission {action!r} declared twice")
    MATRIX[action] = roles
    ACTION_LABELS[action] = label


def _role(actor: Actor | AnonymousUser) -> Role | None:
    """The role `actor` acts in: the system's, or an active signed-in person's (never the
    system's: no person acts as the system)."""
    if isinstance(actor, SystemActor):
        return Role.SYSTEM
    signed_in = getattr(actor, "is_authenticated", False) and actor.is_active  # None: nobody
    code = getattr(actor, "role", "") if signed_in else ""
    role = Role(code) if code else None
    return None if role is Role.SYSTEM else role


def scope(actor: Actor | AnonymousUser, action: str) -> Scope | None:
    """The scope `actor` holds for `action`, or None."""
    if action not in MATRIX:
        raise KeyError(f"unknown permission {action!r}")
    role = _role(actor)
    return MATRIX[action].get(role) if role is not None else None


def can(actor: Actor | AnonymousUser, action: str) -> bool:
    return scope(actor, action) is not None


def require(actor: Actor | AnonymousUser, action: str) -> Scope:
    """Return the actor's scope for `action` or raise Forbidden with a readable message."""
    held = scope(actor, action)
    if held is None:
        role = _role(actor)
        raise Forbidden(
            MSG_FORBIDDEN.format(
                role=role.label if role is not None else "none",
                action=ACTION_LABELS.get(action, action),
            ),
            code="forbidden",
        )
    return held


def roles_for(action: str) -> dict[Role, Scope]:
    return dict(MATRIX[action])


# Actions that decide who may do what (users, roles, API tokens), how the clinical rules and
# the department behave (site policy, catalogue, rooms, targets, letterhead) and which machines
# irflow trusts (DICOM AEs): one misuse changes what every other user sees and may do. A role
# holding any of them is privileged: it signs in with a second factor (while
# IRFLOW_REQUIRE_2FA_FOR_ADMINS is on), and its API tokens are refused, because a bearer token
# is a standing secret that cannot ask for one (docs/security.md, "API tokens").
PRIVILEGED_ACTIONS = frozenset(
    {
        "user.manage",
        "apitoken.manage",
        "policy.manage",
        "catalogue.manage",
        "room.manage",
        "department.manage",
        "referral.targets",
        "dicom.configure",
    }
)


def privileged_roles() -> frozenset[Role]:
    """The person roles holding a privileged action (the system is not a person)."""
    return frozenset(
        role for action in PRIVILEGED_ACTIONS for role in MATRIX[action] if role is not Role.SYSTEM
    )


def is_privileged(user: object) -> bool:
    """Whether `user` (a person) holds a privileged action, or is a Django superuser."""
    if getattr(user, "is_superuser", False):
        return True
    code = getattr(user, "role", "")
    return bool(code) and Role(code) in privileged_roles()
