"""Procedure safety checklists: sign-in, time-out and sign-out, each recorded once, for good.

A record is written complete in one step and never changes: no save of an existing row, no
delete, no bulk update — the model and its manager refuse, the admin is read-only and no
service or API edits one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from irflow.lib.errors import Conflict

MSG_IMMUTABLE = "A completed checklist is kept as it was; it cannot be changed or removed."


class Phase(models.TextChoices):
    SIGN_IN = "sign_in", "Sign-in"
    TIME_OUT = "time_out", "Time-out"
    SIGN_OUT = "sign_out", "Sign-out"


PHASE_ORDER = [Phase.SIGN_IN, Phase.TIME_OUT, Phase.SIGN_OUT]


class ChecklistQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise Conflict(MSG_IMMUTABLE, code="immutable")

    def delete(self):
        raise Conflict(MSG_IMMUTABLE, code="immutable")


class ChecklistRecord(models.Model):
    """One completed phase of one booking: the items as answered and who was present."""

    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, related_name="checklists"
    )
    phase = models.CharField(max_length=10, choices=Phase.choices)
    # [{id, text, required, applies_when, source, confidence, answer: done|not_applicable|not_done}]
    items = models.JSONField()
    # [{user_id, name, role}] — the team present (required for the time-out).
    present = models.JSONField(default=list)
    readiness_state = models.CharField(max_length=15)
    emergent = models.BooleanField(default=False)
    # Findings still open when an emergent case went ahead: flagged, never blocking.
    open_findings = models.JSONField(default=list)
    note = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(auto_now_add=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ChecklistQuerySet.as_manager()

    class Meta:
        ordering = ["booking", "completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "phase"], name="checklist_once_per_phase")
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} of booking {self.booking_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise Conflict(MSG_IMMUTABLE, code="immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Conflict(MSG_IMMUTABLE, code="immutable")

    def get_additional_data(self) -> dict:
        return {"patient_id": self.booking.patient_id, "booking_id": self.booking_id}
