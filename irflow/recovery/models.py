"""Recovery and discharge: observations, pain scores over time, discharge and length of stay."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Disposition(models.TextChoices):
    SAME_DAY = "same_day", "Home the same day"
    ADMITTED = "admitted", "Admitted"


class RecoveryEpisode(models.Model):
    record = models.OneToOneField(
        "procedures.ProcedureRecord", on_delete=models.PROTECT, related_name="recovery"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="recovery_episodes"
    )
    started_at = models.DateTimeField()
    observations = models.TextField(
        blank=True, help_text="Observations summary: vital signs, puncture site, mobilisation."
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    disposition = models.CharField(max_length=10, choices=Disposition.choices, blank=True)
    admitted_to = models.CharField(max_length=100, blank=True)
    discharge_instructions = models.TextField(blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discharged_at__isnull=True)
                | models.Q(discharged_at__gte=models.F("started_at")),
                name="recovery_discharge_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"Recovery after procedure {self.record_id}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def length_of_stay_min(self) -> int | None:
        """From check-in to discharge, in minutes."""
        if self.discharged_at is None:
            return None
        return int((self.discharged_at - self.record.checked_in_at).total_seconds() // 60)

    @property
    def recovery_min(self) -> int | None:
        if self.discharged_at is None:
            return None
        return int((self.discharged_at - self.started_at).total_seconds() // 60)


class PainScore(models.Model):
    """One NRS pain score (0–10); the band is derived from the site policy when shown."""

    episode = models.ForeignKey(
        RecoveryEpisode, on_delete=models.PROTECT, related_name="pain_scores"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    recorded_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=10), name="pain_score_nrs_range"
            )
        ]

    def __str__(self) -> str:
        return f"NRS {self.score} at {self.recorded_at:%H:%M}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.episode.patient_id}
