"""The demo department's staff: one or more people in every role, with known logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.accounts.services import privilege_grant, user_create
from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES

DEMO_PASSWORD = "irflow-demo"  # noqa: S105 - printed by `irflow up` for the demo only


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    display_name: str
    specialty: str = ""
    privileges: tuple[str, ...] = ()
    trainee_level: str = ""


ALL_CATEGORIES = PROCEDURE_CATEGORIES

DEMO_USERS = [
    DemoUser(
        "physician",
        Role.PHYSICIAN,
        "Amara",
        "Okafor",
        "Dr A. Okafor",
        "Interventional radiology",
        ALL_CATEGORIES,
    ),
    DemoUser(
        "physician2",
        Role.PHYSICIAN,
        "Lukas",
        "Brenner",
        "Dr L. Brenner",
        "Interventional radiology",
        ("vascular", "non_vascular", "venous_access"),
    ),
    DemoUser(
        "physician3",
        Role.PHYSICIAN,
        "Priya",
        "Raman",
        "Dr P. Raman",
        "Interventional radiology",
        ("oncology", "non_vascular", "spine_pain", "venous_access"),
    ),
    DemoUser(
        "trainee",
        Role.TRAINEE,
        "Tom",
        "Ashworth",
        "Dr T. Ashworth",
        "IR fellow",
        trainee_level="Fellow (PGY-6)",
    ),
    DemoUser("nurse", Role.NURSE, "Grace", "Mensah", "G. Mensah RN"),
    DemoUser("technologist", Role.TECHNOLOGIST, "Ravi", "Patel", "R. Patel"),
    DemoUser("scheduler", Role.SCHEDULER, "Helen", "Doyle", "H. Doyle"),
    DemoUser("referrer", Role.REFERRER, "Sofia", "Marín", "Dr S. Marín", "Hepatobiliary surgery"),
    DemoUser(
        "referrer2", Role.REFERRER, "James", "Whitfield", "Dr J. Whitfield", "Medical oncology"
    ),
    DemoUser("referrer3", Role.REFERRER, "Aiko", "Tanaka", "Dr A. Tanaka", "Gastroenterology"),
    DemoUser("qi", Role.QI_LEAD, "Miriam", "Kowalski", "Dr M. Kowalski", "Medical physics"),
    DemoUser("admin", Role.ADMIN, "Sam", "Reid", "S. Reid"),
    DemoUser("auditor", Role.AUDITOR, "Nadia", "Haddad", "N. Haddad"),
]


def demo_staff_create(*, today: date) -> dict[str, User]:
    """Create the demo users that are missing; return all of them by username."""
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = user_create(
                actor=SYSTEM,
                username=spec.username,
                role=spec.role,
                password=DEMO_PASSWORD,
                check_password=False,
                first_name=spec.first_name,
                last_name=spec.last_name,
                display_name=spec.display_name,
                email=f"{spec.username}@irflow.invalid",
                specialty=spec.specialty,
                trainee_level=spec.trainee_level,
                degree="MD" if spec.role in (Role.PHYSICIAN, Role.TRAINEE, Role.REFERRER) else "",
                board_certification="Diagnostic and Interventional Radiology"
                if spec.role == Role.PHYSICIAN
                else "",
            )
            for category in spec.privileges:
                privilege_grant(
                    actor=SYSTEM,
                    user_id=user.pk,
                    category=category,
                    granted_at=today.replace(year=today.year - 3),
                )
        users[spec.username] = user
    trainee = users["trainee"]
    if not trainee.profile.supervisor_id:
        trainee.profile.supervisor = users["physician"]
        trainee.profile.save(update_fields=["supervisor"])
    return users
