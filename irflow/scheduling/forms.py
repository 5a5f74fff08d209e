"""Booking, reschedule and cancel forms, and the slot finder's (the services and selectors
validate; these only parse)."""

from __future__ import annotations

from django import forms

from irflow.accounts.models import User
from irflow.accounts.roles import Role
from irflow.catalogue.models import Room
from irflow.lib.forms import TextForm
from irflow.scheduling.models import CancelReason, TeamRole
from irflow.web.forms import DateInput, DateTimeInput


def _staff(*roles: str):
    return User.objects.filter(is_active=True, role__in=roles).order_by("last_name", "first_name")


def _rooms():
    return Room.objects.filter(active=True).order_by("code")


# Team roles offered on the booking form, with the staff roles that can fill them.
TEAM_FIELDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("supervising_physician", TeamRole.SUPERVISING_PHYSICIAN, (Role.PHYSICIAN,)),
    ("assistant", TeamRole.ASSISTANT, (Role.PHYSICIAN, Role.TRAINEE)),
    ("trainee", TeamRole.TRAINEE, (Role.TRAINEE,)),
    ("nurse", TeamRole.NURSE, (Role.NURSE,)),
    ("technologist", TeamRole.TECHNOLOGIST, (Role.TECHNOLOGIST,)),
]


def _reason_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


def short_slot_field() -> forms.CharField:
    return _reason_field(
        "Why a shorter slot",
        "Only when the duration is below the usual one: why this case will be quick.",
    )


def retrospective_field() -> forms.CharField:
    return _reason_field(
        "Why entered after the fact",
        "Only when the start is in the past: the booking is marked as a retrospective entry.",
    )


class BookingForm(TextForm):
    """The booking form offers only the rooms that fit the procedure (`rooms`); the others
    are listed beside it with what they lack."""

    REQUIRED_WHEN = {
        "short_slot_reason": "required when shorter than usual",
        "retrospective_reason": "required for a past time",
    }

    room = forms.ModelChoiceField(queryset=Room.objects.none(), empty_label=None)
    start = forms.DateTimeField(widget=DateTimeInput())
    duration_min = forms.IntegerField(
        label="Duration (minutes)",
        min_value=5,
        max_value=720,
        help_text="The catalogue's usual duration for this procedure: a shorter slot needs "
        "a reason.",
    )
    short_slot_reason = short_slot_field()
    primary_operator = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="— assign later —",
        help_text="Must hold the privilege for this procedure category. "
        "A trainee needs a supervising physician.",
    )
    retrospective_reason = retrospective_field()

    def __init__(self, *args, rooms: list[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        room_field = self.fields["room"]
        room_field.queryset = (  # type: ignore[attr-defined]
            _rooms() if rooms is None else _rooms().filter(pk__in=rooms)
        )
        self.fields["primary_operator"].queryset = _staff(  # type: ignore[attr-defined]
            Role.PHYSICIAN, Role.TRAINEE
        )
        for name, role, staff_roles in TEAM_FIELDS:
            self.fields[name] = forms.ModelChoiceField(
                queryset=_staff(*staff_roles),
                required=False,
                label=TeamRole(role).label,
                empty_label="—",
            )

    def team(self) -> list[tuple[User, str]]:
        return [
            (self.cleaned_data[name], role)
            for name, role, _ in TEAM_FIELDS
            if self.cleaned_data.get(name) is not None
        ]


class RescheduleForm(TextForm):
    REQUIRED_WHEN = {
        "short_slot_reason": "required when shorter than usual",
        "retrospective_reason": "required for a past time",
    }

    start = forms.DateTimeField(label="New start", widget=DateTimeInput())
    duration_min = forms.IntegerField(label="Duration (minutes)", min_value=5, max_value=720)
    room = forms.ModelChoiceField(queryset=Room.objects.none(), empty_label=None)
    reason = forms.ChoiceField(
        label="Reason for the move", choices=[("", "— choose —"), *CancelReason.choices]
    )
    short_slot_reason = short_slot_field()
    retrospective_reason = retrospective_field()

    def __init__(self, *args, rooms: list[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = (  # type: ignore[attr-defined]
            _rooms() if rooms is None else _rooms().filter(pk__in=rooms)
        )


class CancelForm(TextForm):
    reason = forms.ChoiceField(choices=[("", "— choose —"), *CancelReason.choices])
    note = forms.CharField(required=False, max_length=300, label="Note")


class SlotSearchForm(TextForm):
    """The slot finder's question: which days, with which operator, on what grid."""

    first_day = forms.DateField(label="From", widget=DateInput())
    last_day = forms.DateField(label="To", widget=DateInput())
    operator = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="When this operator is free",
        empty_label="— any operator —",
    )
    step = forms.TypedChoiceField(
        label="Starts every",
        coerce=int,
        choices=[(15, "15 minutes"), (30, "30 minutes"), (60, "hour")],
        initial=30,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = _staff(Role.PHYSICIAN)  # type: ignore[attr-defined]


class SlotBookForm(TextForm):
    """One click on a free slot: its room and start, and the operator it was found for."""

    room = forms.ModelChoiceField(queryset=Room.objects.filter(active=True))
    start = forms.DateTimeField()
    operator = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)
