"""What the administration hub shows: the sections the user may open, and how far the set-up
of a new installation has come."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from irflow.accounts.actors import Actor
from irflow.accounts.models import User
from irflow.accounts.permissions import can, require
from irflow.catalogue.models import ProcedureType, Room
from irflow.readiness.policy import policy_settings


@dataclass(frozen=True)
class Section:
    title: str
    url: str
    summary: str
    done: bool | None = None  # for set-up steps: done or still to do


# (title, url name, permission, summary)
SECTIONS = [
    ("Department", "admin-department", "department.manage",
     "Hospital and department names, address, phone numbers, logo; urgency targets."),
    ("Rooms", "admin-rooms", "room.manage",
     "Modalities, capabilities, DICOM station, opening hours and closures."),
    ("Procedure catalogue", "admin-procedures", "catalogue.manage",
     "Codes, bleeding risk, durations, rooms that can host them, report templates, follow-up."),
    ("Users", "admin-users", "user.manage", "Accounts, roles, unlocking, two-factor resets."),
    ("Credentials and privileges", "admin-credentials", "user.manage",
     "Privileges per procedure category, certifications and what expires within 60 days."),
    ("API tokens", "admin-tokens", "apitoken.manage", "Tokens for integrations: scope, expiry."),
    ("Modalities (remote DICOM AEs)", "admin-remote-aes", "dicom.configure",
     "The modalities that may query the worklist and send dose reports."),
    ("HL7 destinations", "hl7-destinations", "hl7.manage",
     "Where irflow sends results, orders and schedules over MLLP; their outboxes."),
    ("HL7 code mappings", "hl7-mappings", "hl7.manage",
     "A sender's procedure codes (OBR-4) and the catalogue entries they mean."),
    ("Site policy of the clinical rules", "readiness-policy", "policy.manage",
     "The site's values of the readiness and dose rules, each change audited."),
]  # fmt: skip


def admin_sections(*, actor: Actor) -> list[Section]:
    """The administration sections `actor` may open."""
    require(actor, "room.manage")
    return [
        Section(title, reverse(name), summary)
        for title, name, permission, summary in SECTIONS
        if can(actor, permission)
    ]


def setup_steps(*, actor: Actor) -> list[Section]:
    """The first-run path — department, rooms, procedures, users — each done or to do."""
    require(actor, "room.manage")
    row = policy_settings()
    steps = [
        Section(
            "Name the department",
            reverse("admin-department"),
            "Printed on letters and reports.",
            bool(row.hospital_name and row.department_name),
        ),
        Section(
            "Add the rooms",
            reverse("admin-rooms"),
            "Where procedures happen, and when.",
            Room.objects.filter(active=True).exists(),
        ),
        Section(
            "Check the procedure catalogue",
            reverse("admin-procedures"),
            "A starter catalogue is installed; adapt it.",
            ProcedureType.objects.filter(active=True).exists(),
        ),
    ]
    steps.append(
        Section(
            "Create the team's accounts",
            reverse("admin-users"),
            "One account a person, each with a role.",
            User.objects.filter(is_active=True).exclude(pk=getattr(actor, "pk", 0) or 0).exists(),
        )
    )
    return steps
