"""The roles of an IR department. A user has one role; what each may do is in permissions.py."""

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


CLINICAL_STAFF = frozenset(
    {Role.PHYSICIAN, Role.TRAINEE, Role.NURSE, Role.TECHNOLOGIST, Role.SCHEDULER}
)
