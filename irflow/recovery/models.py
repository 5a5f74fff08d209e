"""Recovery and discharge: vital signs and pain scores over time, the discharge criteria they
give (irflow.clinical.discharge), discharge and length of stay."""

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
    # The pre-procedure values the vital signs are compared with (Aldrete circulation, PADSS).
    baseline_systolic_mmhg = models.PositiveSmallIntegerField(
        "pre-procedure systolic pressure (mmHg)", null=True, blank=True
    )
    baseline_heart_rate_bpm = models.PositiveSmallIntegerField(
        "pre-procedure pulse (/min)", null=True, blank=True
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


class Consciousness(models.TextChoices):
    ALERT = "A", "A — alert"
    VOICE = "V", "V — responds to voice"
    PAIN = "P", "P — responds to pain"
    UNRESPONSIVE = "U", "U — unresponsive"


def _points() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(2)]
    )


class VitalSigns(models.Model):
    """One set of recovery observations at one time; any value may be left out. The pain
    score of the set is a `PainScore` at the same time (one pain series)."""

    episode = models.ForeignKey(
        RecoveryEpisode, on_delete=models.PROTECT, related_name="vital_signs"
    )
    recorded_at = models.DateTimeField()
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    on_oxygen = models.BooleanField(default=False)
    resp_rate_per_min = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature_c = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    consciousness = models.CharField(max_length=1, choices=Consciousness.choices, blank=True)
    pain = models.OneToOneField(
        PainScore, null=True, blank=True, on_delete=models.PROTECT, related_name="vital_signs"
    )
    # Items of the discharge scores the nurse observes, 0–2 points.
    activity = _points()
    respiration = _points()
    ambulation = _points()
    nausea = _points()
    bleeding = _points()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name_plural = "vital signs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(spo2_pct__isnull=True) | models.Q(spo2_pct__lte=100),
                name="vitals_spo2_percent",
            )
        ]

    def __str__(self) -> str:
        return f"Vital signs at {self.recorded_at:%H:%M}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.episode.patient_id}
