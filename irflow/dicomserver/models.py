"""Performed procedure steps reported by modalities over MPPS (N-CREATE / N-SET)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PpsStatus(models.TextChoices):
    IN_PROGRESS = "IN PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    DISCONTINUED = "DISCONTINUED", "Discontinued"


class PerformedProcedureStep(models.Model):
    sop_instance_uid = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=PpsStatus.choices)
    # The scheduled step it performs; empty for an unscheduled (emergency) case until a
    # technologist reconciles it.
    booking = models.ForeignKey(
        "scheduling.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="performed_steps",
    )
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="performed_steps",
    )
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="performed_steps",
    )
    calling_ae_title = models.CharField(max_length=16, blank=True)
    station_ae_title = models.CharField(max_length=16, blank=True)
    modality = models.CharField(max_length=4, blank=True)
    pps_id = models.CharField(max_length=16, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    discontinuation_reason = models.CharField(max_length=200, blank=True)
    # What the modality sent, for reconciliation and audit (patient ID/name, accession, …).
    attributes = models.JSONField(default=dict, blank=True)
    performed_series = models.JSONField(default=list, blank=True)
    dose_sr_uids = models.JSONField(default=list, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"MPPS {self.sop_instance_uid} {self.status}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}
