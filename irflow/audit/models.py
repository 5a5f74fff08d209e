"""The access log: who read which patient's data, what, when and from where.

Change history (who changed what) is django-auditlog's LogEntry; this table records reads,
which auditlog does not: every record opened, one row per patient a list or search showed, and
every refused attempt to read. Rows are only ever appended.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    FHIR = "fhir", "FHIR"
    DICOM = "dicom", "DICOM"
    HL7 = "hl7", "HL7"
    CLI = "cli", "Command line"
    TASK = "task", "Background task"


class AccessLog(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, blank=True)
    # Not a foreign key on purpose: the log must outlive any change to the patient tables,
    # and a merge must not rewrite who read which record.
    patient_id = models.BigIntegerField(null=True, blank=True)
    patient_label = models.CharField(max_length=200, blank=True)
    what = models.CharField(max_length=200)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    remote_addr = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)
    # The read was refused (no permission, or a record outside the reader's scope): the
    # attempt is logged like a read, so probing leaves a trace.
    refused = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient_id", "-at"], name="accesslog_patient"),
            models.Index(fields=["user", "-at"], name="accesslog_user"),
        ]

    def __str__(self) -> str:
        refused = " (refused)" if self.refused else ""
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.what} "
            f"patient={self.patient_id}{refused}"
        )
