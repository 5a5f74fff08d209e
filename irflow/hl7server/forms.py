"""The forms of the HL7 pages: the message filters, the cancel reason, a destination, a code
mapping. The services check every value again."""

from __future__ import annotations

from django import forms

from irflow.catalogue.models import ProcedureType
from irflow.hl7server.models import Destination, Inbound, Outbound
from irflow.lib.forms import TextForm


class InboundFilterForm(TextForm):
    q = forms.CharField(
        label="Patient or control id",
        required=False,
        max_length=100,
        help_text="A name (“smith jo”), an MRN or NHS number, PID-3 as sent, or MSH-10.",
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Inbound.choices]
    )


class OutboundFilterForm(TextForm):
    q = forms.CharField(
        label="Patient or control id",
        required=False,
        max_length=100,
        help_text="A name, an MRN or NHS number, or our MSH-10.",
    )
    destination = forms.TypedChoiceField(
        label="Destination", required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Outbound.choices]
    )

    def __init__(self, *args, destinations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["destination"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All destinations"), *((d.pk, d.name) for d in destinations)]


class CancelForm(TextForm):
    reason = forms.CharField(
        label="Why it is not to be sent",
        max_length=300,
        help_text="Kept with the message, e.g. “sent by hand to the ward”.",
    )


class DestinationForm(TextForm):
    name = forms.CharField(max_length=100, help_text="As the team calls it, e.g. “Hospital EHR”.")
    host = forms.CharField(max_length=255, help_text="Host name or IP address of its MLLP port.")
    port = forms.IntegerField(label="Port", min_value=1, max_value=65535)
    receiving_application = forms.CharField(
        label="Receiving application (MSH-5)", max_length=227, required=False
    )
    receiving_facility = forms.CharField(
        label="Receiving facility (MSH-6)", max_length=227, required=False
    )
    version = forms.ChoiceField(
        label="HL7 version",
        choices=Destination.Version.choices,
        initial=Destination.Version.V251,
        help_text="2.3.1 sends orders as ORM^O01, 2.5.1 as OMI^O23.",
    )
    charset = forms.ChoiceField(
        label="Character set (MSH-18)",
        choices=Destination.Charset.choices,
        initial=Destination.Charset.UTF8,
    )
    sends_results = forms.BooleanField(
        label="Results: ORU^R01 when a report is signed (addenda as corrections)",
        required=False,
        initial=True,
    )
    sends_orders = forms.BooleanField(label="Filler orders and their status", required=False)
    sends_schedules = forms.BooleanField(
        label="Schedules: SIU S12/S13/S15 on book, reschedule, cancel", required=False
    )
    include_pdf = forms.BooleanField(
        label="The report's PDF with each result (base64 in an ED OBX)", required=False
    )
    max_attempts = forms.IntegerField(
        label="Tries before a message shows as stuck",
        min_value=1,
        max_value=1000,
        initial=10,
        help_text="A stuck message is still retried; the interface page shows it in red.",
    )
    ack_timeout_s = forms.IntegerField(
        label="Wait for its ACK (seconds)", min_value=1, max_value=600, initial=30
    )
    active = forms.BooleanField(
        label="Active", required=False, initial=True, help_text="Nothing is sent while inactive."
    )

    FIELDS = (
        "name",
        "host",
        "port",
        "receiving_application",
        "receiving_facility",
        "version",
        "charset",
        "sends_results",
        "sends_orders",
        "sends_schedules",
        "include_pdf",
        "max_attempts",
        "ack_timeout_s",
        "active",
    )

    @classmethod
    def initial_from(cls, destination: Destination) -> dict:
        return {f: getattr(destination, f) for f in cls.FIELDS}


class ProcedureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProcedureType) -> str:
        return f"{obj.name} ({obj.code})"


class CodeMappingForm(TextForm):
    code = forms.CharField(label="Code (OBR-4.1)", max_length=100)
    text = forms.CharField(
        label="Text (OBR-4.2)", max_length=200, required=False, help_text="As the sender says it."
    )
    coding_system = forms.CharField(
        label="Coding system (OBR-4.3)",
        max_length=50,
        required=False,
        help_text="Empty: the code means this procedure in any coding system.",
    )
    sending_application = forms.CharField(
        label="Sender (MSH-3)",
        max_length=227,
        required=False,
        help_text="Empty: the code means this procedure from any sender.",
    )
    procedure_type = ProcedureChoiceField(
        label="Procedure of the catalogue", queryset=ProcedureType.objects.none()
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedure_type"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ProcedureType.objects.filter(active=True).order_by("name")

    def service_values(self) -> dict:
        data = dict(self.cleaned_data)
        procedure = data.pop("procedure_type")
        return {**data, "procedure_type_id": procedure.pk if procedure is not None else None}
