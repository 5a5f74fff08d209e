"""Outcomes: adverse events (graded in SIR 2017, optionally legacy SIR A–F or CIRSE) and the
outcome of follow-up calls and visits (pain, symptoms, imaging response, normal activity)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from irflow.clinical.grading import FACTS_BY_NAME


class Detection(models.TextChoices):
    INTRA = "intra_procedure", "During the procedure"
    RECOVERY = "recovery", "In recovery"
    AFTER_DISCHARGE = "after_discharge", "After discharge"


class Attribution(models.TextChoices):
    PROCEDURE = "procedure", "The procedure"
    DEVICE = "device", "A device"
    SEDATION = "sedation", "Sedation or anaesthesia"
    CONTRAST = "contrast", "Contrast medium"
    MEDICATION = "medication", "Another medication"
    UNDERLYING_DISEASE = "underlying_disease", "The underlying disease"
    UNRELATED = "unrelated", "Unrelated"
    UNKNOWN = "unknown", "Not known yet"


class AeOutcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    RESOLVED_SEQUELAE = "resolved_sequelae", "Resolved with sequelae"
    ONGOING = "ongoing", "Ongoing"
    DEATH = "death", "Death"
    UNKNOWN = "unknown", "Unknown"


def _fact_choices(name: str) -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in FACTS_BY_NAME[name].choices]


class AdverseEvent(models.Model):
    """An adverse event: the facts recorded about it, and its grades. A fact left blank was
    not recorded (events recorded before the facts were) and counts as not known."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="adverse_events"
    )
    record = models.ForeignKey(
        "procedures.ProcedureRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adverse_events",
    )
    onset_at = models.DateTimeField()
    detection = models.CharField(max_length=20, choices=Detection.choices)
    description = models.TextField()
    # The facts the grades are suggested from (irflow.clinical.grading.FACTS).
    therapy = models.CharField(max_length=12, choices=_fact_choices("therapy"), blank=True)
    care_level = models.CharField(
        "level of care", max_length=12, choices=_fact_choices("care_level"), blank=True
    )
    hospital_stay = models.CharField(
        max_length=12, choices=_fact_choices("hospital_stay"), blank=True
    )
    life_threatening = models.CharField(
        "threat to life", max_length=12, choices=_fact_choices("life_threatening"), blank=True
    )
    sequelae = models.CharField(
        "permanent sequelae", max_length=12, choices=_fact_choices("sequelae"), blank=True
    )
    # Codes of the clinical core's grade systems (irflow.clinical.grade_system).
    sir_grade = models.CharField("SIR 2017 grade", max_length=20)
    legacy_sir_class = models.CharField("legacy SIR class", max_length=2, blank=True)
    cirse_grade = models.CharField("CIRSE grade", max_length=2, blank=True)
    # Why a grade differs from the one the facts give (required when it does).
    grade_reason = models.TextField(blank=True)
    attribution = models.CharField(max_length=20, choices=Attribution.choices)
    management = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=AeOutcome.choices)
    grading_rule_version = models.CharField(max_length=20, blank=True)
    entered_in_error = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-onset_at", "-pk"]
        indexes = [models.Index(fields=["patient", "onset_at"], name="ae_patient_onset")]

    def __str__(self) -> str:
        return f"Adverse event ({self.sir_grade}) {self.onset_at:%Y-%m-%d}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class ImagingResponse(models.TextChoices):
    NOT_ASSESSED = "", "Not assessed"
    COMPLETE = "complete", "Complete response"
    PARTIAL = "partial", "Partial response"
    STABLE = "stable", "Stable disease"
    PROGRESSION = "progression", "Progression"
    PATENT = "patent", "Patent / functioning as intended"
    FAILED = "failed", "Occluded / not functioning"


class NormalActivity(models.TextChoices):
    UNKNOWN = "", "Not asked"
    YES = "yes", "Back to normal activity"
    PARTLY = "partly", "Partly"
    NO = "no", "Not yet"


class ContactKind(models.TextChoices):
    CALL = "call", "Telephone call"
    VISIT = "visit", "Clinic visit"
    IMAGING = "imaging", "Imaging review"


class FollowUpOutcome(models.Model):
    """What a follow-up call or visit found; recording it completes the follow-up task."""

    task = models.OneToOneField(
        "followup.FollowUpTask", on_delete=models.PROTECT, related_name="visit_outcome"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="followup_outcomes"
    )
    contact = models.CharField(max_length=10, choices=ContactKind.choices)
    pain_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    symptoms = models.TextField(blank=True)
    imaging_response = models.CharField(max_length=15, choices=ImagingResponse.choices, blank=True)
    normal_activity = models.CharField(max_length=10, choices=NormalActivity.choices, blank=True)
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pain_score__isnull=True)
                | models.Q(pain_score__gte=0, pain_score__lte=10),
                name="followup_pain_nrs_range",
            )
        ]

    def __str__(self) -> str:
        return f"Outcome of follow-up {self.task_id}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    def summary(self) -> str:
        parts = [self.get_contact_display()]
        if self.pain_score is not None:
            parts.append(f"pain NRS {self.pain_score}")
        if self.imaging_response:
            parts.append(self.get_imaging_response_display().lower())
        if self.normal_activity:
            parts.append(self.get_normal_activity_display().lower())
        if self.symptoms:
            parts.append(f"symptoms: {self.symptoms}")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)
