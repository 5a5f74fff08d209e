"""Objects as they arrived (DICOM C-STORE or file import), kept raw before anything reads them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from irflow.lib.states import StateMachine


class ReceivedStatus(models.TextChoices):
    RECEIVED = "received", "Received — waiting to be read"
    PROCESSED = "processed", "Processed"
    DUPLICATE = "duplicate", "Duplicate"
    QUARANTINED = "quarantined", "Quarantined"


RECEIVED_STATES = StateMachine(
    "received dose object",
    {
        "received": {"processed", "duplicate", "quarantined"},
        # Re-processing puts a quarantined object back in line.
        "quarantined": {"received"},
        "processed": set(),
        "duplicate": set(),
    },
    labels=dict(ReceivedStatus.choices),
)


class ReceivedChannel(models.TextChoices):
    DICOM = "dicom", "DICOM C-STORE"
    IMPORT = "import", "File import"


class ReceivedObject(models.Model):
    """One object received: where its bytes are, and what reading them gave."""

    channel = models.CharField(max_length=10, choices=ReceivedChannel.choices)
    sop_instance_uid = models.CharField(max_length=64, blank=True, db_index=True)
    sop_class_uid = models.CharField(max_length=64, blank=True)
    transfer_syntax_uid = models.CharField(max_length=64, blank=True)
    calling_ae_title = models.CharField(max_length=16, blank=True)
    remote_address = models.CharField(max_length=64, blank=True)
    source_name = models.CharField(
        max_length=500, blank=True, help_text="The imported file's original path."
    )
    # Relative to settings.DATA_DIR; files are content-addressed (dicom/dose/ab/<sha256>.dcm).
    file_path = models.CharField(max_length=300)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(
        max_length=12, choices=ReceivedStatus.choices, default=ReceivedStatus.RECEIVED
    )
    reason = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The reading task last queued for it (a django-tasks result id) and when.
    task_id = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    dose_report = models.ForeignKey(
        "dose.RadiationDoseReport",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_objects",
    )
    reprocessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "received_at"], name="received_status_at")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.sop_instance_uid or self.sha256[:12]}"

    def get_additional_data(self) -> dict:
        report = self.dose_report
        return {"patient_id": report.patient_id if report is not None else None}
