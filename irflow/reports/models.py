"""Structured procedure reports: drafted from the catalogue's template, signed, then final.

A final report never changes. Three layers keep it so: the services refuse, the model and its
queryset refuse to save or update a final report (so the admin and any stray code cannot),
and the database itself refuses an UPDATE of a final row (a trigger on SQLite and PostgreSQL,
migration 0002). Corrections are addenda, each signed and then just as immutable.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models

from irflow.lib.errors import Conflict
from irflow.lib.states import StateMachine
from irflow.lib.versions import Versioned

MSG_FINAL_IMMUTABLE = "A signed report is final and cannot be changed: add an addendum instead."
MSG_ADDENDUM_IMMUTABLE = "A signed addendum cannot be changed: add another addendum."
MSG_NO_DELETE = "Reports and addenda are never deleted."


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_COSIGN = "awaiting_cosign", "Awaiting co-signature"
    FINAL = "final", "Final"


REPORT_STATES = StateMachine(
    "report",
    {
        "draft": {"awaiting_cosign", "final"},
        "awaiting_cosign": {"draft", "final"},
        "final": set(),
    },
    labels=dict(ReportStatus.choices),
)


class ReportQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(status=ReportStatus.FINAL).exists():
            raise Conflict(MSG_FINAL_IMMUTABLE, code="report_final")
        return super().update(**kwargs)

    def delete(self):
        raise Conflict(MSG_NO_DELETE, code="no_delete")


class Report(Versioned):
    record = models.OneToOneField(
        "procedures.ProcedureRecord", on_delete=models.PROTECT, related_name="report"
    )
    # The catalogue template as it was when the report was started.
    template = models.JSONField(default=dict)
    fields = models.JSONField(default=dict, blank=True)
    sections = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    cosigned = models.BooleanField(
        default=False, help_text="Drafted by a trainee and co-signed by the signing physician."
    )
    content_sha256 = models.CharField(max_length=64, blank=True)
    # The co-signer's last "return for changes", kept until the draft is submitted again
    # (the change history keeps every one).
    return_reason = models.TextField(blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="final")
                | models.Q(signed_at__isnull=False, signed_by__isnull=False),
                name="report_final_is_signed",
            )
        ]
        # The worklists and the navigation's count read the few reports not final yet.
        indexes = [models.Index(fields=["status"], name="report_status")]

    def __str__(self) -> str:
        return f"Report of {self.record}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and (
            type(self).objects.filter(pk=self.pk, status=ReportStatus.FINAL).exists()
        ):
            raise Conflict(MSG_FINAL_IMMUTABLE, code="report_final")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Conflict(MSG_NO_DELETE, code="no_delete")

    def get_additional_data(self) -> dict:
        return {"patient_id": self.record.patient_id}

    @property
    def is_final(self) -> bool:
        return self.status == ReportStatus.FINAL

    @property
    def is_returned(self) -> bool:
        """A draft the co-signer sent back, not yet submitted again."""
        return self.status == ReportStatus.DRAFT and self.returned_at is not None

    def content(self) -> dict:
        """What the signature covers: the template, field values and section texts."""
        return {"template": self.template, "fields": self.fields, "sections": self.sections}

    def content_digest(self) -> str:
        data = json.dumps(self.content(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()


class AddendumQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(signed_at__isnull=False).exists():
            raise Conflict(MSG_ADDENDUM_IMMUTABLE, code="addendum_signed")
        return super().update(**kwargs)

    def delete(self):
        raise Conflict(MSG_NO_DELETE, code="no_delete")


class Addendum(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    objects = AddendumQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum {self.pk} to report {self.report_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and (
            type(self).objects.filter(pk=self.pk, signed_at__isnull=False).exists()
        ):
            raise Conflict(MSG_ADDENDUM_IMMUTABLE, code="addendum_signed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Conflict(MSG_NO_DELETE, code="no_delete")

    def get_additional_data(self) -> dict:
        return {"patient_id": self.report.record.patient_id}

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
