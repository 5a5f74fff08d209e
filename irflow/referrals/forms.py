"""Referral and triage forms (parsing only: the services validate and decide)."""

from __future__ import annotations

from django import forms

from irflow.catalogue.models import ProcedureType
from irflow.lib.forms import TextForm
from irflow.orders.models import Laterality, Priority
from irflow.patients.models import Sex
from irflow.referrals import services
from irflow.referrals.attachments import KINDS
from irflow.web.forms import DateInput, add_problems

NEW_PATIENT_FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex")
ACCEPT = ",".join([e for *_, endings in KINDS for e in endings] + [k[1] for k in KINDS])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files; empty ones pass through so that the service refuses them by name."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(allow_empty_file=True, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def procedure_choices(blank: str) -> list:
    """Catalogue entries grouped by category, as (code, name)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for p in ProcedureType.objects.filter(active=True).order_by("category", "name"):
        groups.setdefault(p.get_category_display(), []).append((p.code, p.name))
    return [("", blank), *groups.items()]


def attachments_field() -> MultipleFileField:
    return MultipleFileField(
        label="Attachments",
        help_text="PDF, PNG or JPEG (letters, results, images); you can choose several.",
    )


class ReferralForm(TextForm):
    # One of the two says what is requested: neither label says "optional".
    REQUIRED_WHEN = {
        "procedure_code": "required, or describe it",
        "requested_procedure_text": "required if not in the list",
    }

    # The patient: chosen beforehand (patient_id) or found/registered by MRN.
    patient_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # (In the order the page shows them: the summary of messages follows it.)
    mrn = forms.CharField(label="MRN", max_length=64, required=False)
    birth_date = forms.DateField(label="Date of birth", required=False, widget=DateInput())
    family_name = forms.CharField(label="Family name", max_length=100, required=False)
    given_name = forms.CharField(label="Given name", max_length=100, required=False)
    sex = forms.ChoiceField(choices=[("", "—"), *Sex.choices], required=False)
    clinical_question = forms.CharField(
        label="Clinical question",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What should IR answer or do?",
        max_length=4000,
    )
    procedure_code = forms.ChoiceField(label="Requested procedure", required=False)
    requested_procedure_text = forms.CharField(
        label="Or describe the procedure",
        required=False,
        max_length=200,
        help_text="If it is not in the list.",
    )
    laterality = forms.ChoiceField(choices=Laterality.choices, required=False)
    site = forms.CharField(label="Site or level", required=False, max_length=100)
    urgency = forms.ChoiceField(choices=Priority.choices, widget=forms.RadioSelect)
    relevant_history = forms.CharField(
        label="Relevant history",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Diagnosis, imaging, previous procedures.",
        max_length=8000,
    )
    medications = forms.CharField(
        label="Current medications",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, with dose and frequency (e.g. Apixaban 5 mg twice daily).",
        max_length=8000,
    )
    allergies = forms.CharField(
        label="Allergies and previous reactions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, with the reaction (e.g. Iodinated contrast — hives).",
        max_length=8000,
    )
    attachments = attachments_field()

    def __init__(
        self, *args, targets: dict | None = None, patient_chosen: bool = False, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        for name in NEW_PATIENT_FIELDS:
            self.fields[name].required = not patient_chosen
        self.fields["procedure_code"].choices = procedure_choices("— not in the catalogue —")  # type: ignore[attr-defined]
        if targets:
            self.fields["urgency"].choices = [  # type: ignore[attr-defined]
                (value, f"{label} (procedure within {targets[value]})")
                for value, label in Priority.choices
            ]

    def clean(self) -> dict:
        data = super().clean() or {}
        add_problems(
            self,
            services.referral_problems(
                clinical_question=data.get("clinical_question", ""),
                urgency=data.get("urgency", ""),
                procedure_chosen=bool(data.get("procedure_code")),
                requested_procedure_text=data.get("requested_procedure_text", ""),
                laterality=data.get("laterality", ""),
                patient_given=bool(data.get("patient_id")) or bool(self.new_patient()),
            ),
            aliases={"procedure_type": "procedure_code", "patient": "mrn"},
        )
        return data

    def new_patient(self) -> dict:
        data = self.cleaned_data
        return {f: data.get(f) for f in NEW_PATIENT_FIELDS if data.get(f)}


class AcceptForm(TextForm):
    procedure_code = forms.ChoiceField(
        label="Procedure",
        required=False,
        help_text="Required to order: the catalogue entry that will be done.",
    )
    priority = forms.ChoiceField(choices=Priority.choices)
    laterality = forms.ChoiceField(choices=Laterality.choices, required=False)
    site = forms.CharField(label="Site or level", required=False, max_length=100)
    note = forms.CharField(label="Note for the referrer", required=False, max_length=1000)

    def __init__(self, *args, ordering: bool = False, **kwargs) -> None:
        """`ordering`: the referral is accepted already and this form orders it, so the
        procedure is required (at triage it may be chosen later)."""
        super().__init__(*args, **kwargs)
        procedure = self.fields["procedure_code"]
        blank = "— choose —" if ordering else "— choose later —"
        procedure.choices = procedure_choices(blank)  # type: ignore[attr-defined]
        if ordering:
            procedure.required = True
            procedure.help_text = "The catalogue entry that will be done."


class ReasonForm(TextForm):
    """One text: the reason for declining, the question to ask, the note for the board."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, label: str = "Reason", required: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        self.fields["text"].required = required


class InformationForm(TextForm):
    # Words or files: one of the two.
    REQUIRED_WHEN = {
        "information": "required, or attach files",
        "attachments": "required if nothing is written",
    }

    information = forms.CharField(
        label="Information for IR",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=8000,
    )
    attachments = attachments_field()


class ReattachForm(TextForm):
    """ "Not the same patient": the right patient on record, or a new one with the right MRN."""

    patient_id = forms.IntegerField(
        label="The right patient on record: their number",
        required=False,
        min_value=1,
        help_text="As in the address of their chart (/patients/NUMBER/). Leave empty to "
        "register a new patient with the details below.",
    )
    mrn = forms.CharField(label="MRN of the new patient", max_length=64, required=False)
    family_name = forms.CharField(label="Family name", max_length=100, required=False)
    given_name = forms.CharField(label="Given name", max_length=100, required=False)
    birth_date = forms.DateField(label="Date of birth", required=False, widget=DateInput())
    sex = forms.ChoiceField(choices=[("", "—"), *Sex.choices], required=False)

    def new_patient(self) -> dict | None:
        """The new patient's details, unless the right record was chosen by its number."""
        data = self.cleaned_data
        details = {f: data.get(f) for f in NEW_PATIENT_FIELDS}
        if data.get("patient_id") or not any(details.values()):
            return None
        return details
