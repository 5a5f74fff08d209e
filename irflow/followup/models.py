"""Follow-up tasks: something to do for a patient after a procedure, with an owner and a due date.

Tasks come from rules (a skin check after a substantial radiation dose, a device to remove)
or from people (a clinic visit, a call). A task created by a rule names the rule and the
rule-set version, so anyone can see why it exists.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from irflow.lib.states import StateMachine
from irflow.lib.versions import Versioned


class FollowUpKind(models.TextChoices):
    CLINIC = "clinic", "Clinic visit"
    IMAGING = "imaging", "Follow-up imaging"
    CALL = "call", "Telephone call"
    SKIN_CHECK = "skin_check", "Skin check after a high radiation dose"
    DEVICE_REMOVAL = "device_removal", "Device removal or exchange"
    OTHER = "other", "Other"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


FOLLOWUP_STATES = StateMachine(
    "follow-up task",
    {
        "open": {"acknowledged", "done", "cancelled"},
        "acknowledged": {"done", "cancelled"},
        "done": set(),
        "cancelled": set(),
    },
    labels=dict(FollowUpStatus.choices),
)
# Statuses in which a task still needs doing.
PENDING = (FollowUpStatus.OPEN, FollowUpStatus.ACKNOWLEDGED)


class FollowUpTask(Versioned):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="followup_tasks"
    )
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followup_tasks",
    )
    kind = models.CharField(max_length=20, choices=FollowUpKind.choices)
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followup_tasks",
    )
    # The task falls due within [window_start, due_date]; a task without a window is due on
    # its due date.
    window_start = models.DateField(null=True, blank=True)
    due_date = models.DateField()
    status = models.CharField(
        max_length=15, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    source = models.CharField(
        max_length=100, blank=True, help_text="What created the task, e.g. “dose report 12”."
    )
    source_rule_id = models.CharField(max_length=100, blank=True)
    source_rule_version = models.CharField(max_length=20, blank=True)
    outcome = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement_note = models.CharField(max_length=300, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            # A rule creates its task once per order, however often it is re-evaluated.
            models.UniqueConstraint(
                fields=["order", "kind", "source_rule_id"],
                condition=models.Q(order__isnull=False) & ~models.Q(source_rule_id=""),
                name="followup_once_per_rule_and_order",
            ),
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_start__lte=models.F("due_date")),
                name="followup_window_before_due",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="followup_status_due"),
            models.Index(fields=["patient", "status"], name="followup_patient_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_date:%Y-%m-%d}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING

    @property
    def falls_due_on(self):
        """The first day the task is due (its window start, or its due date)."""
        return self.window_start or self.due_date
