"""The reconciliation form: link an unscheduled procedure step to a booking or an order."""

from __future__ import annotations

from django import forms

from irflow.lib.forms import TextForm
from irflow.scheduling.models import Booking


class BookingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Booking) -> str:
        return obj.sps_id


class ReconcileForm(TextForm):
    # One of the two says what the step belongs to.
    REQUIRED_WHEN = {
        "booking": "required, or give an accession number",
        "accession_number": "required if no booking",
    }

    booking = BookingChoiceField(
        queryset=Booking.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        label="Booking",
        empty_label=None,
    )
    accession_number = forms.CharField(
        required=False,
        max_length=16,
        label="Or the accession number of an order",
        help_text="For a procedure that was never booked.",
    )
    note = forms.CharField(
        required=False,
        max_length=300,
        label="Note",
        help_text="Why this link is right, e.g. “emergency, registered as unknown patient”.",
    )

    def __init__(self, *args, bookings=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["booking"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Booking.objects.filter(pk__in=[b.pk for b in bookings])
