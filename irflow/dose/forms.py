"""Forms of the dose pages."""

from __future__ import annotations

from django import forms

from irflow.lib.forms import TextForm
from irflow.orders.models import Order
from irflow.web.forms import DateInput

MSG_ORDER_UNKNOWN = "No order has this accession number."


class LinkForm(TextForm):
    REQUIRED_WHEN = {"mismatch_reason": "required when the patient IDs differ"}

    accession_number = forms.CharField(
        label="Accession number of the procedure",
        max_length=16,
        help_text="As on the worklist or the order, e.g. IR00000123.",
    )
    mismatch_reason = forms.CharField(
        label="Reason to link despite the different patient ID",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the modality used another ID for this patient "
        "(e.g. an emergency registered under a temporary ID).",
    )
    mismatch = False

    def clean_accession_number(self) -> str:
        value = self.cleaned_data["accession_number"].strip().upper()
        order = Order.objects.filter(accession_number=value).only("pk").first()
        if order is None:
            raise forms.ValidationError(MSG_ORDER_UNKNOWN)
        self.order_id = order.pk
        return value

    order_id: int


class DateRangeForm(TextForm):
    start = forms.DateField(label="From", required=False, widget=DateInput())
    end = forms.DateField(label="To", required=False, widget=DateInput())
