"""Referrals: a clinician asks IR for help; triage decides what happens next.

The referral's status is a declared state machine (REFERRAL_STATES). Every change is an
event in its timeline and a notification to the referrer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from irflow.lib.states import StateMachine
from irflow.lib.versions import Versioned
from irflow.orders.models import Laterality, Priority


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    MORE_INFO = "more_info", "More information requested"
    BOARD = "board", "Sent to the board"
    CLINIC = "clinic", "Clinic consultation first"
    ORDERED = "ordered", "Ordered"
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


S = ReferralStatus
# received → triaged (accepted, declined, more information, board, clinic first)
#          → ordered → scheduled → done / cancelled.
# "accepted" rests until a catalogue procedure is chosen (a free-text request cannot be
# ordered); the board orders directly when it decides for IR treatment.
# ordered → done: an emergency performed without a booking (reconciled from MPPS).
REFERRAL_STATES = StateMachine(
    "referral",
    {
        S.RECEIVED: {S.ACCEPTED, S.DECLINED, S.MORE_INFO, S.BOARD, S.CLINIC, S.CANCELLED},
        S.MORE_INFO: {S.RECEIVED, S.CANCELLED},
        S.CLINIC: {S.ACCEPTED, S.DECLINED, S.BOARD, S.CANCELLED},
        S.BOARD: {S.ORDERED, S.DECLINED, S.MORE_INFO, S.CANCELLED},
        S.ACCEPTED: {S.ORDERED, S.CANCELLED},
        S.ORDERED: {S.SCHEDULED, S.DONE, S.CANCELLED},
        S.SCHEDULED: {S.ORDERED, S.DONE, S.CANCELLED},
        S.DONE: set(),
        S.DECLINED: set(),
        S.CANCELLED: set(),
    },
    labels=dict(ReferralStatus.choices),
)
TRIAGE_OUTCOMES = frozenset({S.ACCEPTED, S.DECLINED, S.MORE_INFO, S.BOARD, S.CLINIC})
# Waiting for IR's triage (the queue) and still open (not yet done, declined or cancelled).
UNTRIAGED = frozenset({S.RECEIVED})
OPEN = frozenset(REFERRAL_STATES.states) - REFERRAL_STATES.terminal()


class PatientMatch(models.TextChoices):
    """Whether IR has confirmed the patient of a referral sent by MRN for a patient the
    referrer did not care for yet (see `irflow.referrals.services.referral_patient_confirm`)."""

    NONE = "", "Not needed"
    PENDING = "pending", "To confirm"
    CONFIRMED = "confirmed", "Confirmed the same patient"
    CORRECTED = "corrected", "Attached to the right patient"


class Referral(Versioned):
    # Until IR confirms the match (`patient_match` pending), the patient IR already knows by
    # the MRN the referrer gave: the referrer does not see that record, only what they typed.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="referrals"
    )
    # The account that sent the referral and follows it (notified of every change).
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_sent"
    )
    # The patient as the referrer typed them (mrn, issuer, family_name, given_name, birth_date,
    # sex), when they gave details rather than choosing a patient they already see.
    submitted_patient = models.JSONField(default=dict, blank=True)
    patient_match = models.CharField(
        max_length=10, choices=PatientMatch.choices, default=PatientMatch.NONE, blank=True
    )
    referring_clinician = models.CharField(max_length=150)
    referrer_specialty = models.CharField(max_length=100, blank=True)
    clinical_question = models.TextField()
    procedure_type = models.ForeignKey(
        "catalogue.ProcedureType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The requested procedure, when it is in the catalogue.",
    )
    requested_procedure_text = models.CharField(
        max_length=200, blank=True, help_text="The requested procedure in the referrer's words."
    )
    laterality = models.CharField(max_length=10, choices=Laterality.choices, blank=True)
    site = models.CharField(max_length=100, blank=True)
    urgency = models.CharField(max_length=10, choices=Priority.choices)
    relevant_history = models.TextField(blank=True)
    # As the referrer wrote them, one per line; each also reaches the chart as an entry
    # "reported by the referrer — to confirm".
    medications = models.TextField(blank=True)
    allergies = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )
    # What the latest change said: the reason for a decline, the question asked, …
    status_note = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now)
    # First triage decision (referral → triage waiting time).
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="referral"
    )
    # When the procedure started (referral → procedure waiting time).
    procedure_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "urgency"], name="referral_status_urgency"),
            models.Index(fields=["referrer", "-received_at"], name="referral_referrer"),
            models.Index(fields=["received_at"], name="referral_received"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.get_status_display()})"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def match_pending(self) -> bool:
        """IR has not yet confirmed that the referral is for the patient on record."""
        return self.patient_match == PatientMatch.PENDING

    def patient_label(self, *, as_submitted: bool = False) -> str:
        """ "FAMILY, Given": the record's, or (`as_submitted`, while the match is pending) the
        names the referrer typed, so that they learn nothing from a record they may not see."""
        if as_submitted and self.match_pending:
            typed = self.submitted_patient
            return f"{str(typed.get('family_name', '')).upper()}, {typed.get('given_name', '')}"
        return f"{self.patient.family_name.upper()}, {self.patient.given_name}"

    @property
    def requested_procedure(self) -> str:
        if self.procedure_type is not None:
            return self.procedure_type.name
        return self.requested_procedure_text


class ReferralEvent(models.Model):
    """One change of a referral, in its timeline (who, when, from, to, what was said)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_status or '∅'} → {self.to_status}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.referral.patient_id}

    @property
    def to_label(self) -> str:
        return REFERRAL_STATES.label(self.to_status)


class ReferralAttachment(models.Model):
    """A file sent with a referral (PDF, PNG or JPEG), stored under MEDIA_ROOT."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="attachments")
    stored_name = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "sha256"], name="referral_attachment_once")
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_additional_data(self) -> dict:
        return {"patient_id": self.referral.patient_id}


class Notification(models.Model):
    """An in-app message to one user (the referrer hears of every change to a referral)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.message


class UrgencyTarget(models.Model):
    """How soon a referral of each urgency should be triaged and treated (site policy)."""

    urgency = models.CharField(max_length=10, choices=Priority.choices, unique=True)
    triage_within_hours = models.PositiveIntegerField(
        help_text="Target from receipt of the referral to the triage decision, in hours."
    )
    procedure_within_hours = models.PositiveIntegerField(
        help_text="Target from receipt of the referral to the procedure, in hours "
        "(504 hours = 21 days)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["procedure_within_hours"]
        verbose_name = "urgency target"

    def __str__(self) -> str:
        return f"{self.get_urgency_display()}: triage {self.triage_within_hours} h, " + (
            f"procedure {self.procedure_within_hours} h"
        )


# Site defaults, seeded by migration 0002 and used when a row is missing.
DEFAULT_TARGETS = {
    Priority.EMERGENT: (1, 4),
    Priority.URGENT: (24, 72),
    Priority.ROUTINE: (72, 21 * 24),
}
