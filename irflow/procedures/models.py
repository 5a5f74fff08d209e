"""The procedure record: what was done in the room, by whom, with what, and how it went.

One record per booking (the scheduled step), opened at check-in and completed when the
patient leaves the room. Times, sedation, contrast, devices, specimens and outcomes are
documented on it; the report, recovery and follow-up hang off it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from irflow.clinical.inputs import SEDATION_LEVELS
from irflow.clinical.vocabulary import (
    CONTRAST_ROUTE_GIVEN_LABELS,
    CONTRAST_ROUTES_GIVEN,
    SEDATION_LABELS,
)
from irflow.lib.choices import choices
from irflow.lib.states import StateMachine
from irflow.lib.versions import Versioned
from irflow.scheduling.models import TeamRole


class RecordStatus(models.TextChoices):
    OPEN = "open", "In progress"
    COMPLETED = "completed", "Completed"


RECORD_STATES = StateMachine(
    "procedure record",
    {"open": {"completed"}, "completed": set()},
    labels=dict(RecordStatus.choices),
)


# Sedation and the contrast route are the core's vocabularies (irflow.clinical); the record's
# contrast route says only which way it went in (the plan's tells the renal exposure apart).
SEDATION_DEPTH_CHOICES = choices(SEDATION_LEVELS, SEDATION_LABELS)
CONTRAST_ROUTE_GIVEN_CHOICES = choices(CONTRAST_ROUTES_GIVEN, CONTRAST_ROUTE_GIVEN_LABELS)


class AsaClass(models.TextChoices):
    I = "I", "ASA I — healthy"  # noqa: E741
    II = "II", "ASA II — mild systemic disease"
    III = "III", "ASA III — severe systemic disease"
    IV = "IV", "ASA IV — constant threat to life"
    V = "V", "ASA V — moribund"
    VI = "VI", "ASA VI — brain-dead organ donor"


class Mallampati(models.TextChoices):
    I = "I", "Class I"  # noqa: E741
    II = "II", "Class II"
    III = "III", "Class III"
    IV = "IV", "Class IV"


class Monitoring(models.TextChoices):
    ECG = "ecg", "ECG"
    SPO2 = "spo2", "Pulse oximetry"
    NIBP = "nibp", "Non-invasive blood pressure"
    CAPNOGRAPHY = "capnography", "Capnography"
    ARTERIAL_LINE = "arterial_line", "Arterial line"
    TEMPERATURE = "temperature", "Temperature"


class AccessSite(models.TextChoices):
    NONE = "none", "None (no vascular or percutaneous access)"
    RIGHT_CFA = "right_cfa", "Right common femoral artery"
    LEFT_CFA = "left_cfa", "Left common femoral artery"
    RIGHT_RADIAL = "right_radial", "Right radial artery"
    LEFT_RADIAL = "left_radial", "Left radial artery"
    BRACHIAL = "brachial", "Brachial artery"
    RIGHT_CFV = "right_cfv", "Right common femoral vein"
    LEFT_CFV = "left_cfv", "Left common femoral vein"
    RIGHT_IJV = "right_ijv", "Right internal jugular vein"
    LEFT_IJV = "left_ijv", "Left internal jugular vein"
    ARM_VEIN = "arm_vein", "Arm vein (basilic / brachial / cephalic)"
    PERCUTANEOUS = "percutaneous", "Percutaneous (direct puncture)"
    OTHER = "other", "Other (see note)"


class Success(models.TextChoices):
    NOT_ASSESSED = "", "Not assessed yet"
    SUCCESS = "success", "Achieved"
    PARTIAL = "partial", "Partly achieved"
    FAILURE = "failure", "Not achieved"


class ProcedureRecord(Versioned):
    booking = models.OneToOneField(
        "scheduling.Booking", on_delete=models.PROTECT, related_name="procedure_record"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="procedure_records"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="procedure_records"
    )
    status = models.CharField(
        max_length=10, choices=RecordStatus.choices, default=RecordStatus.OPEN
    )
    checked_in_at = models.DateTimeField()
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Actual times (the booking holds the planned ones).
    in_room_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    out_at = models.DateTimeField(null=True, blank=True)
    access_sites = models.JSONField(default=list, blank=True)
    access_note = models.CharField(max_length=300, blank=True)
    sedation_depth = models.CharField(max_length=10, choices=SEDATION_DEPTH_CHOICES, blank=True)
    asa_class = models.CharField(max_length=3, choices=AsaClass.choices, blank=True)
    asa_emergency = models.BooleanField(default=False, help_text="ASA “E”: emergency case.")
    mallampati = models.CharField(max_length=3, choices=Mallampati.choices, blank=True)
    monitoring = models.JSONField(default=list, blank=True)
    contrast_agent = models.CharField(max_length=100, blank=True)
    contrast_ml = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    contrast_route = models.CharField(
        max_length=15, choices=CONTRAST_ROUTE_GIVEN_CHOICES, blank=True
    )
    findings = models.TextField(blank=True)
    intra_procedure_events = models.TextField(blank=True)
    technical_success = models.CharField(max_length=10, choices=Success.choices, blank=True)
    technical_success_note = models.CharField(max_length=500, blank=True)
    clinical_success = models.CharField(max_length=10, choices=Success.choices, blank=True)
    clinical_success_note = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-checked_in_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contrast_ml__isnull=True) | models.Q(contrast_ml__gte=0),
                name="procedure_contrast_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="procedure_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "status"], name="procedure_patient_status"),
            # Every quality figure and case list selects the cases checked in during a period.
            models.Index(fields=["checked_in_at"], name="procedure_checked_in_at"),
        ]

    def __str__(self) -> str:
        return f"{self.order.procedure_type.name} of {self.checked_in_at:%Y-%m-%d}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def procedure_type(self):
        return self.order.procedure_type

    @property
    def duration_min(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)

    def access_site_labels(self) -> list[str]:
        labels = dict(AccessSite.choices)
        return [labels.get(s, s) for s in self.access_sites]

    def monitoring_labels(self) -> list[str]:
        labels = dict(Monitoring.choices)
        return [labels.get(m, m) for m in self.monitoring]

    def procedure_day(self) -> date:
        """The day of the procedure (the day its devices were used): when it started, else when
        the patient went in, else the booked day."""
        moment = self.started_at or self.in_room_at or self.booking.start
        return timezone.localtime(moment).date()

    @property
    def asa_label(self) -> str:
        return f"{self.asa_class}{'E' if self.asa_emergency else ''}" if self.asa_class else ""


class _RecordPart(models.Model):
    """Something listed on a record: history by patient, never hard-deleted (struck out)."""

    record = models.ForeignKey(ProcedureRecord, on_delete=models.PROTECT)
    entered_in_error = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["pk"]

    def get_additional_data(self) -> dict:
        return {"patient_id": self.record.patient_id, "procedure_id": self.record_id}


class ProcedureTeamMember(_RecordPart):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=25, choices=TeamRole.choices)

    class Meta(_RecordPart.Meta):
        default_related_name = "team"
        constraints = [
            models.UniqueConstraint(
                fields=["record", "user", "role"],
                condition=models.Q(entered_in_error=False),
                name="procedure_team_member_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class SedationAgent(_RecordPart):
    agent = models.CharField(max_length=100)
    dose = models.DecimalField(max_digits=8, decimal_places=2)
    unit = models.CharField(max_length=10)

    class Meta(_RecordPart.Meta):
        default_related_name = "sedation_agents"
        constraints = [
            models.CheckConstraint(condition=models.Q(dose__gte=0), name="sedation_dose_positive")
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.dose.normalize():f} {self.unit}"


def expired_on(expiry: date | None, day: date) -> bool:
    """A device is expired when its expiry date is before the day it is used (it may be used
    on the day itself: GS1 and HIBC expiry dates are the last day of use)."""
    return expiry is not None and expiry < day


class UdiIssuer(models.TextChoices):
    GS1 = "GS1", "GS1"
    HIBCC = "HIBCC", "HIBCC"


class DeviceUsed(_RecordPart):
    device_type = models.CharField(max_length=100)
    manufacturer = models.CharField(max_length=100, blank=True)
    lot = models.CharField(max_length=20, blank=True)
    expiry = models.DateField(null=True, blank=True)
    serial = models.CharField(max_length=20, blank=True)
    production_date = models.DateField(null=True, blank=True)
    gtin = models.CharField(max_length=14, blank=True)
    udi = models.CharField(max_length=200, blank=True, help_text="As scanned (GS1 or HIBCC).")
    udi_issuer = models.CharField(max_length=5, choices=UdiIssuer.choices, blank=True)
    # The UDI-DI: the GTIN (GS1), or labeler code + product number + unit of measure (HIBCC).
    device_identifier = models.CharField(max_length=25, blank=True)
    implanted = models.BooleanField(default=False)
    # The catalogue's device kind (ivc_filter, drain, …) when it stays in the patient.
    in_situ_kind = models.CharField(max_length=30, blank=True)
    # An expired device used all the same: the physician who decided, and why.
    expiry_override_reason = models.CharField(max_length=500, blank=True)
    expiry_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(_RecordPart.Meta):
        default_related_name = "devices"
        indexes = [
            # The recall search: every patient who received a product, or a lot.
            models.Index(fields=["device_identifier", "lot"], name="device_used_product_lot"),
            models.Index(fields=["lot"], name="device_used_lot"),
        ]

    def __str__(self) -> str:
        return self.device_type

    @property
    def expired_when_used(self) -> bool:
        return bool(self.expiry_override_reason)


class Specimen(_RecordPart):
    label = models.CharField(max_length=100)
    specimen_type = models.CharField(max_length=100, blank=True)
    sent_to = models.CharField(max_length=100)

    class Meta(_RecordPart.Meta):
        default_related_name = "specimens"

    def __str__(self) -> str:
        return f"{self.label} → {self.sent_to}"


class PpsStatus(models.TextChoices):
    IN_PROGRESS = "IN PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    DISCONTINUED = "DISCONTINUED", "Discontinued"


class PerformedProcedureStep(models.Model):
    """What a modality reported of a procedure step over MPPS (DICOM's performed procedure
    step): when it ran, in which room, for which booking, and how it ended."""

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
    # Where it happened: the booking's room, else the room of the calling modality.
    room = models.ForeignKey(
        "catalogue.Room",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="performed_steps",
    )
    calling_ae_title = models.CharField(max_length=16, blank=True)
    station_ae_title = models.CharField(max_length=16, blank=True)
    modality = models.CharField(max_length=16, blank=True)
    pps_id = models.CharField(max_length=16, blank=True)
    # The study the images and dose reports belong to (links RDSRs to the step).
    study_instance_uid = models.CharField(max_length=64, blank=True, db_index=True)
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
    reconciliation_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table keeps the name it was created with (in the DICOM listener's app).
        db_table = "dicomserver_performedprocedurestep"
        ordering = ["-created_at"]
        indexes = [
            # The reconciliation list: steps no booking claims yet, newest first.
            models.Index(
                fields=["-created_at"],
                condition=models.Q(booking__isnull=True),
                name="pps_unreconciled",
            ),
        ]

    def __str__(self) -> str:
        return f"MPPS {self.sop_instance_uid} {self.status}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def is_final(self) -> bool:
        return self.status != PpsStatus.IN_PROGRESS

    @property
    def reported_patient_name(self) -> str:
        """The patient name the modality sent, as `Family, Given`."""
        name = str(self.attributes.get("patient_name", ""))
        family, _, given = name.split("=")[0].partition("^")
        given = given.replace("^", " ").strip()
        return f"{family.upper()}, {given}" if given else family.upper()

    @property
    def image_count(self) -> int:
        return sum(len(s.get("images", [])) for s in self.performed_series)
