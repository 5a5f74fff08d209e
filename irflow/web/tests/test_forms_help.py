"""Forms that help: a field says "(optional)" only when it is, every message shows at the
first submit (beside its field and in a summary linking to it), help and messages are tied to
their input."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template.loader import render_to_string

from irflow.board.forms import DecisionForm
from irflow.board.services import MSG_PROCEDURE, MSG_RATIONALE, MSG_TREATMENT
from irflow.procedures.forms import DeviceForm
from irflow.referrals.forms import AcceptForm, InformationForm, ReferralForm
from irflow.referrals.services import MSG_PROCEDURE_REQUIRED
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


class Sample(forms.Form):
    name = forms.CharField(help_text="As on the wristband.")
    note = forms.CharField(required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


def label_of(html: str, field_id: str) -> str:
    match = re.search(rf'<label for="{field_id}">(.*?)</label>', html, re.S)
    assert match, f"no label for {field_id}"
    return match.group(1)


def tag_of(html: str, field_id: str) -> str:
    match = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{field_id}"[^>]*>', html)
    assert match, f"no input {field_id}"
    return match.group(0)


def test_help_and_messages_are_tied_to_their_input():
    html = render_to_string("web/_form.html", {"form": Sample()})
    name = tag_of(html, "id_name")
    assert 'aria-describedby="id_name_helptext"' in name
    assert 'id="id_name_helptext"' in html  # the element the input names exists
    assert "aria-invalid" not in name
    assert "(optional)" in label_of(html, "id_note") and "(optional)" not in label_of(
        html, "id_name"
    )

    bound = Sample({"note": "x"})
    html = render_to_string("web/_form.html", {"form": bound})
    name = tag_of(html, "id_name")
    assert 'aria-describedby="id_name_helptext id_name_error"' in name
    assert 'aria-invalid="true"' in name
    assert html.count('id="id_name_error"') == 1
    assert '<fieldset class="radios" aria-describedby="id_kind_error">' in html


def test_the_summary_links_every_message_to_its_field():
    bound = Sample({"note": "x"})
    bound.add_error(None, "The whole form is wrong.")
    html = render_to_string("web/_form.html", {"form": bound})
    summary = html.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert "3 things to correct" in summary
    assert "The whole form is wrong." in summary
    assert '<a href="#id_name">Name: This field is required.</a>' in summary
    assert '<a href="#id_kind_0">Kind: This field is required.</a>' in summary
    assert 'id="id_kind_0"' in html
    assert "data-error-summary" not in render_to_string("web/_form.html", {"form": Sample()})


def test_a_widget_that_names_its_own_description_keeps_help_and_messages(personas):
    form = DeviceForm({"device-udi": "x"}, prefix="device", check_url="/check/")
    html = render_to_string("web/_form.html", {"form": form})
    udi = tag_of(html, "id_device-udi")
    assert 'aria-describedby="id_device-udi_helptext device-check"' in udi
    device_type = tag_of(html, "id_device-device_type")
    assert 'aria-describedby="id_device-device_type_error"' in device_type
    assert "(optional)" not in label_of(html, "id_device-device_type")


def test_referral_procedure_is_not_optional_and_is_asked_at_once(client, personas):
    html = render_to_string("web/_form.html", {"form": ReferralForm()})
    assert "(required, or describe it)" in label_of(html, "id_procedure_code")
    assert "(required if not in the list)" in label_of(html, "id_requested_procedure_text")
    more = render_to_string("web/_form.html", {"form": InformationForm()})
    assert "(required, or attach files)" in label_of(more, "id_information")

    login(client, personas["referrer"])
    page = client.post("/referrals/new/", {"mrn": "P1"}).content.decode()
    # The form's messages and the service's, all at the first submit.
    assert MSG_PROCEDURE_REQUIRED in page
    for field in ("family_name", "clinical_question", "urgency", "procedure_code"):
        assert f'href="#id_{field}' in page, field
    assert 'value="P1"' in page  # what was typed survives


def test_accept_form_requires_the_procedure_only_when_it_orders():
    triage = render_to_string("web/_form.html", {"form": AcceptForm()})
    assert "(optional)" in label_of(triage, "id_procedure_code")
    order = render_to_string("web/_form.html", {"form": AcceptForm(ordering=True)})
    assert "(optional)" not in label_of(order, "id_procedure_code")
    assert not AcceptForm({"priority": "routine"}, ordering=True).is_valid()


def test_board_decision_says_when_treatment_is_required_and_asks_everything_at_once():
    html = render_to_string("web/_form.html", {"form": DecisionForm()})
    assert "(required for a treatment)" in label_of(html, "id_recommended_treatment")
    assert "(required for IR treatment)" in label_of(html, "id_procedure_code")
    form = DecisionForm({"decision": "ir_treatment", "priority": "routine"})
    assert not form.is_valid()
    assert form.errors["recommended_treatment"] == [MSG_TREATMENT]
    assert form.errors["procedure_code"] == [MSG_PROCEDURE]
    assert form.errors["rationale"] == ["This field is required."]
    other = DecisionForm({"decision": "defer", "priority": "routine", "rationale": "CT first."})
    assert other.is_valid(), other.errors
    assert MSG_RATIONALE  # the service's own message for the API
