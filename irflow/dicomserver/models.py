"""The modalities irflow talks to, and the procedure steps they report over MPPS."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from irflow.dicom.charset import LATIN1, RESPONSE_CHARSETS, UTF8

MSG_AE_TITLE = "An AE title has 1 to 16 characters, no backslash and no control characters."

CHARSET_LABELS = {
    "ISO_IR 6": "ASCII only (ISO_IR 6)",
    LATIN1: "Latin-1, Western European (ISO_IR 100)",
    "ISO_IR 101": "Latin-2, Central European (ISO_IR 101)",
    "ISO_IR 109": "Latin-3 (ISO_IR 109)",
    "ISO_IR 110": "Latin-4 (ISO_IR 110)",
    "ISO_IR 126": "Greek (ISO_IR 126)",
    "ISO_IR 127": "Arabic (ISO_IR 127)",
    "ISO_IR 138": "Hebrew (ISO_IR 138)",
    "ISO_IR 144": "Cyrillic (ISO_IR 144)",
    "ISO_IR 148": "Latin-5, Turkish (ISO_IR 148)",
    "ISO_IR 166": "Thai (ISO_IR 166)",
    UTF8: "Unicode UTF-8 (ISO_IR 192)",
}


def validate_ae_title(value: str) -> None:
    """PS3.5 AE: at most 16 characters of the default repertoire, not only spaces."""
    text = value.strip(" ")
    if (
        not text
        or len(value) > 16
        or "\\" in value
        or any(ord(c) < 0x20 or ord(c) > 0x7E for c in value)
    ):
        raise ValidationError(MSG_AE_TITLE)


class RemoteAE(models.Model):
    """A modality (or other DICOM peer) that may call irflow, and how to talk to it."""

    ae_title = models.CharField(
        "AE title",
        max_length=16,
        unique=True,
        validators=[validate_ae_title],
        help_text="The calling AE title the modality uses, e.g. ANGIO1.",
    )
    host = models.CharField(
        max_length=255,
        blank=True,
        help_text="Host name or IP address it calls from; when refusing unknown AEs, "
        "calls from elsewhere are refused. Empty: any address.",
    )
    room = models.ForeignKey(
        "catalogue.Room",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="remote_aes",
        help_text="The room the modality stands in.",
    )
    charset = models.CharField(
        "character set",
        max_length=12,
        choices=[(term, CHARSET_LABELS[term]) for term in RESPONSE_CHARSETS],
        default=LATIN1,
        help_text="What the modality understands. Worklist answers are written in it "
        "(names it cannot show are transliterated), and its requests are read in it "
        "when they declare none.",
    )
    active = models.BooleanField(default=True, help_text="Inactive AEs are treated as unknown.")
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ae_title"]
        verbose_name = "remote AE"
        verbose_name_plural = "remote AEs"

    def __str__(self) -> str:
        return self.ae_title

    def clean(self) -> None:
        self.ae_title = self.ae_title.strip(" ")


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
