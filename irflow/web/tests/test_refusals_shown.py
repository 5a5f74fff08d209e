"""refusals_shown: a view runs a service call under it; a refusal lands on the form or in the
messages, NotFound and Forbidden go on to the middleware (the 404 and 403 pages)."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import constants, get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from irflow.lib.errors import Conflict, Forbidden, NotFound, ServiceError, ValidationFailed
from irflow.web.forms import refusals_shown


class DischargeForm(forms.Form):
    disposition = forms.CharField()
    procedure_code = forms.CharField(required=False)


def posted_form() -> DischargeForm:
    form = DischargeForm({"disposition": "home", "procedure_code": "IR-1"})
    assert form.is_valid()
    return form


def request_with_messages():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    return request


def shown(request) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(request)]


def test_a_call_that_goes_through_is_ok_and_shows_nothing():
    form, request = posted_form(), request_with_messages()
    with refusals_shown(form=form) as outcome:
        pass
    assert outcome.ok and outcome.error is None
    assert form.errors == {}
    with refusals_shown(request=request) as outcome:
        pass
    assert outcome.ok
    assert shown(request) == []


def test_field_messages_go_beside_their_fields_others_on_top():
    form = posted_form()
    refusal = ValidationFailed({"disposition": ["Not after midnight."], "ward": "Full."})
    with refusals_shown(form=form) as outcome:
        raise refusal
    assert not outcome.ok and outcome.error is refusal
    assert form.errors["disposition"] == ["Not after midnight."]
    assert form.non_field_errors() == ["Full."]


def test_a_refusal_that_is_not_about_a_field_goes_on_top_of_the_form():
    form = posted_form()
    with refusals_shown(form=form) as outcome:
        raise Conflict("The patient was discharged already.")
    assert isinstance(outcome.error, Conflict)
    assert form.non_field_errors() == ["The patient was discharged already."]
    assert list(form.errors) == ["__all__"]


def test_aliases_put_the_service_field_beside_the_form_field():
    form = posted_form()
    with refusals_shown(form=form, aliases={"procedure_type": "procedure_code"}):
        raise ValidationFailed({"procedure_type": ["Unknown procedure."]})
    assert form.errors == {"procedure_code": ["Unknown procedure."]}


def test_without_a_form_the_refusal_is_an_error_message_for_the_next_page():
    request = request_with_messages()
    with refusals_shown(request=request) as outcome:
        raise Conflict("Already signed.")
    assert not outcome.ok
    assert shown(request) == [(constants.ERROR, "Already signed.")]


def test_with_neither_the_refusal_is_only_kept_for_the_view():
    with refusals_shown() as outcome:
        raise ValidationFailed({"reason": "Give a reason."})
    assert isinstance(outcome.error, ValidationFailed)
    assert outcome.error.errors == {"reason": ["Give a reason."]}


@pytest.mark.parametrize("error", [NotFound("No such booking."), Forbidden("Not your role.")])
def test_not_found_and_forbidden_go_on_to_the_middleware(error: ServiceError):
    form, request = posted_form(), request_with_messages()
    with pytest.raises(type(error)) as raised, refusals_shown(form=form):
        raise error
    assert raised.value is error
    assert form.errors == {}
    with pytest.raises(type(error)), refusals_shown(request=request):
        raise error
    assert shown(request) == []


def test_anything_but_a_service_error_is_not_caught():
    form = posted_form()
    with pytest.raises(ValueError), refusals_shown(form=form):
        raise ValueError("a bug, not a refusal")
    assert form.errors == {}


def test_a_form_or_a_request_not_both():
    with (
        pytest.raises(TypeError),
        refusals_shown(form=posted_form(), request=request_with_messages()),
    ):
        pass
