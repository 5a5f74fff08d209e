"""While the database is away: the API answers JSON 503 with Retry-After, pages a calm 503
saying nothing was saved, and a sent form comes back with what was typed (never a password)."""

from __future__ import annotations

import pytest
from django.test import Client

from irflow.testing.fixtures import login
from irflow.testing.outage import database_away

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signed_in(attending) -> Client:
    return login(Client(raise_request_exception=False), attending)


def test_the_api_answers_json_503_with_retry_after(signed_in, patient):
    with database_away():
        response = signed_in.get(f"/api/patients/{patient.pk}")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert "nothing was saved" in body["detail"]


def test_an_api_write_with_a_token_gets_json_503_too(patient):
    from irflow.accounts.models import ApiToken

    token = f"{ApiToken.PREFIX}_abcdefgh_{'s' * 32}"  # looked up in the database
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    with database_away():
        response = client.patch(
            f"/api/patients/{patient.pk}", {"given_name": "X"}, content_type="application/json"
        )
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_a_page_answers_a_calm_503(signed_in, patient):
    with database_away():
        response = signed_in.get(f"/patients/{patient.pk}/")
    assert response.status_code == 503
    assert "text/html" in response["Content-Type"]
    assert response["Retry-After"]
    text = response.content.decode()
    assert "irflow cannot reach its database just now" in text
    assert "Try again" in text
    assert "Traceback" not in text and "Server Error" not in text


def test_a_sent_form_says_nothing_was_saved_and_keeps_what_was_typed(signed_in, patient):
    with database_away():
        response = signed_in.post(
            f"/patients/{patient.pk}/edit/",
            {"given_name": "Ann <Marie>", "notes": "line one\nline two", "password": "hunter2"},
        )
    assert response.status_code == 503
    text = response.content.decode()
    assert "Nothing was saved." in text
    assert "What you typed (not saved)" in text
    assert "Ann &lt;Marie&gt;" in text  # escaped, shown and kept for sending again
    assert 'name="given_name" value="Ann &lt;Marie&gt;"' in text
    assert "line one\nline two" in text
    assert "hunter2" not in text
    assert f'action="/patients/{patient.pk}/edit/"' in text


def test_the_sign_in_page_before_any_session_answers_503_too():
    client = Client(raise_request_exception=False)
    with database_away():
        response = client.get("/accounts/login/")
    assert response.status_code == 503
    assert "irflow cannot reach its database just now" in response.content.decode()


def test_other_errors_are_still_errors_not_outages(signed_in):
    # A missing page is a 404 and the API's own refusals keep their codes: only an outage
    # becomes 503.
    assert signed_in.get("/patients/999999/").status_code == 404
    assert signed_in.get("/api/patients/999999").status_code == 404
