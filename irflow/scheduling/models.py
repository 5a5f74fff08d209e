"""Bookings: a room, a time and a team for an order — DICOM's scheduled procedure step.

A room, a primary operator and a patient are never double-booked. The database enforces it
(an exclusion constraint on PostgreSQL, triggers on SQLite; see migration 0002), so no
code path and no race can store an overlap.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from irflow.lib.states import StateMachine
from irflow.lib.versions import Versioned


class BookingStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    IN_PREPARATION = "in_preparation", "In preparation"
    IN_ROOM = "in_room", "In room"
    RECOVERY = "recovery", "Recovery"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"


BOOKING_STATES = StateMachine(
    "booking",
    {
        "booked": {"arrived", "in_room", "cancelled"},
        "arrived": {"in_preparation", "in_room", "cancelled"},
        "in_preparation": {"in_room", "cancelled"},
        "in_room": {"recovery", "discharged"},
        "recovery": {"discharged"},
        "discharged": set(),
        "cancelled": set(),
    },
    labels=dict(BookingStatus.choices),
)

# DICOM Scheduled Procedure Step Status (0040,0020) for each booking status; None = not on
# the worklist any more.
SPS_STATUS = {
    "booked": "SCHEDULED",
    "arrived": "ARRIVED",
    "in_preparation": "READY",
    "in_room": "STARTED",
    "recovery": None,
    "discharged": None,
    "cancelled": None,
}


class CancelReason(models.TextChoices):
    PATIENT_NOT_READY = "patient_not_ready", "Patient not ready"
    ANTICOAGULATION_NOT_HELD = "anticoagulation_not_held", "Anticoagulation not held"
    ABNORMAL_LABS = "abnormal_labs", "Abnormal or missing labs"
    NOT_FASTED = "not_fasted", "Patient not fasted"
    NO_CONSENT = "no_consent", "No consent"
    BED_UNAVAILABLE = "bed_unavailable", "Bed unavailable"
    EQUIPMENT = "equipment", "Equipment failure"
    STAFF_UNAVAILABLE = "staff_unavailable", "Staff unavailable"
    EMERGENCY_PRIORITISED = "emergency_prioritised", "Emergency case prioritised"
    PATIENT_DECLINED = "patient_declined", "Patient declined"
    PATIENT_DID_NOT_ATTEND = "did_not_attend", "Patient did not attend"
    PATIENT_UNWELL = "patient_unwell", "Patient unwell"
    NO_LONGER_INDICATED = "no_longer_indicated", "No longer indicated"
    OTHER = "other", "Other"


class Booking(Versioned):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="bookings")
    # Copied from the order so that the database can forbid overlaps per patient.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="bookings"
    )
    room = models.ForeignKey("catalogue.Room", on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField()
    end = models.DateTimeField()
    primary_operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings_as_operator",
    )
    sps_id = models.CharField(max_length=16, unique=True)
    modality = models.CharField(max_length=4)
    station_ae_title = models.CharField(max_length=16, blank=True)
    status = models.CharField(
        max_length=15, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    # False once cancelled: only active bookings occupy their room, operator and patient.
    active = models.BooleanField(default=True)
    cancel_reason = models.CharField(max_length=30, choices=CancelReason.choices, blank=True)
    cancel_note = models.CharField(max_length=300, blank=True)
    # Why a slot shorter than the procedure's usual duration was booked (a quick case), and
    # why a booking was entered after its start (a retrospective entry): scheduling/fit.py.
    # (Added in place on SQLite, keeping the overlap triggers: migration 0003.)
    short_slot_reason = models.CharField(max_length=300, blank=True)
    retrospective_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="booking_end_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["room", "start"], name="booking_room_start"),
            # An operator's list by time, and the operator-overlap trigger's probe on SQLite.
            models.Index(fields=["primary_operator", "start"], name="booking_operator_start"),
            models.Index(fields=["station_ae_title", "start"], name="booking_station_start"),
            models.Index(fields=["start", "status"], name="booking_start_status"),
        ]

    def __str__(self) -> str:
        return f"{self.sps_id} {self.room} {self.start:%Y-%m-%d %H:%M}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

    @property
    def retrospective(self) -> bool:
        return bool(self.retrospective_reason)

    @property
    def duration_min(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def sps_status(self) -> str | None:
        return SPS_STATUS[self.status]


class TeamRole(models.TextChoices):
    PRIMARY_OPERATOR = "primary_operator", "Primary operator"
    SUPERVISING_PHYSICIAN = "supervising_physician", "Supervising physician"
    ASSISTANT = "assistant", "Assistant"
    TRAINEE = "trainee", "Trainee"
    NURSE = "nurse", "Nurse"
    TECHNOLOGIST = "technologist", "Technologist"
    ANAESTHESIA = "anaesthesia", "Anaesthesia"


class BookingTeamMember(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=25, choices=TeamRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "user", "role"], name="team_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def get_additional_data(self) -> dict:
        return {"booking_id": self.booking_id}
