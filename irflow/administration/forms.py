"""The administration forms. Structured fields (follow-up rules, the report template, device
defaults) are typed as text and parsed here with a message that names the line or the problem;
the services check every value again."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from irflow.catalogue.models import (
    CATEGORY_CHOICES,
    BleedingRisk,
    Capability,
    Modality,
    Room,
    RoomKind,
)
from irflow.catalogue.services import COMPLETION_REQUIREMENTS
from irflow.clinical.inputs import SEDATION_LEVELS
from irflow.clinical.vocabulary import SEDATION_LABELS
from irflow.dicom.charset import LATIN1, RESPONSE_CHARSETS
from irflow.dicomserver.models import CHARSET_LABELS
from irflow.followup.models import FollowUpKind
from irflow.lib.choices import choices
from irflow.lib.forms import TextForm
from irflow.orders.models import Priority
from irflow.readiness.forms import LetterheadForm
from irflow.reports.structure import FIELD_TYPES
from irflow.web.forms import DateTimeInput

WEEKDAY_CHOICES = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
]
MSG_PASSWORDS_DIFFER = "The two passwords differ: type the same password twice."
MSG_JSON = "This is not valid JSON (line {line}, column {column}: {problem})."
MSG_RULE_LINE = (
    "Line {n}: write “kind, days after the procedure, description”, e.g. "
    "“clinic, 42, Vascular clinic with ABPI”."
)
MSG_RULE_KIND = "Line {n}: “{kind}” is not a kind of follow-up ({known})."
MSG_FIELD_TYPE = "Field “{key}” has the type “{kind}”; use one of: {known}."


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


def _checkboxes(label: str, options: list[tuple[Any, str]], **kwargs) -> forms.Field:
    return forms.MultipleChoiceField(
        label=label, choices=options, widget=forms.CheckboxSelectMultiple, **kwargs
    )


class FirstAdministratorForm(TextForm):
    username = forms.CharField(
        max_length=150,
        help_text="What you type to sign in (letters, digits and @ . + - _).",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    display_name = forms.CharField(
        label="Your name",
        max_length=200,
        help_text="As colleagues see it, e.g. “Alex Morgan (IR lead)”.",
    )
    email = forms.EmailField(label="Email", required=False)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters; not a common password, not all digits.",
    )
    password_again = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", MSG_PASSWORDS_DIFFER)
        return data


class RoomForm(TextForm):
    name = forms.CharField(max_length=100, help_text="As the team calls it, e.g. “Angio suite 1”.")
    code = forms.CharField(max_length=20, help_text="Short and unique, e.g. ANGIO1.")
    kind = forms.ChoiceField(choices=RoomKind.choices)
    modality = forms.ChoiceField(label="Main modality", choices=Modality.choices)
    modalities = _checkboxes("Other modalities", Modality.choices, required=False)
    capabilities = _checkboxes("Capabilities", Capability.choices, required=False)
    station_ae_title = forms.CharField(
        label="DICOM station AE title",
        max_length=16,
        required=False,
        help_text="The AE title of the modality in this room: its worklist shows this "
        "room's bookings.",
    )
    opens_at = forms.TimeField(label="Opens at", widget=TimeInput(), initial="08:00")
    closes_at = forms.TimeField(label="Closes at", widget=TimeInput(), initial="18:00")
    open_weekdays = forms.TypedMultipleChoiceField(
        label="Open on",
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[1, 2, 3, 4, 5],
    )
    active = forms.BooleanField(
        label="In use", required=False, initial=True, help_text="A room not in use is never booked."
    )


class ClosureForm(TextForm):
    starts_at = forms.DateTimeField(label="Closed from", widget=DateTimeInput())
    ends_at = forms.DateTimeField(label="Until", widget=DateTimeInput())
    reason = forms.CharField(
        max_length=200, help_text="Shown to whoever tries to book, e.g. “Tube replacement”."
    )


def _json_field(value: str, empty: Any) -> Any:
    text = value.strip()
    if not text:
        return empty
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            MSG_JSON.format(line=exc.lineno, column=exc.colno, problem=exc.msg)
        ) from exc


def follow_up_text(rules: list[dict]) -> str:
    """The follow-up rules as the form shows them: one “kind, days, description” a line."""
    return "\n".join(
        f"{r.get('kind', '')}, {r.get('after_days', '')}, {r.get('description', '')}" for r in rules
    )


class ProcedureTypeForm(TextForm):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=20, help_text="The local procedure code, unique.")
    category = forms.ChoiceField(choices=CATEGORY_CHOICES)
    modality = forms.ChoiceField(
        label="Main guidance modality",
        choices=Modality.choices,
        help_text="Rooms that offer it (or one of the others) can host the procedure.",
    )
    other_modalities = _checkboxes("Other guidance modalities", Modality.choices, required=False)
    needs = _checkboxes(
        "The room must also offer",
        Capability.choices,
        required=False,
    )
    bleeding_risk = forms.ChoiceField(label="Bleeding-risk category", choices=BleedingRisk.choices)
    bleeding_risk_note = forms.CharField(
        label="Bleeding-risk note",
        max_length=300,
        required=False,
        help_text="Why, in a line (shown beside the category).",
    )
    default_duration_min = forms.IntegerField(
        label="Usual duration (minutes)", min_value=5, max_value=720
    )
    shortest_duration_min = forms.IntegerField(
        label="Shortest slot (minutes)",
        min_value=5,
        max_value=720,
        required=False,
        help_text="Bookable below the usual duration with a stated reason. Empty: half of it.",
    )
    default_sedation = forms.ChoiceField(
        label="Usual sedation",
        choices=choices(SEDATION_LEVELS, SEDATION_LABELS),
        initial="moderate",
    )
    arterial_access = forms.BooleanField(label="Arterial access", required=False)
    uses_contrast = forms.BooleanField(label="Uses contrast", required=False, initial=True)
    completion_requires = _checkboxes(
        "Required before the procedure is completed",
        list(COMPLETION_REQUIREMENTS.items()),
        required=False,
        initial=["technical_success"],
    )
    technical_success_definition = forms.CharField(
        label="Technical success means", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    clinical_success_definition = forms.CharField(
        label="Clinical success means", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up_rules = forms.CharField(
        label="Follow-up rules",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line: kind, days after the procedure, description — e.g. “imaging, 30, "
        "CT liver”. Kinds: " + ", ".join(FollowUpKind.values) + ".",
    )
    report_template = forms.CharField(
        label="Report template (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="“sections” (key, label, required) and “fields” (key, label, type: "
        + ", ".join(FIELD_TYPES)
        + "). Empty: the generic template.",
    )
    device_defaults = forms.CharField(
        label="Device defaults (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="Devices the procedure places (“places”) or removes (“removes”).",
    )
    active = forms.BooleanField(
        label="Offered",
        required=False,
        initial=True,
        help_text="Withdrawn procedures stay in past records but cannot be ordered.",
    )

    def clean_follow_up_rules(self) -> list[dict]:
        rules = []
        for n, line in enumerate(self.cleaned_data["follow_up_rules"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(",", 2)]
            if len(parts) != 3 or not parts[1].isdigit() or not parts[2]:
                raise forms.ValidationError(MSG_RULE_LINE.format(n=n))
            if parts[0] not in FollowUpKind.values:
                raise forms.ValidationError(
                    MSG_RULE_KIND.format(n=n, kind=parts[0], known=", ".join(FollowUpKind.values))
                )
            rules.append({"kind": parts[0], "after_days": int(parts[1]), "description": parts[2]})
        return rules

    def clean_report_template(self) -> dict:
        template = _json_field(self.cleaned_data["report_template"], {})
        if isinstance(template, dict):
            for item in template.get("fields", []) or []:
                kind = item.get("type", "text") if isinstance(item, dict) else "text"
                if kind not in FIELD_TYPES:
                    raise forms.ValidationError(
                        MSG_FIELD_TYPE.format(
                            key=item.get("key", "?"), kind=kind, known=", ".join(FIELD_TYPES)
                        )
                    )
        return template

    def clean_device_defaults(self) -> dict:
        return _json_field(self.cleaned_data["device_defaults"], {})

    def service_values(self) -> dict[str, Any]:
        """The cleaned form as `procedure_type_save` takes it."""
        data = dict(self.cleaned_data)
        data["modalities"] = [data.pop("modality"), *data.pop("other_modalities")]
        return data

    @staticmethod
    def initial_from(procedure) -> dict[str, Any]:
        modalities = list(procedure.modalities or [])
        return {
            **{
                f: getattr(procedure, f)
                for f in (
                    "name",
                    "code",
                    "category",
                    "needs",
                    "bleeding_risk",
                    "bleeding_risk_note",
                    "default_duration_min",
                    "shortest_duration_min",
                    "default_sedation",
                    "arterial_access",
                    "uses_contrast",
                    "completion_requires",
                    "technical_success_definition",
                    "clinical_success_definition",
                    "active",
                )
            },
            "modality": modalities[0] if modalities else Modality.XA,
            "other_modalities": modalities[1:],
            "follow_up_rules": follow_up_text(procedure.follow_up_rules or []),
            "report_template": json.dumps(procedure.report_template, indent=2)
            if procedure.report_template
            else "",
            "device_defaults": json.dumps(procedure.device_defaults)
            if procedure.device_defaults
            else "",
        }


class DepartmentForm(LetterheadForm):
    """The letterhead (one source: the site policy's row) and the logo."""

    logo = forms.FileField(
        label="Logo",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text="PNG or JPEG, at most 512 KB; printed at the top of letters.",
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)


class UrgencyTargetsForm(TextForm):
    """Triage and procedure targets for each urgency, in hours."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for urgency, label in Priority.choices:
            self.fields[f"{urgency}_triage"] = forms.IntegerField(
                label=f"{label}: triage within (hours)", min_value=1, max_value=8760
            )
            self.fields[f"{urgency}_procedure"] = forms.IntegerField(
                label=f"{label}: procedure within (hours)", min_value=1, max_value=8760
            )

    def targets(self) -> dict[str, tuple[int, int]]:
        data = self.cleaned_data
        return {u: (data[f"{u}_triage"], data[f"{u}_procedure"]) for u in Priority.values}

    @staticmethod
    def aliases() -> dict[str, str]:
        """The service's names of the fields -> this form's."""
        names = {}
        for u in Priority.values:
            names[f"{u}.triage_within_hours"] = f"{u}_triage"
            names[f"{u}.procedure_within_hours"] = f"{u}_procedure"
        return names


class RemoteAEForm(TextForm):
    ae_title = forms.CharField(
        label="AE title", max_length=16, help_text="The calling AE title the modality uses."
    )
    room: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Room.objects.none(),
        required=False,
        empty_label="No room",
        help_text="The room the modality stands in.",
    )
    host = forms.CharField(
        max_length=255,
        required=False,
        help_text="Host name or address it calls from. Empty: any address.",
    )
    charset = forms.ChoiceField(
        label="Character set",
        choices=[(t, CHARSET_LABELS[t]) for t in RESPONSE_CHARSETS],
        initial=LATIN1,
        help_text="What the modality understands (worklist answers are written in it).",
    )
    description = forms.CharField(max_length=200, required=False)
    active = forms.BooleanField(
        label="Active",
        required=False,
        initial=True,
        help_text="Inactive AEs are treated as unknown.",
    )
    may_query_worklist = forms.BooleanField(
        label="May query the worklist", required=False, initial=True
    )
    may_report_steps = forms.BooleanField(
        label="May report procedure steps (MPPS)", required=False, initial=True
    )
    may_send_dose_reports = forms.BooleanField(
        label="May send dose reports", required=False, initial=True
    )

    def __init__(self, *args, rooms=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["room"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = rooms
