"""Orders: what will be done to whom, with the identifiers the modality and the EHR share."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from irflow.lib.states import StateMachine
from irflow.orders.identifiers import IdentifierCounter  # noqa: F401 - model registration


class Priority(models.TextChoices):
    EMERGENT = "emergent", "Emergent"
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


class Laterality(models.TextChoices):
    NOT_APPLICABLE = "", "Not applicable"
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", "Ordered"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    DISCONTINUED = "discontinued", "Discontinued"
    CANCELLED = "cancelled", "Cancelled"


ORDER_STATES = StateMachine(
    "order",
    {
        "ordered": {"scheduled", "cancelled", "in_progress"},
        "scheduled": {"ordered", "in_progress", "cancelled"},
        "in_progress": {"completed", "discontinued"},
        "completed": set(),
        "discontinued": {"scheduled", "ordered"},
        "cancelled": set(),
    },
    labels=dict(OrderStatus.choices),
)


class Order(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="orders")
    procedure_type = models.ForeignKey(
        "catalogue.ProcedureType", on_delete=models.PROTECT, related_name="orders"
    )
    laterality = models.CharField(max_length=10, choices=Laterality.choices, blank=True)
    site = models.CharField(max_length=100, blank=True, help_text="Body site or level.")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    clinical_indication = models.TextField(blank=True)
    accession_number = models.CharField(max_length=16, unique=True)
    requested_procedure_id = models.CharField(max_length=16, unique=True)
    study_instance_uid = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=15, choices=OrderStatus.choices, default=OrderStatus.ORDERED
    )
    # For catalogue entries where SIR 2019 leaves the bleeding-risk category to the operator.
    bleeding_risk_choice = models.CharField(
        max_length=10, blank=True, choices=[("low", "Low"), ("high", "High")]
    )
    bleeding_risk_chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bleeding_risk_chosen_at = models.DateTimeField(null=True, blank=True)
    placer_order_number = models.CharField(max_length=40, blank=True, help_text="From the EHR.")
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "priority"], name="order_status_priority")]

    def __str__(self) -> str:
        return f"{self.accession_number} {self.procedure_type.name}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def bleeding_risk(self) -> str:
        """The category that applies: the catalogue's, or the operator's recorded choice."""
        category = self.procedure_type.bleeding_risk
        if category == "operator_decides":
            return self.bleeding_risk_choice or "operator_decides"
        return category
