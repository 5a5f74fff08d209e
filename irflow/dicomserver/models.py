"""The modalities irflow talks to (the procedure steps they report are the procedures app's:
`irflow.procedures.models.PerformedProcedureStep`)."""

from __future__ import annotations

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


# The listener's services (`irflow.dicomserver.registry`) a remote AE may be refused, and the
# field that allows each. Verification is always offered.
SERVICE_PERMISSIONS = {
    "worklist": "may_query_worklist",
    "mpps": "may_report_steps",
    "dose-storage": "may_send_dose_reports",
}


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
    may_query_worklist = models.BooleanField(
        "may query the worklist", default=True, help_text="Modality Worklist C-FIND."
    )
    may_report_steps = models.BooleanField(
        "may report procedure steps", default=True, help_text="MPPS N-CREATE and N-SET."
    )
    may_send_dose_reports = models.BooleanField(
        "may send dose reports", default=True, help_text="Storage of radiation dose SRs."
    )
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

    def refused_services(self) -> set[str]:
        """Names of the services this AE may not use."""
        return {name for name, flag in SERVICE_PERMISSIONS.items() if not getattr(self, flag)}
