"""Forms of the procedure page: one per autosaved group, plus the quick-add forms.

Numbers go to the services as typed, so that their refusals (a negative volume) are the
messages people see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone

from irflow.procedures.models import (
    CONTRAST_ROUTE_GIVEN_CHOICES,
    SEDATION_DEPTH_CHOICES,
    AccessSite,
    AsaClass,
    Mallampati,
    Monitoring,
    Success,
)
from irflow.scheduling.models import TeamRole


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


class TimesForm(forms.Form):
    in_room_at = forms.TimeField(label="In room", required=False, widget=TimeInput())
    started_at = forms.TimeField(label="Start", required=False, widget=TimeInput())
    ended_at = forms.TimeField(label="End", required=False, widget=TimeInput())
    out_at = forms.TimeField(label="Out of room", required=False, widget=TimeInput())

    def __init__(self, *args, day=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.day = day

    @staticmethod
    def initial_for(record) -> dict[str, Any]:
        return {
            f: timezone.localtime(getattr(record, f)).time()
            for f in ("in_room_at", "started_at", "ended_at", "out_at")
            if getattr(record, f) is not None
        }

    def values(self) -> dict[str, Any]:
        tz = timezone.get_current_timezone()
        return {
            name: datetime.combine(self.day, value, tz) if value is not None else None
            for name, value in self.cleaned_data.items()
        }


class AccessForm(forms.Form):
    access_sites = forms.MultipleChoiceField(
        label="Access sites",
        choices=AccessSite.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice"}),
    )
    access_note = forms.CharField(label="Access note", required=False, max_length=300)


class SedationForm(forms.Form):
    sedation_depth = forms.ChoiceField(
        label="Depth", choices=[("", "—"), *SEDATION_DEPTH_CHOICES], required=False
    )
    asa_class = forms.ChoiceField(
        label="ASA class", choices=[("", "—"), *AsaClass.choices], required=False
    )
    asa_emergency = forms.BooleanField(label="Emergency (E)", required=False)
    mallampati = forms.ChoiceField(
        label="Mallampati", choices=[("", "—"), *Mallampati.choices], required=False
    )
    monitoring = forms.MultipleChoiceField(
        label="Monitoring",
        choices=Monitoring.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choice"}),
    )


class ContrastForm(forms.Form):
    contrast_agent = forms.CharField(label="Agent", required=False, max_length=100)
    contrast_ml = forms.CharField(
        label="Volume (ml)",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "short"}),
    )
    contrast_route = forms.ChoiceField(
        label="Route",
        choices=[("", "—"), *CONTRAST_ROUTE_GIVEN_CHOICES],
        required=False,
    )


class FindingsForm(forms.Form):
    findings = forms.CharField(
        label="Findings", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    intra_procedure_events = forms.CharField(
        label="Intra-procedure events",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything unexpected; record adverse events below as well.",
    )


class OutcomeForm(forms.Form):
    technical_success = forms.ChoiceField(
        label="Technical success", choices=Success.choices, required=False
    )
    technical_success_note = forms.CharField(label="Note", required=False, max_length=500)
    clinical_success = forms.ChoiceField(
        label="Clinical success", choices=Success.choices, required=False
    )
    clinical_success_note = forms.CharField(label="Clinical note", required=False, max_length=500)

    def __init__(self, *args, procedure_type=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if procedure_type is not None:
            self.fields[
                "technical_success"
            ].help_text = f"Definition: {procedure_type.technical_success_definition}"
            self.fields[
                "clinical_success"
            ].help_text = f"Definition: {procedure_type.clinical_success_definition}"


GROUP_FORMS: dict[str, tuple[str, type[forms.Form]]] = {
    "times": ("Times", TimesForm),
    "access": ("Access", AccessForm),
    "sedation": ("Sedation and monitoring", SedationForm),
    "contrast": ("Contrast", ContrastForm),
    "findings": ("Findings", FindingsForm),
    "outcome": ("Outcome", OutcomeForm),
}


class TeamForm(forms.Form):
    user_id = forms.TypedChoiceField(label="Staff member", coerce=int, choices=())
    role = forms.ChoiceField(label="Role", choices=TeamRole.choices)

    def __init__(self, *args, staff=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["user_id"]).choices = [
            (u.pk, f"{u} ({u.role_label})") for u in staff
        ]


class SedationAgentForm(forms.Form):
    agent = forms.CharField(label="Agent", max_length=100)
    dose = forms.CharField(
        label="Dose", max_length=12, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit = forms.ChoiceField(
        label="Unit", choices=[(u, u) for u in ("mg", "mcg", "ml", "units", "mg/kg")]
    )


class DeviceForm(forms.Form):
    udi = forms.CharField(
        label="UDI (scan the barcode)",
        required=False,
        max_length=200,
        help_text="GS1: GTIN, expiry, lot and serial are read from it.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    device_type = forms.CharField(label="Device type", required=False, max_length=100)
    manufacturer = forms.CharField(label="Manufacturer", required=False, max_length=100)
    lot = forms.CharField(label="Lot", required=False, max_length=20)
    expiry = forms.DateField(
        label="Expiry", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    implanted = forms.BooleanField(label="Left in the patient (implanted)", required=False)
    in_situ_kind = forms.ChoiceField(label="Kind (if left in)", required=False, choices=())

    def __init__(self, *args, kinds=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["in_situ_kind"]).choices = [("", "—"), *kinds]


class SpecimenForm(forms.Form):
    label = forms.CharField(label="Label", max_length=100)
    specimen_type = forms.CharField(label="Specimen", required=False, max_length=100)
    sent_to = forms.ChoiceField(
        label="Sent to",
        choices=[
            (s, s) for s in ("Histopathology", "Cytology", "Microbiology", "Biochemistry", "Other")
        ],
    )
