"""Forms of outcomes: an adverse event, and the outcome of a follow-up call or visit."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from irflow.clinical import grade_system
from irflow.clinical.grading import FACTS, suggest
from irflow.lib.forms import TextForm
from irflow.outcomes.models import (
    AeOutcome,
    Attribution,
    ContactKind,
    Detection,
    ImagingResponse,
    NormalActivity,
)
from irflow.web.forms import DateTimeInput

SYSTEM_TITLES = {"sir-2017": "SIR 2017", "sir-legacy": "Legacy SIR", "cirse-2017": "CIRSE"}
MSG_SEE_ABOVE = "Disagrees with another entry: see above."
GRADE_FIELDS = (
    ("sir_grade", "sir-2017", False),
    ("legacy_sir_class", "sir-legacy", True),
    ("cirse_grade", "cirse-2017", True),
)

SOURCES = {
    "sir-2017": "Khalilzadeh et al., JVIR 2017",
    "sir-legacy": "SIR, Sacks et al., JVIR 2003",
    "cirse-2017": "Filippiadis et al., CVIR 2017",
}


def _grades(system: str, optional: bool) -> list[tuple[str, str]]:
    choices = [(g.code, g.label) for g in grade_system(system).grades]
    return [("", "Not graded in this system"), *choices] if optional else choices


def _radios() -> forms.RadioSelect:
    return forms.RadioSelect()


class AdverseEventForm(TextForm):
    """An adverse event: the facts first, then the grades with their definitions beside them
    (nothing chosen in advance)."""

    REQUIRED_WHEN = {"grade_reason": "required when a grade differs from the facts"}

    onset_at = forms.DateTimeField(label="Onset", widget=DateTimeInput())
    detection = forms.ChoiceField(label="Detected", choices=Detection.choices)
    description = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 2}))
    therapy = forms.ChoiceField(label="Therapy the event needed", widget=_radios())
    care_level = forms.ChoiceField(label="Level of care", widget=_radios())
    hospital_stay = forms.ChoiceField(label="Hospital stay caused or prolonged", widget=_radios())
    life_threatening = forms.ChoiceField(label="Threat to life", widget=_radios())
    sequelae = forms.ChoiceField(label="Permanent sequelae", widget=_radios())
    sir_grade = forms.ChoiceField(label="SIR 2017 grade", choices=(), widget=_radios())
    legacy_sir_class = forms.ChoiceField(
        label="Legacy SIR class", choices=(), required=False, widget=_radios()
    )
    cirse_grade = forms.ChoiceField(
        label="CIRSE grade", choices=(), required=False, widget=_radios()
    )
    grade_reason = forms.CharField(
        label="Reason for a grade the facts do not give",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attribution = forms.ChoiceField(label="Attributed to", choices=Attribution.choices)
    management = forms.CharField(
        label="Management", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.ChoiceField(label="Outcome", choices=AeOutcome.choices)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, system, optional in GRADE_FIELDS:
            cast(forms.ChoiceField, self.fields[name]).choices = _grades(system, optional)
        for fact in FACTS:
            field = cast(forms.ChoiceField, self.fields[fact.name])
            field.choices = [(c.code, c.label) for c in fact.choices]
        outcome = cast(forms.ChoiceField, self.fields["outcome"])
        outcome.choices = [("", "—"), *AeOutcome.choices]

    def shared_errors_once(self) -> None:
        """A contradiction names every field involved with the same sentence: say it once
        above the form and point each field at it."""
        counts: dict[str, int] = {}
        for errors in self.errors.values():
            for message in map(str, errors):
                counts[message] = counts.get(message, 0) + 1
        shared = [m for m, n in counts.items() if n > 1]
        if not shared:
            return
        for name, errors in list(self.errors.items()):
            said = [str(m) for m in errors]
            if name != "__all__" and any(m in shared for m in said):
                kept = [m for m in said if m not in shared]
                self.errors[name] = self.error_class([*kept, MSG_SEE_ABOVE])
        above = [str(m) for m in self.errors.get("__all__", [])]
        self.errors["__all__"] = self.error_class([*above, *shared], error_class="nonfield")

    def suggestions(self) -> list[dict]:
        """The grades the facts typed so far give, per system (all grades while unknown)."""
        data = self.data if self.is_bound else {}
        facts = {f.name: data.get(self.add_prefix(f.name), "") for f in FACTS}
        found = suggest(facts, data.get(self.add_prefix("outcome"), ""))
        return [s.to_dict() | {"title": SYSTEM_TITLES[s.system]} for s in found.values()]

    def fact_rows(self) -> list[tuple[forms.BoundField, list[tuple[Any, str]]]]:
        """Each fact with its radios and the hint beside each choice."""
        return [
            (self[f.name], list(zip(self[f.name], [c.hint for c in f.choices], strict=True)))
            for f in FACTS
        ]

    def grade_rows(self) -> list[tuple[forms.BoundField, str, str, list[tuple[Any, str]]]]:
        """Each grade system with its radios and the definition beside each grade, its source
        in short and in full."""
        rows = []
        for name, system, optional in GRADE_FIELDS:
            gs = grade_system(system)
            words = [""] * optional + [g.description for g in gs.grades]
            short = SOURCES[system]
            if not gs.grades[0].description_verified:
                short += "; wording not verified against the paper"
            rows.append((self[name], short, gs.source, list(zip(self[name], words, strict=True))))
        return rows


class VisitOutcomeForm(TextForm):
    contact = forms.ChoiceField(label="Contact", choices=ContactKind.choices)
    pain_score = forms.CharField(
        label="Pain score (NRS 0–10)",
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "short"}),
    )
    symptoms = forms.CharField(
        label="Symptoms", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    imaging_response = forms.ChoiceField(
        label="Imaging response", choices=ImagingResponse.choices, required=False
    )
    normal_activity = forms.ChoiceField(
        label="Return to normal activity", choices=NormalActivity.choices, required=False
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
