"""Dose alerts: a procedure's (or a patient's cumulative) dose reached a rule's threshold."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AlertLevel(models.TextChoices):
    NOTIFICATION = "notification", "Notification level"
    SRDL = "srdl", "Substantial radiation dose level"
    REVIEW = "review", "Cumulative dose review"


class DoseAlert(models.Model):
    """One rule reached for one procedure; re-evaluated (not duplicated) as reports arrive.

    A cumulative alert (the SRDL reached by the sum of repeated procedures) sits on the
    procedure whose dose made the sum reach the level and names every contributing procedure
    in `contributions`."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="dose_alerts"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="dose_alerts")
    report = models.ForeignKey(
        "dose.RadiationDoseReport",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
        help_text="The report whose arrival raised or last changed the alert.",
    )
    level = models.CharField(max_length=12, choices=AlertLevel.choices)
    rule_id = models.CharField(max_length=100)
    rule_set_version = models.CharField(max_length=20)
    quantity = models.CharField(max_length=40)
    value = models.FloatField()
    threshold = models.FloatField()
    unit = models.CharField(max_length=12)
    message = models.CharField(max_length=300)
    confidence = models.CharField(max_length=1)
    verified = models.BooleanField()
    source = models.TextField(blank=True)
    contributions = models.JSONField(
        default=list,
        blank=True,
        help_text="A cumulative alert's procedures: order, day, Ka,r and PSD of each.",
    )
    followup_task = models.ForeignKey(
        "followup.FollowUpTask",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dose_alerts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["order", "level", "rule_id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "rule_id"], name="dosealert_once_per_order")
        ]

    def __str__(self) -> str:
        return self.message

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}
