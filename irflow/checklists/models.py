"""The safety record of a booking: the sign-in, time-out and sign-out checklists, each
recorded once, for good; the emergency overrides of the day-of-case rules; and the flags
raised when a modality did what the rules would have refused from a person.

A checklist or an override is written complete in one step and never changes: no save of an
existing row, no delete, no bulk update — the model and its manager refuse, the admin is
read-only and no service or API edits one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from irflow.lib import records
from irflow.lib.errors import Conflict

MSG_IMMUTABLE = (
    "A completed checklist or an override is kept as it was; it cannot be changed or removed."
)


class Phase(models.TextChoices):
    SIGN_IN = "sign_in", "Sign-in"
    TIME_OUT = "time_out", "Time-out"
    SIGN_OUT = "sign_out", "Sign-out"


PHASE_ORDER = [Phase.SIGN_IN, Phase.TIME_OUT, Phase.SIGN_OUT]


class ChecklistQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise Conflict(MSG_IMMUTABLE, code="immutable")

    def delete(self):
        raise Conflict(MSG_IMMUTABLE, code="immutable")


class WrittenOnce(records.WrittenOnce):
    """A row of a booking's safety record: saved once, then never changed or removed."""

    immutable_message = MSG_IMMUTABLE
    booking_id: int
    objects = ChecklistQuerySet.as_manager()

    class Meta:
        abstract = True

    def get_additional_data(self) -> dict:
        booking = self.booking  # type: ignore[attr-defined]
        return {"patient_id": booking.patient_id, "booking_id": self.booking_id}


class ChecklistRecord(WrittenOnce):
    """One completed phase of one booking: the items as answered and who was present."""

    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, related_name="checklists"
    )
    phase = models.CharField(max_length=10, choices=Phase.choices)
    # [{id, text, required, applies_when, source, confidence, answer: done|not_applicable|not_done}]
    items = models.JSONField()
    # [{user_id, name, role}] — the team present (required for the time-out).
    present = models.JSONField(default=list)
    readiness_state = models.CharField(max_length=15)
    emergent = models.BooleanField(default=False)
    # Findings still open when an emergent case went ahead: flagged, never blocking.
    open_findings = models.JSONField(default=list)
    note = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(auto_now_add=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["booking", "completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "phase"], name="checklist_once_per_phase")
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} of booking {self.booking_id}"


class SafetyOverride(WrittenOnce):
    """An emergency override of one day-of-case rule for one booking: a physician went ahead
    and said why. Kept as it was, for good, and shown on the record, the board and the report.

    `rule` is the code of the rule (see `irflow.dayofcase.guards`); `rule_text` is the rule as
    it read, and `refusal` what it said, when it was overridden.
    """

    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, related_name="safety_overrides"
    )
    rule = models.CharField(max_length=30)
    rule_text = models.CharField(max_length=200)
    refusal = models.CharField(max_length=500)
    reason = models.CharField(max_length=500)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booking", "overridden_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "rule"], name="safety_override_once")
        ]

    def __str__(self) -> str:
        return f"Override of {self.rule} for booking {self.booking_id}"


class FlagKind(models.TextChoices):
    STARTED_WITHOUT_SIGN_IN = "no_sign_in", "Modality started without a sign-in"
    STARTED_WITHOUT_TIME_OUT = "no_time_out", "Modality started without a time-out"
    ENDED_WITHOUT_SIGN_OUT = "no_sign_out", "Modality finished without a sign-out"
    ROOM_OCCUPIED = "room_occupied", "Modality started while another patient was in the room"


class SafetyFlag(models.Model):
    """Something a machine reported that the rules would have refused from a person (the
    modality cannot be told no): recorded, shown on the board and the record, for review."""

    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, related_name="safety_flags"
    )
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    detail = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=20, default="mpps")
    raised_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["booking", "raised_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["booking", "kind"], name="safety_flag_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (booking {self.booking_id})"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.booking.patient_id, "booking_id": self.booking_id}
