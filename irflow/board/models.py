"""The multidisciplinary board: meetings, their agenda of referred cases, and decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BoardMeeting(models.Model):
    title = models.CharField(max_length=200, help_text="e.g. Hepatobiliary MDT")
    held_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    specialties = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_at:%Y-%m-%d %H:%M})"


class BoardAttendee(models.Model):
    meeting = models.ForeignKey(BoardMeeting, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(max_length=150)
    specialty = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["specialty", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.specialty})" if self.specialty else self.name


class Decision(models.TextChoices):
    IR_TREATMENT = "ir_treatment", "IR treatment"
    OTHER_TREATMENT = "other_treatment", "Other treatment"
    MORE_INFORMATION = "more_information", "More information needed"
    DEFER = "defer", "Discuss again at a later meeting"


class BoardCase(models.Model):
    """A referral on a meeting's agenda, and what the board decided."""

    meeting = models.ForeignKey(BoardMeeting, on_delete=models.PROTECT, related_name="cases")
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="board_cases"
    )
    position = models.PositiveIntegerField()
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    recommended_treatment = models.CharField(max_length=300, blank=True)
    rationale = models.TextField(blank=True)
    agreed_by = models.CharField(
        max_length=300, blank=True, help_text="Who agreed: names or specialties."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "referral"], name="board_case_once"),
            # A referral waits on one agenda at a time.
            models.UniqueConstraint(
                fields=["referral"], condition=models.Q(decision=""), name="board_case_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.position} of {self.meeting}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.referral.patient_id}
