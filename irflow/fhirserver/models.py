"""FHIR Bulk Data exports (`$export`): who asked for what, how far the worker is, and the
ndjson files it wrote (under `IRFLOW_DATA_DIR/fhir-export/<id>/`) until they expire."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class BulkExport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"
        DELETED = "deleted", "cancelled or deleted by the requester"
        EXPIRED = "expired", "files deleted after their time"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fhir_exports"
    )
    level = models.CharField(max_length=10)  # "system" or "patient"
    types = models.JSONField(default=list)  # resource types asked for; empty: all
    since = models.DateTimeField(null=True, blank=True)
    deidentified = models.BooleanField(default=False)
    request_url = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    transaction_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # [{"type": "Patient", "file": "Patient.ndjson", "count": 12}]
    output = models.JSONField(default=list)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"FHIR export {self.pk} ({self.status})"
