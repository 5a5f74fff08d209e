"""Devices left in patients (IVC filters, drains, nephrostomies, biliary catheters, ports,
tunnelled lines…), each with the date it must come out or be exchanged.

A device stays on the department board and the patient's chart once overdue, until its
removal is recorded: by a procedure whose catalogue entry removes that kind of device, or by
hand (removed elsewhere, fell out, patient died).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from irflow.lib.states import StateMachine
from irflow.lib.versions import Versioned


class DeviceKind(models.TextChoices):
    IVC_FILTER = "ivc_filter", "IVC filter"
    DRAIN = "drain", "Drain"
    NEPHROSTOMY = "nephrostomy", "Nephrostomy"
    URETERIC_STENT = "ureteric_stent", "Ureteric stent"
    BILIARY_CATHETER = "biliary_catheter", "Biliary catheter"
    GASTROSTOMY = "gastrostomy", "Gastrostomy tube"
    PORT = "port", "Implantable port"
    TUNNELLED_LINE = "tunnelled_line", "Tunnelled central line"
    PICC = "picc", "PICC line"
    CVC = "cvc", "Central venous catheter"
    OTHER = "other", "Other"


class DeviceStatus(models.TextChoices):
    IN_SITU = "in_situ", "In situ"
    REMOVED = "removed", "Removed"


DEVICE_STATES = StateMachine(
    "device in situ", {"in_situ": {"removed"}, "removed": set()}, labels=dict(DeviceStatus.choices)
)


class RemovalReason(models.TextChoices):
    PROCEDURE = "procedure", "Removed or exchanged at a procedure"
    ELSEWHERE = "elsewhere", "Removed elsewhere"
    DISLODGED = "dislodged", "Fell out or dislodged"
    PERMANENT = "permanent", "Left permanently (decision recorded)"
    DIED = "died", "Patient died"
    ERROR = "entered_in_error", "Entered in error"


class DeviceInSitu(Versioned):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="devices_in_situ"
    )
    kind = models.CharField(max_length=30, choices=DeviceKind.choices)
    name = models.CharField(max_length=100)
    action = models.CharField(
        max_length=60, blank=True, help_text="What is due: retrieval, exchange, review…"
    )
    placed_on = models.DateField()
    due_on = models.DateField(help_text="Expected removal or exchange date.")
    placed_by_procedure = models.ForeignKey(
        "procedures.ProcedureRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices_placed",
    )
    device_used = models.ForeignKey(
        "procedures.DeviceUsed",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="in_situ",
    )
    status = models.CharField(
        max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.IN_SITU
    )
    removed_on = models.DateField(null=True, blank=True)
    removal_reason = models.CharField(max_length=20, choices=RemovalReason.choices, blank=True)
    removal_note = models.CharField(max_length=300, blank=True)
    removed_by_procedure = models.ForeignKey(
        "procedures.ProcedureRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices_removed",
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = "device in situ"
        verbose_name_plural = "devices in situ"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("placed_on")),
                name="device_due_after_placement",
            ),
            models.CheckConstraint(
                condition=models.Q(status="in_situ", removed_on__isnull=True)
                | models.Q(status="removed", removed_on__isnull=False),
                name="device_removed_has_date",
            ),
        ]
        indexes = [
            # The overdue list: devices still in, by due date.
            models.Index(
                fields=["due_on"], condition=models.Q(status="in_situ"), name="device_in_situ_due"
            ),
            models.Index(fields=["patient", "status"], name="device_patient_status"),
        ]

    def __str__(self) -> str:
        return f"{self.name} placed {self.placed_on:%Y-%m-%d}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    def is_overdue(self, on: date) -> bool:
        return self.status == DeviceStatus.IN_SITU and self.due_on < on

    def days_overdue(self, on: date) -> int:
        return max((on - self.due_on).days, 0) if self.status == DeviceStatus.IN_SITU else 0
