"""Board forms (parsing only; the board services decide)."""

from __future__ import annotations

from django import forms

from irflow.board import services
from irflow.board.models import Decision
from irflow.lib.forms import TextForm
from irflow.orders.models import Laterality, Priority
from irflow.referrals.forms import procedure_choices
from irflow.web.forms import DateTimeInput, add_problems


class MeetingForm(TextForm):
    title = forms.CharField(max_length=200, help_text="e.g. Hepatobiliary MDT")
    held_at = forms.DateTimeField(label="Date and time", widget=DateTimeInput())
    location = forms.CharField(max_length=200, required=False)
    specialties = forms.CharField(
        max_length=1000,
        required=False,
        help_text="Separated by commas, e.g. Interventional radiology, Hepatobiliary surgery",
    )
    attendees = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="One per line: name, then specialty after a dash (Dr A. Okafor – IR).",
    )

    def clean_specialties(self) -> list[str]:
        return [s.strip() for s in self.cleaned_data["specialties"].split(",") if s.strip()]

    def clean_attendees(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.cleaned_data["attendees"].splitlines():
            for dash in ("–", "—", " - "):
                if dash in line:
                    name, specialty = line.split(dash, 1)
                    break
            else:
                name, specialty = line, ""
            if name.strip():
                rows.append((name.strip(), specialty.strip()))
        return rows


class DecisionForm(TextForm):
    REQUIRED_WHEN = {
        "recommended_treatment": "required for a treatment",
        "procedure_code": "required for IR treatment",
    }

    decision = forms.ChoiceField(choices=[("", "— choose —"), *Decision.choices])
    recommended_treatment = forms.CharField(
        label="Recommended treatment", max_length=300, required=False
    )
    procedure_code = forms.ChoiceField(
        label="IR procedure to order", required=False, help_text="Ordered at once."
    )
    priority = forms.ChoiceField(choices=Priority.choices)
    laterality = forms.ChoiceField(choices=Laterality.choices, required=False)
    site = forms.CharField(label="Site or level", max_length=100, required=False)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    agreed_by = forms.CharField(
        label="Agreed by", max_length=300, required=False, help_text="Names or specialties."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure_code"].choices = procedure_choices("—")  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean() or {}
        add_problems(
            self,
            services.decision_problems(
                decision=data.get("decision", ""),
                recommended_treatment=data.get("recommended_treatment", ""),
                rationale=data.get("rationale", ""),
                procedure_chosen=bool(data.get("procedure_code")),
            ),
            aliases={"procedure_type": "procedure_code"},
        )
        return data
