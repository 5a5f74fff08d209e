"""Dose reports as stored, named after the DICOM templates they hold.

- RadiationDoseReport: the X-Ray Radiation Dose Report (TID 10001 projection / TID 10011 CT),
  with summary columns so that lists never touch the event tables;
- AccumulatedXrayDose: Accumulated X-Ray Dose Data (TID 10002), one row per plane;
- IrradiationEventXrayData: Irradiation Event X-Ray Data (TID 10003), one row per event;
- CtAcquisition: CT Acquisition (TID 10013), one row per scan.

An irradiation event is stored once, whatever number of reports repeat it: its Irradiation
Event UID is unique. A later report (a re-send, a cumulative or a continuation report) adds
only the events not stored before. What a report adds to a procedure's total is kept in its
``*_counted`` columns — see ``irflow.dose.services.storing`` for the rule.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TemplateKind(models.TextChoices):
    PROJECTION = "projection", "Projection X-ray (TID 10001)"
    CT = "ct", "CT (TID 10011)"


class LinkStatus(models.TextChoices):
    LINKED = "linked", "Linked"
    UNMATCHED = "unmatched", "Not matched"
    MISMATCH = "mismatch", "Patient mismatch"


class LinkMethod(models.TextChoices):
    NONE = "", "—"
    MPPS = "mpps", "MPPS reference"
    STUDY_UID = "study_uid", "Study Instance UID"
    ACCESSION = "accession", "Accession number"
    MANUAL = "manual", "Linked by hand"


class RadiationDoseReport(models.Model):
    """One X-Ray Radiation Dose SR (root concept 113701), its totals and its links."""

    sop_instance_uid = models.CharField(max_length=64, unique=True)
    sop_class_uid = models.CharField(max_length=64)
    template = models.CharField(max_length=12, choices=TemplateKind.choices)
    scope = models.CharField(max_length=5, blank=True, help_text="study or pps (113705).")
    procedure_reported = models.CharField(max_length=120, blank=True)
    # Identifiers as the modality wrote them.
    study_instance_uid = models.CharField(max_length=64, blank=True, db_index=True)
    accession_number = models.CharField(max_length=64, blank=True, db_index=True)
    mpps_sop_instance_uid = models.CharField(max_length=64, blank=True, db_index=True)
    dicom_patient_id = models.CharField(max_length=64, blank=True)
    dicom_patient_name = models.CharField(max_length=200, blank=True)
    dicom_patient_birth_date = models.CharField(max_length=8, blank=True)
    dicom_patient_sex = models.CharField(max_length=1, blank=True)
    # Device.
    manufacturer = models.CharField(max_length=100, blank=True)
    model_name = models.CharField(max_length=100, blank=True)
    serial_number = models.CharField(max_length=64, blank=True)
    station_name = models.CharField(max_length=64, blank=True)
    device_observer_uid = models.CharField(max_length=64, blank=True)
    # When: study date-time, else content date-time, else the time it was received.
    performed_at = models.DateTimeField(db_index=True)
    study_datetime = models.DateTimeField(null=True, blank=True)
    content_datetime = models.DateTimeField(null=True, blank=True)
    # Totals as the report states them (sum over planes; empty when the report gives none).
    dap_total_gy_cm2 = models.FloatField(null=True, blank=True)
    fluoro_dap_total_gy_cm2 = models.FloatField(null=True, blank=True)
    acquisition_dap_total_gy_cm2 = models.FloatField(null=True, blank=True)
    ka_r_total_mgy = models.FloatField(null=True, blank=True)
    fluoro_ka_r_total_mgy = models.FloatField(null=True, blank=True)
    acquisition_ka_r_total_mgy = models.FloatField(null=True, blank=True)
    fluoro_time_total_s = models.FloatField(null=True, blank=True)
    acquisition_time_total_s = models.FloatField(null=True, blank=True)
    frames_total = models.PositiveIntegerField(null=True, blank=True)
    dlp_total_mgy_cm = models.FloatField(null=True, blank=True)
    ct_event_count = models.PositiveIntegerField(null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0, help_text="Events in this report.")
    new_event_count = models.PositiveIntegerField(
        default=0, help_text="Events first stored from this report."
    )
    # What this report adds to its procedure's and patient's totals after de-duplication.
    dap_counted_gy_cm2 = models.FloatField(null=True, blank=True)
    ka_r_counted_mgy = models.FloatField(null=True, blank=True)
    fluoro_time_counted_s = models.FloatField(null=True, blank=True)
    dlp_counted_mgy_cm = models.FloatField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Links to the procedure.
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dose_reports",
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="dose_reports"
    )
    booking = models.ForeignKey(
        "scheduling.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dose_reports",
    )
    performed_step = models.ForeignKey(
        "procedures.PerformedProcedureStep",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dose_reports",
    )
    link_status = models.CharField(
        max_length=10, choices=LinkStatus.choices, default=LinkStatus.UNMATCHED
    )
    link_method = models.CharField(max_length=10, choices=LinkMethod.choices, blank=True)
    link_problem = models.TextField(blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-performed_at", "-pk"]
        indexes = [
            models.Index(fields=["link_status", "-performed_at"], name="dosereport_link_status"),
            models.Index(fields=["patient", "performed_at"], name="dosereport_patient_time"),
            models.Index(fields=["order", "performed_at"], name="dosereport_order_time"),
        ]

    def __str__(self) -> str:
        return (
            f"Dose report {self.pk} ({self.get_template_display()}, {self.performed_at:%Y-%m-%d})"
        )

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def device_label(self) -> str:
        parts = [self.manufacturer, self.model_name]
        label = " ".join(p for p in parts if p)
        return f"{label} ({self.station_name})" if self.station_name else label or "—"


class AccumulatedXrayDose(models.Model):
    """Accumulated X-Ray Dose Data (113702) of one plane of a projection report."""

    report = models.ForeignKey(RadiationDoseReport, on_delete=models.PROTECT, related_name="planes")
    plane = models.CharField(max_length=10, blank=True, help_text="plane_a, plane_b or single.")
    dap_total_gy_cm2 = models.FloatField(null=True, blank=True)
    fluoro_dap_total_gy_cm2 = models.FloatField(null=True, blank=True)
    acquisition_dap_total_gy_cm2 = models.FloatField(null=True, blank=True)
    ka_r_total_mgy = models.FloatField(null=True, blank=True)
    fluoro_ka_r_total_mgy = models.FloatField(null=True, blank=True)
    acquisition_ka_r_total_mgy = models.FloatField(null=True, blank=True)
    fluoro_time_total_s = models.FloatField(null=True, blank=True)
    acquisition_time_total_s = models.FloatField(null=True, blank=True)
    frames_total = models.PositiveIntegerField(null=True, blank=True)
    reference_point = models.CharField(max_length=200, blank=True)
    calibrations = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["report", "plane"]

    def __str__(self) -> str:
        return f"{self.plane or 'plane'} of report {self.report_id}"

    @property
    def label(self) -> str:
        return PLANE_LABELS.get(self.plane, self.plane or "—")


PLANE_LABELS = {"plane_a": "Plane A", "plane_b": "Plane B", "single": "Single plane"}


class IrradiationEventXrayData(models.Model):
    """Irradiation Event X-Ray Data (113706): one fluoroscopy run or acquisition, stored once."""

    report = models.ForeignKey(RadiationDoseReport, on_delete=models.PROTECT, related_name="events")
    # Unique: the same event in a second report is not stored (nor counted) again. Events
    # without a UID cannot be recognised and are stored with each report that holds them.
    event_uid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    datetime_started = models.DateTimeField(null=True, blank=True)
    event_type = models.CharField(max_length=25, blank=True)
    plane = models.CharField(max_length=10, blank=True)
    acquisition_protocol = models.CharField(max_length=200, blank=True)
    dap_gy_cm2 = models.FloatField(null=True, blank=True)
    dose_rp_mgy = models.FloatField(null=True, blank=True)
    kvp = models.FloatField(null=True, blank=True)
    tube_current_ma = models.FloatField(null=True, blank=True)
    average_tube_current_ma = models.FloatField(null=True, blank=True)
    exposure_mas = models.FloatField(null=True, blank=True)
    exposure_time_ms = models.FloatField(null=True, blank=True)
    irradiation_duration_s = models.FloatField(null=True, blank=True)
    pulse_rate_per_s = models.FloatField(null=True, blank=True)
    number_of_pulses = models.PositiveIntegerField(null=True, blank=True)
    pulse_width_ms = models.FloatField(null=True, blank=True)
    fluoro_mode = models.CharField(max_length=12, blank=True)
    primary_angle_deg = models.FloatField(null=True, blank=True)
    secondary_angle_deg = models.FloatField(null=True, blank=True)
    sid_mm = models.FloatField(null=True, blank=True)
    source_isocenter_mm = models.FloatField(null=True, blank=True)
    table_longitudinal_mm = models.FloatField(null=True, blank=True)
    table_lateral_mm = models.FloatField(null=True, blank=True)
    table_height_mm = models.FloatField(null=True, blank=True)
    target_region = models.CharField(max_length=120, blank=True)
    filters = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["datetime_started", "pk"]

    def __str__(self) -> str:
        return f"Event {self.event_uid or self.pk}"

    @property
    def plane_label(self) -> str:
        return PLANE_LABELS.get(self.plane, self.plane or "—")


class CtAcquisition(models.Model):
    """CT Acquisition (113819) of a CT dose report, stored once by Irradiation Event UID."""

    report = models.ForeignKey(
        RadiationDoseReport, on_delete=models.PROTECT, related_name="ct_acquisitions"
    )
    event_uid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    acquisition_type = models.CharField(max_length=120, blank=True)
    acquisition_protocol = models.CharField(max_length=200, blank=True)
    target_region = models.CharField(max_length=120, blank=True)
    exposure_time_s = models.FloatField(null=True, blank=True)
    scanning_length_mm = models.FloatField(null=True, blank=True)
    pitch_factor = models.FloatField(null=True, blank=True)
    mean_ctdi_vol_mgy = models.FloatField(null=True, blank=True)
    dlp_mgy_cm = models.FloatField(null=True, blank=True)
    ctdi_phantom_type = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["report", "pk"]

    def __str__(self) -> str:
        return f"CT acquisition {self.event_uid or self.pk}"
