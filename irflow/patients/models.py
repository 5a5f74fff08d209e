"""Patients and the facts about them that irflow's rules need."""

from __future__ import annotations

import unicodedata
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from irflow.lib.versions import Versioned


def normalise_name(value: str) -> str:
    """Case- and accent-insensitive search key: 'Müller-Lüdenscheidt' -> 'muller-ludenscheidt'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "O", "Other"
    UNKNOWN = "U", "Unknown"


class PatientOwned:
    """Mixin: history entries of this model are findable by patient (auditlog additional_data)."""

    patient_id: int | None

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class Patient(Versioned):
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.5), MaxValueValidator(500)],
    )
    height_cm = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(260)],
    )
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=10, blank=True, help_text="Preferred language (BCP 47).")
    # Search keys kept in step with the names on save (indexed prefix search).
    family_name_key = models.CharField(max_length=100, editable=False)
    given_name_key = models.CharField(max_length=100, editable=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            models.Index(fields=["birth_date"], name="patient_birth_date"),
            models.Index(fields=["family_name_key", "given_name_key"], name="patient_name_keys"),
            # PostgreSQL needs pattern ops for LIKE 'abc%' under a non-C collation;
            # other backends ignore opclasses.
            models.Index(
                fields=["family_name_key"],
                opclasses=["varchar_pattern_ops"],
                name="patient_family_prefix",
            ),
            models.Index(
                fields=["given_name_key"],
                opclasses=["varchar_pattern_ops"],
                name="patient_given_prefix",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family_name.upper()}, {self.given_name}"

    def save(self, *args, **kwargs) -> None:
        self.family_name_key = normalise_name(self.family_name)
        self.given_name_key = normalise_name(self.given_name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "family_name_key",
                "given_name_key",
            }
        super().save(*args, **kwargs)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.pk}

    @property
    def active_allergies(self) -> list[Allergy]:
        return [a for a in self.allergies.all() if a.is_active]

    def age_on(self, day: date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def mrn(self) -> str:
        """The hospital MRN (first medical-record identifier of the configured issuer)."""
        for ident in self.identifiers.all():
            if ident.kind == IdentifierKind.MRN and ident.issuer == settings.IRFLOW_MRN_ISSUER:
                return ident.value
        for ident in self.identifiers.all():
            if ident.kind == IdentifierKind.MRN:
                return ident.value
        return ""


class IdentifierKind(models.TextChoices):
    MRN = "MR", "Medical record number"
    NATIONAL = "NI", "National identifier"
    OTHER = "OT", "Other"


class PatientIdentifier(PatientOwned, models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(
        max_length=2, choices=IdentifierKind.choices, default=IdentifierKind.MRN
    )
    issuer = models.CharField(max_length=64)
    value = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "value"], name="identifier_unique_per_issuer")
        ]
        indexes = [models.Index(fields=["value"], name="identifier_value")]

    def __str__(self) -> str:
        return f"{self.value} ({self.issuer})"


class AllergyCategory(models.TextChoices):
    IODINATED_CONTRAST = "iodinated_contrast", "Iodinated contrast"
    GADOLINIUM = "gadolinium", "Gadolinium contrast"
    LATEX = "latex", "Latex"
    DRUG = "drug", "Drug"
    SHELLFISH = "shellfish", "Shellfish"
    IODINE = "iodine", "Iodine / povidone-iodine"
    FOOD = "food", "Food"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class Reconciliation(models.TextChoices):
    """Where a medication or allergy on the chart stands: reported by a referrer (to confirm),
    confirmed by the team, or rejected (kept, inactive, with who and when)."""

    CONFIRMED = "confirmed", "Confirmed"
    REPORTED = "reported", "Reported by the referrer — to confirm"
    REJECTED = "rejected", "Rejected"


class Reconciled(models.Model):
    """Fields shared by entries that can be reported by a referrer and confirmed on the chart."""

    reconciliation = models.CharField(
        max_length=10, choices=Reconciliation.choices, default=Reconciliation.CONFIRMED
    )
    reported_by = models.CharField(
        max_length=200, blank=True, help_text="Who reported it, e.g. 'Referral 12 · Dr Ng'."
    )
    reported_text = models.CharField(
        max_length=300, blank=True, help_text="The referrer's words, as written."
    )
    reconciled_at = models.DateTimeField(null=True, blank=True)
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def to_confirm(self) -> bool:
        return self.reconciliation == Reconciliation.REPORTED


class Allergy(PatientOwned, Reconciled):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    agent = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=AllergyCategory.choices)
    reaction = models.CharField(max_length=300, blank=True)
    # Blank only while a reported allergy waits for confirmation (the referrer may not say).
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "allergies"
        ordering = ["-is_active", "agent"]

    def __str__(self) -> str:
        return f"{self.agent} ({self.get_severity_display() or 'severity not given'})"


class Frequency(models.TextChoices):
    """Dosing frequency; `doses_per_day` turns a hold 'in doses' into hours."""

    ONCE_DAILY = "od", "Once daily"
    TWICE_DAILY = "bd", "Twice daily"
    THREE_TIMES = "tds", "Three times daily"
    FOUR_TIMES = "qds", "Four times daily"
    WEEKLY = "weekly", "Weekly"
    CONTINUOUS = "continuous", "Continuous infusion"
    AS_NEEDED = "prn", "As needed"


DOSES_PER_DAY = {"od": 1, "bd": 2, "tds": 3, "qds": 4, "weekly": 1 / 7}


class Medication(PatientOwned, Reconciled):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=200, help_text="As prescribed, e.g. 'Apixaban 5 mg'.")
    drug = models.CharField(
        max_length=40,
        blank=True,
        help_text="Drug key used by the rules (e.g. apixaban); blank if the rules ignore it.",
    )
    dose = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    dose_unit = models.CharField(max_length=20, blank=True)
    frequency = models.CharField(max_length=12, choices=Frequency.choices, blank=True)
    dose_times = models.JSONField(
        default=list, blank=True, help_text="Usual clock times of doses, e.g. ['08:00', '20:00']."
    )
    is_antithrombotic = models.BooleanField(default=False)
    loading_dose = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-active", "-is_antithrombotic", "name"]

    def __str__(self) -> str:
        return self.name


class Analyte(models.TextChoices):
    """Lab results the rules use; each has one canonical unit."""

    INR = "inr", "INR"
    PLATELETS = "platelets", "Platelets"
    HAEMOGLOBIN = "haemoglobin", "Haemoglobin"
    CREATININE = "creatinine", "Creatinine"
    EGFR = "egfr", "eGFR"
    FIBRINOGEN = "fibrinogen", "Fibrinogen"


ANALYTE_UNITS = {
    "inr": "",
    "platelets": "10^9/L",
    "haemoglobin": "g/L",
    "creatinine": "umol/L",
    "egfr": "mL/min/1.73m2",
    "fibrinogen": "g/L",
}


class LabResult(PatientOwned, models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="lab_results")
    analyte = models.CharField(max_length=20, choices=Analyte.choices)
    value = models.DecimalField(max_digits=8, decimal_places=2)
    unit = models.CharField(max_length=20, blank=True)
    collected_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=20, default="manual")
    implausible_confirmed = models.BooleanField(
        default=False,
        help_text="Outside the plausibility limits; saved as typed once the person recording it "
        "confirmed it.",
    )

    class Meta:
        ordering = ["-collected_at"]
        indexes = [models.Index(fields=["patient", "analyte", "-collected_at"], name="lab_latest")]

    def __str__(self) -> str:
        return f"{self.get_analyte_display()} {self.value} {self.unit}"


class ConditionCode(models.TextChoices):
    """Conditions that change the rules."""

    CHRONIC_LIVER_DISEASE = "chronic_liver_disease", "Chronic liver disease"
    DIALYSIS = "dialysis", "On dialysis"
    ANURIC = "anuric", "Anuric"
    ACUTE_KIDNEY_INJURY = "acute_kidney_injury", "Acute kidney injury"
    DIABETES = "diabetes", "Diabetes"
    PREGNANCY = "pregnancy", "Pregnancy"
    HIGH_THROMBOTIC_RISK = "high_thrombotic_risk", "High thrombotic risk"
    OTHER = "other", "Other"


class Condition(PatientOwned, models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    code = models.CharField(max_length=30, choices=ConditionCode.choices)
    note = models.CharField(max_length=300, blank=True)
    onset = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-active", "code"]

    def __str__(self) -> str:
        return self.get_code_display()


class CareRelation(PatientOwned, models.Model):
    """A clinician outside IR who cares for a patient (a referrer): they may see that patient."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_relations")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_relations"
    )
    reason = models.CharField(max_length=100, default="referral")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "clinician"], name="care_relation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.clinician} cares for patient {self.patient_id} ({self.reason})"


class PatientMerge(models.Model):
    """A merge of a duplicate record into the surviving one: what moved, who did it, why."""

    source = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_out")
    target = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_in")
    moved = models.JSONField(default=dict, help_text="Model label -> ids re-pointed.")
    reason = models.CharField(max_length=300)
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Patient {self.source_id} merged into {self.target_id}"
