"""Reference data: the procedure catalogue and the rooms procedures happen in."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES, PROCEDURE_CATEGORY_LABELS
from irflow.lib.choices import choices

CATEGORY_CHOICES = choices(PROCEDURE_CATEGORIES, PROCEDURE_CATEGORY_LABELS)


class BleedingRisk(models.TextChoices):
    """SIR 2019 consensus: two categories, plus procedures where the operator decides."""

    LOW = "low", "Low bleeding risk"
    HIGH = "high", "High bleeding risk"
    OPERATOR = "operator_decides", "Operator decides"


class Modality(models.TextChoices):
    XA = "XA", "Fluoroscopy / angiography (XA)"
    RF = "RF", "Fluoroscopy (RF)"
    CT = "CT", "CT"
    US = "US", "Ultrasound"
    MR = "MR", "MRI"


class Capability(models.TextChoices):
    """What a room can offer beyond its modalities, and a procedure may need."""

    BIPLANE = "biplane", "biplane angiography"
    ANAESTHESIA = "anaesthesia", "anaesthesia support (general anaesthesia)"
    CONE_BEAM_CT = "cone_beam_ct", "cone-beam CT"


MSG_UNKNOWN_CAPABILITY = "“{value}” is not a capability (choose from: {known})."
MSG_UNKNOWN_MODALITY = "“{value}” is not a modality (choose from: {known})."


def _unknown(values: object, known: list[str], message: str) -> list[str]:
    """What an admin typed into a list field that is not in its vocabulary, in words."""
    items = values if isinstance(values, list) else [values]
    return [message.format(value=v, known=", ".join(known)) for v in items if v not in known]


def technical_success_required() -> list[str]:
    return ["technical_success"]


class ProcedureType(models.Model):
    code = models.CharField(max_length=20, unique=True, help_text="Local procedure code.")
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=CATEGORY_CHOICES)
    modalities = models.JSONField(
        default=list, help_text="Typical guidance modalities, the first is the default."
    )
    bleeding_risk = models.CharField(max_length=20, choices=BleedingRisk.choices)
    bleeding_risk_note = models.CharField(max_length=300, blank=True)
    default_duration_min = models.PositiveIntegerField()
    arterial_access = models.BooleanField(default=False)
    uses_contrast = models.BooleanField(default=True)
    default_sedation = models.CharField(max_length=20, default="moderate")
    technical_success_definition = models.TextField(blank=True)
    clinical_success_definition = models.TextField(blank=True)
    report_template = models.JSONField(default=dict, blank=True)
    follow_up_rules = models.JSONField(default=list, blank=True)
    completion_requires = models.JSONField(
        default=technical_success_required,
        blank=True,
        help_text="What the procedure record must hold before the procedure is completed: "
        "technical_success, contrast, findings, devices, specimens.",
    )
    device_defaults = models.JSONField(default=dict, blank=True)
    needs = models.JSONField(
        default=list,
        blank=True,
        help_text="What the room must offer besides one of the modalities: biplane, "
        "anaesthesia, cone_beam_ct.",
    )
    shortest_duration_min = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The shortest slot that may be booked, with a stated reason (below the "
        "usual duration). Empty: half the usual duration.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def default_modality(self) -> str:
        return self.modalities[0] if self.modalities else Modality.XA

    def clean(self) -> None:
        errors = _unknown(self.needs, Capability.values, MSG_UNKNOWN_CAPABILITY)
        if errors:
            raise ValidationError({"needs": errors})

    @property
    def shortest_min(self) -> int:
        """The shortest slot bookable with a reason (half the usual duration by default)."""
        if self.shortest_duration_min:
            return self.shortest_duration_min
        return max(5, -(-self.default_duration_min // 2))


class RoomKind(models.TextChoices):
    ANGIO = "angio", "Angiography suite"
    CT = "ct", "CT room"
    US = "us", "Ultrasound room"
    MR = "mr", "MRI room"
    RECOVERY = "recovery", "Recovery bay"


def weekdays() -> list[int]:
    return [1, 2, 3, 4, 5]


class Room(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=RoomKind.choices)
    modality = models.CharField(
        max_length=4, choices=Modality.choices, help_text="The room's main modality."
    )
    modalities = models.JSONField(
        default=list,
        blank=True,
        help_text="Other modalities the room offers for guidance (e.g. US in an angio suite).",
    )
    capabilities = models.JSONField(
        default=list, blank=True, help_text="biplane, anaesthesia, cone_beam_ct."
    )
    station_ae_title = models.CharField(
        max_length=16, blank=True, help_text="DICOM AE title of the modality in this room."
    )
    opens_at = models.TimeField(default=time(8, 0))
    closes_at = models.TimeField(default=time(18, 0))
    open_weekdays = models.JSONField(
        default=weekdays, help_text="ISO weekdays the room is open (1 = Monday)."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["station_ae_title"],
                condition=~models.Q(station_ae_title=""),
                name="room_unique_station_ae",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {
            "modalities": _unknown(self.modalities, Modality.values, MSG_UNKNOWN_MODALITY),
            "capabilities": _unknown(self.capabilities, Capability.values, MSG_UNKNOWN_CAPABILITY),
        }
        if any(errors.values()):
            raise ValidationError({k: v for k, v in errors.items() if v})

    @property
    def offered_modalities(self) -> list[str]:
        return list(dict.fromkeys([self.modality, *(self.modalities or [])]))


class RoomClosure(models.Model):
    """A time the room cannot be booked (maintenance, a strike, a holiday): scheduling refuses
    bookings that overlap it, whatever their priority (the room itself is out of use)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="closures")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="room_closure_ends_after_start",
            )
        ]
        indexes = [models.Index(fields=["room", "ends_at"], name="room_closure_room_end")]

    def __str__(self) -> str:
        return f"{self.room} closed: {self.reason}"
