"""The roles of an IR department. A user has one role; what each may do is in permissions.py.

`SYSTEM` is the role of irflow itself (`irflow.accounts.actors.SYSTEM`), never a person's."""

from django.db import models


class Role(models.TextChoices):
    PHYSICIAN = "physician", "IR physician"
    TRAINEE = "trainee", "Trainee"
    NURSE = "nurse", "IR nurse"
    TECHNOLOGIST = "technologist", "Technologist"
    SCHEDULER = "scheduler", "Scheduler"
    REFERRER = "referrer", "Referring clinician"
    QI_LEAD = "qi_lead", "QI lead / physicist"
    ADMIN = "admin", "Administrator"
    AUDITOR = "auditor", "Auditor"
    INTEGRATION = "integration", "Integration (API client)"
    SYSTEM = "system", "System"


# The roles a user may hold: every role but the system's.
PERSON_ROLES = [(role.value, role.label) for role in Role if role is not Role.SYSTEM]

CLINICAL_STAFF = frozenset(
    {Role.PHYSICIAN, Role.TRAINEE, Role.NURSE, Role.TECHNOLOGIST, Role.SCHEDULER}
)
