"""Readiness: the site policy, each booking's preparation, stored evaluations and overrides.

The rules themselves live in the pure core (`irflow.clinical`); these models hold what the
core reads (the preparation the rules need beyond the patient's chart, the site policy) and
what it answered (snapshots), plus the physicians' acknowledgements of findings.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from irflow.clinical.inputs import (
    ARTERIAL_ACCESSES,
    CONSENT_STATES,
    CONTRAST_ROUTES,
    PREMEDICATION_REGIMENS,
    SEDATION_LEVELS,
    THROMBOTIC_RISKS,
)
from irflow.clinical.vocabulary import (
    ARTERIAL_ACCESS_LABELS,
    CONSENT_LABELS,
    CONTRAST_ROUTE_LABELS,
    PREMEDICATION_LABELS,
    SEDATION_LABELS,
    THROMBOTIC_RISK_LABELS,
)
from irflow.lib.choices import choices
from irflow.lib.records import WrittenOnce

MSG_SNAPSHOT_IMMUTABLE = "The sign-in snapshot of readiness is kept as it was; it cannot change."
MSG_ACK_IMMUTABLE = "An acknowledgement is kept as it was recorded; it cannot change."


# The preparation's vocabularies are the core's (irflow.clinical.inputs, with their words in
# irflow.clinical.vocabulary); blank means "not recorded" (the rules never take it as a pass).
SEDATION_CHOICES = choices(SEDATION_LEVELS, SEDATION_LABELS)
CONTRAST_ROUTE_CHOICES = choices(CONTRAST_ROUTES, CONTRAST_ROUTE_LABELS)
ARTERIAL_ACCESS_CHOICES = choices(ARTERIAL_ACCESSES, ARTERIAL_ACCESS_LABELS)
CONSENT_CHOICES = [("", "Not recorded"), *choices(CONSENT_STATES, CONSENT_LABELS)]
THROMBOTIC_RISK_CHOICES = choices(THROMBOTIC_RISKS, THROMBOTIC_RISK_LABELS)
PREMEDICATION_CHOICES = [
    ("", "None planned"),
    *choices(PREMEDICATION_REGIMENS, PREMEDICATION_LABELS),
]


class Stay(models.TextChoices):
    """How the patient comes and goes: the preparation letter's wording depends on it."""

    UNKNOWN = "", "Not recorded"
    DAY_CASE = "day_case", "Day case — home the same day"
    OVERNIGHT = "overnight", "Admitted after the procedure (stays at least one night)"
    INPATIENT = "inpatient", "Inpatient — comes from the ward"


class Anuric(models.TextChoices):
    UNKNOWN = "", "Not recorded"
    YES = "yes", "Anuric"
    NO = "no", "Passes urine"


# Intake kinds of the core (irflow.clinical.inputs.IntakeKind) -> Preparation field.
INTAKE_FIELDS = {
    "clear": "last_clear_fluids_at",
    "breast_milk": "last_breast_milk_at",
    "non_human_milk": "last_milk_at",
    "light_meal": "last_light_meal_at",
    "fatty_meal": "last_fatty_meal_at",
}


# The letterhead of letters and reports: what PolicySettings holds about the department.
LETTERHEAD_FIELDS = (
    "hospital_name",
    "department_name",
    "department_phone",
    "out_of_hours_phone",
    "department_address",
)


class PolicySettings(models.Model):
    """The site's overrides of rule values (one row), validated through the core's SitePolicy.

    The time zone is the site's (settings.TIME_ZONE); `arrival_lead_min` sets the arrival
    time printed on preparation letters, and the hospital and department fields their
    letterhead (left out of the letter while empty).
    """

    overrides = models.JSONField(default=dict, blank=True)
    arrival_lead_min = models.PositiveIntegerField(
        default=60, help_text="Minutes before the booked start that patients are asked to arrive."
    )
    # The letterhead of patient letters; empty until the site fills it in (never invented).
    hospital_name = models.CharField(max_length=200, blank=True)
    department_name = models.CharField(max_length=200, blank=True)
    department_phone = models.CharField(max_length=40, blank=True)
    department_address = models.TextField(max_length=500, blank=True)
    out_of_hours_phone = models.CharField(max_length=40, blank=True)
    # The department's logo (PNG or JPEG, checked by its content), printed on letters; kept in
    # the database so that a backup of it is a backup of everything. The history records
    # the change by its digest (the image itself is left out of it).
    logo = models.BinaryField(blank=True, default=b"")
    logo_content_type = models.CharField(max_length=20, blank=True)
    logo_sha256 = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "site policy"
        verbose_name_plural = "site policy"

    def __str__(self) -> str:
        return f"Site policy v{self.version}"


class Preparation(models.Model):
    """What the rules need to know about one booking beyond the chart; edited by the team.

    Blank means "not recorded", which the rules never take as a pass.
    """

    booking = models.OneToOneField(
        "scheduling.Booking", on_delete=models.PROTECT, related_name="preparation"
    )
    sedation = models.CharField(max_length=10, choices=SEDATION_CHOICES, blank=True)
    contrast_route = models.CharField(max_length=16, choices=CONTRAST_ROUTE_CHOICES, blank=True)
    premedication = models.CharField(max_length=20, choices=PREMEDICATION_CHOICES, blank=True)
    premedication_planned_at = models.DateTimeField(
        null=True, blank=True, help_text="When the premedication regimen was chosen."
    )
    stay = models.CharField(max_length=10, choices=Stay.choices, blank=True)
    access_site = models.CharField(max_length=12, choices=ARTERIAL_ACCESS_CHOICES, blank=True)
    consent = models.CharField(max_length=12, choices=CONSENT_CHOICES, blank=True)
    medications_confirmed = models.BooleanField(
        default=False,
        help_text="The medication list was checked with the patient for this booking.",
    )
    allergies_confirmed = models.BooleanField(
        default=False, help_text="Allergies were asked about (none if the chart lists none)."
    )
    anuric = models.CharField(max_length=3, choices=Anuric.choices, blank=True)
    thrombotic_risk = models.CharField(
        max_length=8,
        choices=THROMBOTIC_RISK_CHOICES,
        blank=True,
        help_text="Risk of thrombosis while an anticoagulant is interrupted (decides bridging).",
    )
    intake_asked = models.BooleanField(
        default=False, help_text="The patient was asked about food and drink (blank = none taken)."
    )
    last_clear_fluids_at = models.DateTimeField(null=True, blank=True)
    last_breast_milk_at = models.DateTimeField(null=True, blank=True)
    last_milk_at = models.DateTimeField(null=True, blank=True)
    last_light_meal_at = models.DateTimeField(null=True, blank=True)
    last_fatty_meal_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Preparation of booking {self.booking_id}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.booking.patient_id, "booking_id": self.booking_id}


class LastDose(models.Model):
    """When the patient last took an antithrombotic, as asked for this booking."""

    preparation = models.ForeignKey(
        Preparation, on_delete=models.CASCADE, related_name="last_doses"
    )
    medication = models.ForeignKey(
        "patients.Medication", on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["preparation", "medication"], name="last_dose_one_per_medication"
            )
        ]

    def __str__(self) -> str:
        return f"Last dose of medication {self.medication_id} at {self.taken_at:%Y-%m-%d %H:%M}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.medication.patient_id}


class SnapshotKind(models.TextChoices):
    SIGN_IN = "sign_in", "At sign-in"


class ReadinessSnapshot(WrittenOnce):
    """Readiness as it was at the sign-in, kept for good (current readiness is computed on
    read and never stored: see `irflow.readiness.engine`).

    `state` is the rules' verdict; `effective_state` applies physicians' acknowledgements.
    `fingerprint` hashes every input, the policy and the acknowledgements.
    """

    immutable_message = MSG_SNAPSHOT_IMMUTABLE
    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, related_name="readiness_snapshots"
    )
    kind = models.CharField(max_length=10, choices=SnapshotKind.choices)
    state = models.CharField(max_length=15)
    effective_state = models.CharField(max_length=15)
    blocking = models.BooleanField()
    emergent = models.BooleanField()
    evaluation = models.JSONField()
    rule_sets = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    evaluated_at = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="readiness_snapshot_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} readiness of booking {self.booking_id}: {self.state}"

    def get_additional_data(self) -> dict:
        return {"booking_id": self.booking_id}


class Acknowledgement(WrittenOnce):
    """A physician's override of one finding, with the reason; never changed or removed.

    `finding_key` names the finding as it was (rule, status and message): when the finding
    changes, the acknowledgement no longer applies to it.
    """

    immutable_message = MSG_ACK_IMMUTABLE
    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, related_name="readiness_acknowledgements"
    )
    rule_id = models.CharField(max_length=100)
    finding_key = models.CharField(max_length=64)
    status = models.CharField(max_length=15)
    message = models.TextField()
    reason = models.CharField(max_length=500)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["acknowledged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "finding_key"], name="acknowledgement_once_per_finding"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} acknowledged by {self.acknowledged_by}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.booking.patient_id, "booking_id": self.booking_id}
