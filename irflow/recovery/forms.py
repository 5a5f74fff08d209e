"""Forms of the recovery page."""

from __future__ import annotations

from django import forms

from irflow.clinical.discharge import item_choices, item_label
from irflow.lib.forms import TextForm
from irflow.recovery.models import Consciousness, Disposition
from irflow.web.forms import DateTimeInput


def _number(label: str, size: str = "short", **attrs: str) -> forms.CharField:
    # Text, not a number field: the service's refusal of an implausible value is what is shown.
    return forms.CharField(
        label=label,
        required=False,
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "class": size, "autocomplete": "off", **attrs}
        ),
    )


def _item(name: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=item_label(name),
        required=False,
        choices=[("", "—"), *((str(p), f"{p} {words}") for p, words in item_choices(name))],
    )


class VitalsForm(TextForm):
    """One set of vital signs, in the order a nurse reads them off the monitor; Enter saves."""

    recorded_at = forms.DateTimeField(label="Time", required=False, widget=DateTimeInput())
    heart_rate_bpm = _number("Pulse /min")
    systolic_mmhg = _number("BP systolic")
    diastolic_mmhg = _number("BP diastolic")
    spo2_pct = _number("SpO2 %")
    on_oxygen = forms.BooleanField(label="On O2", required=False)
    resp_rate_per_min = _number("Resp. /min")
    temperature_c = _number("Temp. °C")
    consciousness = forms.ChoiceField(
        label="AVPU", required=False, choices=[("", "—"), *Consciousness.choices]
    )
    pain_nrs = _number("Pain NRS")
    activity = _item("activity")
    respiration = _item("respiration")
    ambulation = _item("ambulation")
    nausea = _item("nausea")
    bleeding = _item("bleeding")

    VITALS = (
        "recorded_at",
        "heart_rate_bpm",
        "systolic_mmhg",
        "diastolic_mmhg",
        "spo2_pct",
        "on_oxygen",
        "resp_rate_per_min",
        "temperature_c",
        "consciousness",
        "pain_nrs",
    )
    ITEMS = ("activity", "respiration", "ambulation", "nausea", "bleeding")

    def rows(self) -> list[list[forms.BoundField]]:
        """The vital signs on one row, the score items on the next."""
        return [[self[name] for name in self.VITALS], [self[name] for name in self.ITEMS]]


class PainForm(TextForm):
    # Text, not a number field: the service's refusal of 11 or -1 is the message shown.
    score = forms.CharField(
        label="Pain score (NRS 0–10)",
        max_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "class": "short", "autocomplete": "off"}
        ),
    )
    recorded_at = forms.DateTimeField(
        label="Time of the score", required=False, widget=DateTimeInput()
    )
    note = forms.CharField(label="Note", required=False, max_length=200)


class NotesForm(TextForm):
    baseline_systolic_mmhg = _number("Pre-procedure systolic BP (mmHg)")
    baseline_heart_rate_bpm = _number("Pre-procedure pulse (/min)")
    observations = forms.CharField(
        label="Observations summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Puncture site, mobilisation, eating and drinking (vital signs: above).",
    )
    discharge_instructions = forms.CharField(
        label="Discharge instructions (printed for the patient)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class DischargeForm(TextForm):
    """Where the patient goes (nothing chosen in advance) and when."""

    REQUIRED_WHEN = {"admitted_to": "required when admitted"}

    disposition = forms.ChoiceField(
        label="Discharge", choices=Disposition.choices, widget=forms.RadioSelect
    )
    admitted_to = forms.CharField(label="Admitted to (ward)", required=False, max_length=100)
    discharged_at = forms.DateTimeField(label="Discharge time", widget=DateTimeInput())
