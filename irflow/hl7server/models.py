"""What irflow keeps of HL7 v2: every message received (raw, before it is acknowledged), the
destinations it sends to, the outbox per destination, and the sender's procedure codes mapped
to the catalogue.

Received messages and sent messages are a log: rows are added and their status moves on, the
raw text is never changed. A message that could not be applied keeps its raw bytes and the
reason, and can be re-processed from the interface page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Inbound(models.TextChoices):
    RECEIVED = "received", "Received"  # stored, not yet applied (a crash in between leaves it)
    APPLIED = "applied", "Applied"  # AA: its content is in irflow
    IGNORED = "ignored", "Ignored"  # AA: a valid event irflow does not act on (A02, A03, …)
    ERROR = "error", "Error"  # AE: its content was wrong; nothing of it applied
    REJECTED = "rejected", "Rejected"  # AR: unknown or unsupported type, version, or no MSH
    FAILED = "failed", "Failed"  # AE: irflow failed applying it; kept for re-processing


class InboundMessage(models.Model):
    """One message as it arrived on the MLLP listener, committed before its ACK is sent."""

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    peer = models.CharField(max_length=100, blank=True, help_text="host:port of the sender.")
    raw = models.BinaryField(help_text="The bytes between the MLLP start and end blocks.")
    charset = models.CharField(max_length=30, blank=True, help_text="MSH-18 as received.")
    sending_application = models.CharField(max_length=227, blank=True)  # MSH-3
    sending_facility = models.CharField(max_length=227, blank=True)  # MSH-4
    control_id = models.CharField(max_length=199, blank=True)  # MSH-10
    message_type = models.CharField(max_length=20, blank=True, help_text="e.g. ADT^A08.")
    version = models.CharField(max_length=10, blank=True)  # MSH-12
    patient_key = models.CharField(
        max_length=250, blank=True, db_index=True, help_text="PID-3 as sent, for search."
    )
    status = models.CharField(max_length=10, choices=Inbound.choices, default=Inbound.RECEIVED)
    ack_code = models.CharField(max_length=2, blank=True)  # AA / AE / AR
    ack = models.TextField(blank=True, help_text="The acknowledgement sent (segments end \\r).")
    error_location = models.CharField(max_length=30, blank=True, help_text="e.g. PID-7.")
    error = models.TextField(blank=True)
    outcome = models.TextField(blank=True, help_text="What applying it did, in words.")
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    repeats = models.PositiveIntegerField(default=0, help_text="Repeats answered with its ACK.")
    last_repeat_at = models.DateTimeField(null=True, blank=True)
    reprocessed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # Idempotency: one message per sender and control id; a repeat gets the original ACK.
            models.UniqueConstraint(
                fields=["sending_application", "sending_facility", "control_id"],
                condition=~Q(control_id=""),
                name="hl7_inbound_once_per_sender",
            )
        ]
        indexes = [models.Index(fields=["status", "-received_at"], name="hl7_inbound_status")]

    def __str__(self) -> str:
        return f"{self.message_type or '?'} {self.control_id or '(no control id)'}"


class Destination(models.Model):
    """A system irflow sends HL7 to over MLLP (the hospital's engine, an EHR, a test receiver)."""

    class Version(models.TextChoices):
        V231 = "2.3.1", "2.3.1 (ORM^O01)"
        V251 = "2.5.1", "2.5.1 (OMI^O23)"

    class Charset(models.TextChoices):
        ASCII = "ASCII", "ASCII"
        LATIN1 = "8859/1", "ISO 8859-1"
        UTF8 = "UNICODE UTF-8", "UTF-8"

    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    receiving_application = models.CharField(max_length=227, blank=True)  # MSH-5
    receiving_facility = models.CharField(max_length=227, blank=True)  # MSH-6
    version = models.CharField(max_length=6, choices=Version.choices, default=Version.V251)
    charset = models.CharField(max_length=15, choices=Charset.choices, default=Charset.UTF8)
    sends_results = models.BooleanField(default=True, help_text="ORU^R01 when a report is signed.")
    sends_orders = models.BooleanField(default=False, help_text="Filler orders and status.")
    sends_schedules = models.BooleanField(default=False, help_text="SIU S12/S13/S15.")
    include_pdf = models.BooleanField(default=False, help_text="The report's PDF as an ED OBX.")
    max_attempts = models.PositiveIntegerField(
        default=10, help_text="Tries before a message shows as stuck (it is still retried)."
    )
    ack_timeout_s = models.PositiveIntegerField(default=30)
    active = models.BooleanField(default=True)
    # One sender at a time per destination keeps its order: a lease taken with one UPDATE.
    lease_owner = models.CharField(max_length=100, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"


class Outbound(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Acknowledged (AA)"
    REFUSED = "refused", "Refused by the receiver (AE/AR)"
    STUCK = "stuck", "Stuck: still retried"
    CANCELLED = "cancelled", "Cancelled by an administrator"


class OutboundMessage(models.Model):
    """One message to one destination, persisted before it is sent; sent in `id` order."""

    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="outbox")
    created_at = models.DateTimeField(auto_now_add=True)
    message_type = models.CharField(max_length=20)  # e.g. ORU^R01
    control_id = models.CharField(max_length=20, unique=True)  # our MSH-10
    event = models.CharField(max_length=60, blank=True, help_text="What made it, e.g. report 12.")
    text = models.TextField(help_text="The message as built (segments end \\r).")
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Outbound.choices, default=Outbound.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    ack = models.TextField(blank=True, help_text="The receiver's acknowledgement.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["destination", "status", "id"], name="hl7_outbox_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} → {self.destination.name}"


class CodeMapping(models.Model):
    """A sender's procedure code (OBR-4) and the catalogue entry it means."""

    sending_application = models.CharField(
        max_length=227, blank=True, help_text="MSH-3; empty: any sender."
    )
    code = models.CharField(max_length=100)  # OBR-4.1
    coding_system = models.CharField(max_length=50, blank=True)  # OBR-4.3
    text = models.CharField(max_length=200, blank=True, help_text="OBR-4.2, as the sender says.")
    procedure_type = models.ForeignKey(
        "catalogue.ProcedureType", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sending_application", "code", "coding_system"],
                name="hl7_code_mapping_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.procedure_type}"


class PlacerOrder(models.Model):
    """A placer's order number (ORC-2) and what irflow made of it: an order, or a referral in
    the triage queue when the procedure code was not known. A repeated NW finds it and is
    not a second order; CA, XO and SC find the order through it."""

    placer = models.CharField(
        max_length=227, help_text="ORC-2.2 (the placer's namespace), else MSH-3."
    )
    number = models.CharField(max_length=199, help_text="ORC-2.1 / OBR-2.1.")
    filler_number = models.CharField(max_length=199, blank=True)  # ORC-3 as sent
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    message = models.ForeignKey(
        InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["placer", "number"], name="hl7_placer_order_once")
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.placer})"
