"""Forms of the procedure page: one per autosaved group, plus the quick-add forms.

The groups are declared once, in `groups.py`; the service validates with the same forms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone

from irflow.lib.forms import TextForm
from irflow.procedures import groups
from irflow.scheduling.models import TeamRole


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


class TimesForm(TextForm):
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
            for f in groups.fields_of("times")
            if getattr(record, f) is not None
        }

    def values(self) -> dict[str, Any]:
        tz = timezone.get_current_timezone()
        return {
            name: datetime.combine(self.day, value, tz) if value is not None else None
            for name, value in self.cleaned_data.items()
        }


class OutcomeForm(groups.OutcomeGroup):
    """The outcome group, with the procedure type's definitions of success beside it."""

    def __init__(self, *args, procedure_type=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if procedure_type is not None:
            self.fields[
                "technical_success"
            ].help_text = f"Definition: {procedure_type.technical_success_definition}"
            self.fields[
                "clinical_success"
            ].help_text = f"Definition: {procedure_type.clinical_success_definition}"


# The page's form for each group: the group's own declaration (groups.py), times asked as
# times of day and outcome with its definitions.
PAGE_FORMS: dict[str, type[forms.Form]] = {"times": TimesForm, "outcome": OutcomeForm}
GROUP_FORMS: dict[str, tuple[str, type[forms.Form]]] = {
    name: (title, PAGE_FORMS.get(name, form)) for name, (title, form) in groups.GROUPS.items()
}


class TeamForm(TextForm):
    user_id = forms.TypedChoiceField(label="Staff member", coerce=int, choices=())
    role = forms.ChoiceField(label="Role", choices=TeamRole.choices)

    def __init__(self, *args, staff=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["user_id"]).choices = [
            (u.pk, f"{u} ({u.role_label})") for u in staff
        ]


class SedationAgentForm(TextForm):
    agent = forms.CharField(label="Agent", max_length=100)
    dose = forms.CharField(
        label="Dose", max_length=12, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit = forms.ChoiceField(
        label="Unit", choices=[(u, u) for u in ("mg", "mcg", "ml", "units", "mg/kg")]
    )


class DeviceForm(TextForm):
    """A device used. The UDI field is the scanner's: what it reads fills the fields below
    as it is scanned (`check_url`, answered by the page's device check), and its Enter never
    submits the form (`data-scan`, irflow.js). Physicians also see why an expired device is
    used all the same (`may_override`)."""

    udi = forms.CharField(
        label="UDI (scan the barcode)",
        required=False,
        max_length=200,
        help_text="GS1 or HIBC: the product, lot, serial and expiry are read from it.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-scan": ""}
        ),
    )
    udi.barcode = True  # type: ignore[attr-defined]  # keeps the scanner's GS1 separator
    device_type = forms.CharField(label="Device type", max_length=100)
    manufacturer = forms.CharField(label="Manufacturer", required=False, max_length=100)
    lot = forms.CharField(label="Lot", required=False, max_length=20)
    serial = forms.CharField(label="Serial", required=False, max_length=20)
    expiry = forms.DateField(
        label="Expiry", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    implanted = forms.BooleanField(label="Left in the patient (implanted)", required=False)
    in_situ_kind = forms.ChoiceField(label="Kind (if left in)", required=False, choices=())
    expiry_override_reason = forms.CharField(
        label="Expired: why use it all the same",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A physician's decision, kept on the record with your name.",
    )

    def __init__(
        self, *args, kinds=(), may_override: bool = False, check_url: str = "", **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["in_situ_kind"]).choices = [("", "—"), *kinds]
        if not may_override:
            del self.fields["expiry_override_reason"]
        if check_url:
            # Read the scan as it comes (a scanner types fast, then Enter: irflow.js turns
            # that Enter into "scanned"), and the expiry when it is typed by hand.
            self.fields["udi"].widget.attrs.update(
                {
                    "hx-get": check_url,
                    "hx-trigger": "input changed delay:400ms, scanned",
                    "hx-include": "closest form",
                    "hx-target": "#device-check",
                    "hx-swap": "innerHTML",
                    "aria-describedby": "device-check",
                }
            )
            self.fields["expiry"].widget.attrs.update(
                {
                    "hx-get": check_url,
                    "hx-trigger": "change",
                    "hx-include": "closest form",
                    "hx-target": "#device-check",
                    "hx-swap": "innerHTML",
                }
            )

    def override_shown(self) -> bool:
        """The override reason shows once the device is known to be expired (or was typed)."""
        if "expiry_override_reason" not in self.fields or not self.is_bound:
            return False
        return bool(
            self.data.get(self.add_prefix("expiry_override_reason"))
            or "expiry" in self.errors
            or "expiry_override_reason" in self.errors
        )


class SpecimenForm(TextForm):
    label = forms.CharField(label="Label", max_length=100)
    specimen_type = forms.CharField(label="Specimen", required=False, max_length=100)
    sent_to = forms.ChoiceField(
        label="Sent to",
        choices=[
            (s, s) for s in ("Histopathology", "Cytology", "Microbiology", "Biochemistry", "Other")
        ],
    )
