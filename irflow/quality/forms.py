"""The dashboard's filters: in the address, so a filtered dashboard can be shared."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django import forms
from django.utils import timezone

from irflow.accounts.models import User
from irflow.catalogue.models import ProcedureType, Room
from irflow.lib.forms import TextForm
from irflow.orders.models import Priority
from irflow.quality.selectors import Filters
from irflow.scheduling.models import Booking
from irflow.web.forms import DateInput

MSG_END_BEFORE_START = "The end date must not be before the start date."


class FilterForm(TextForm):
    start = forms.DateField(label="From", required=False, widget=DateInput())
    end = forms.DateField(label="To", required=False, widget=DateInput())
    procedure = forms.ChoiceField(label="Procedure", required=False)
    operator = forms.ChoiceField(label="Operator", required=False)
    room = forms.ChoiceField(label="Room", required=False)
    urgency = forms.ChoiceField(
        label="Urgency", required=False, choices=[("", "Any"), *Priority.choices]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._choice("procedure").choices = [
            ("", "Any"),
            *ProcedureType.objects.order_by("name").values_list("code", "name"),
        ]
        operators = User.objects.filter(
            pk__in=Booking.objects.filter(primary_operator__isnull=False)
            .values("primary_operator_id")
            .distinct()
        ).order_by("last_name", "first_name", "username")
        self._choice("operator").choices = [
            ("", "Any"),
            *((str(u.pk), str(u)) for u in operators),
            ("none", "No operator recorded"),
        ]
        self._choice("room").choices = [
            ("", "Any"),
            *(
                (str(pk), name)
                for pk, name in Room.objects.order_by("name").values_list("pk", "name")
            ),
        ]

    def _choice(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", MSG_END_BEFORE_START)
        return data

    def filters(self) -> Filters:
        """The filters asked for; the last 365 days when no dates (or invalid ones) are given."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return Filters(
            start=data.get("start") or today - timedelta(days=365),
            end=data.get("end") or today,
            procedure=data.get("procedure") or "",
            operator=data.get("operator") or "",
            room=int(data["room"]) if data.get("room") else None,
            urgency=data.get("urgency") or "",
        )
