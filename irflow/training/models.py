"""Logbook entries, training programmes with their requirements, and who follows which."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES, PROCEDURE_CATEGORY_LABELS


class LogbookRole(models.TextChoices):
    FIRST_OPERATOR = "first_operator", "First operator"
    ASSISTANT = "assistant", "Assistant"


class EntryStatus(models.TextChoices):
    PENDING = "pending", "To verify"
    VERIFIED = "verified", "Verified"
    QUERIED = "queried", "Queried"


class LogbookEntry(models.Model):
    """One procedure in one trainee's logbook, made when the record completes (once: a trainee
    has at most one entry per record)."""

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logbook_entries"
    )
    record = models.ForeignKey(
        "procedures.ProcedureRecord", on_delete=models.PROTECT, related_name="logbook_entries"
    )
    role = models.CharField(max_length=20, choices=LogbookRole.choices)
    category = models.CharField(max_length=30)
    procedure_name = models.CharField(max_length=200)
    performed_on = models.DateField()
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, blank=True)  # technical success (procedures)
    status = models.CharField(
        max_length=10, choices=EntryStatus.choices, default=EntryStatus.PENDING
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    query_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-performed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["trainee", "record"], name="logbook_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.trainee}: {self.procedure_name} ({self.performed_on})"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.record.patient_id, "procedure_id": self.record_id}

    @property
    def outcome_label(self) -> str:
        from irflow.procedures.models import Success

        return dict(Success.choices).get(self.outcome, self.outcome) or "Not assessed"

    @property
    def category_label(self) -> str:
        labels: dict[str, str] = {str(k): v for k, v in PROCEDURE_CATEGORY_LABELS.items()}
        return labels.get(self.category, self.category)


class Programme(models.Model):
    """A training programme's logbook requirements (e.g. EBIR), with where they come from."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=500, help_text="Where the requirements are published.")
    source_url = models.URLField(blank=True)
    confidence = models.CharField(
        max_length=1,
        choices=[
            ("V", "V: primary source"),
            ("S", "S: one secondary source"),
            ("U", "U: not verified"),
        ],
        default="U",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Requirement(models.Model):
    """At least `minimum` entries in `role` (blank: any role) of `categories` (empty: any)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="requirements")
    label = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=LogbookRole.choices, blank=True)
    categories = models.JSONField(default=list, blank=True)
    minimum = models.PositiveIntegerField()
    verified_only = models.BooleanField(
        default=True, help_text="Count only entries the supervisor verified."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["programme", "position", "pk"]

    def __str__(self) -> str:
        return self.label

    def category_labels(self) -> list[str]:
        labels: dict[str, str] = {str(k): v for k, v in PROCEDURE_CATEGORY_LABELS.items()}
        return [labels.get(c, c) for c in self.categories]


class Enrolment(models.Model):
    """A trainee follows a programme."""

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    started_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trainee", "programme"], name="enrolment_once")
        ]

    def __str__(self) -> str:
        return f"{self.trainee}: {self.programme}"


CATEGORY_VALUES = frozenset(PROCEDURE_CATEGORIES)
