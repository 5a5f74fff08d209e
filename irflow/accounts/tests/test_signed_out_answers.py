"""What a request gets when its session has ended: htmx requests a marker and no page, forms
the sign-in page with a note, the API its JSON."""

from __future__ import annotations

import time

import pytest
from django.contrib.messages import get_messages
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts.middleware import AUTH_HEADER, MSG_IDLE, MSG_NOT_SAVED
from irflow.testing.fixtures import PASSWORD, login

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _expire(client, settings) -> None:
    session = client.session
    session["last_seen"] = int(time.time()) - settings.IRFLOW_IDLE_TIMEOUT_S - 5
    session.save()


def test_htmx_request_without_a_session_gets_401_and_no_page(client):
    response = client.get("/scheduling/today/", headers=HTMX)
    assert response.status_code == 401
    assert response[AUTH_HEADER] == "signed-out"
    assert response.content == b""
    assert "Location" not in response


def test_ordinary_request_without_a_session_is_sent_to_sign_in(client):
    response = client.get("/scheduling/today/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/scheduling/today/"
    assert AUTH_HEADER not in response


def test_htmx_request_after_the_idle_timeout_gets_401(client, settings, attending):
    login(client, attending)
    client.get("/")
    _expire(client, settings)
    response = client.get("/scheduling/today/", headers=HTMX)
    assert response.status_code == 401
    assert response[AUTH_HEADER] == "signed-out"
    assert "_auth_user_id" not in client.session
    # The page says why in its dialog; no stale note waits for the next page.
    assert MSG_IDLE.format(minutes=15) not in [str(m) for m in get_messages(response.wsgi_request)]


def test_htmx_post_after_the_idle_timeout_gets_401(client, settings, attending):
    login(client, attending)
    client.get("/")
    _expire(client, settings)
    response = client.post("/recovery/1/notes/", {"notes-observations": "x"}, headers=HTMX)
    assert response.status_code == 401
    assert response[AUTH_HEADER] == "signed-out"


def test_htmx_request_waiting_for_the_second_factor_gets_401(client, attending):
    TOTPDevice.objects.create(user=attending, name="phone", confirmed=True)
    client.post("/accounts/login/", {"username": "attending", "password": PASSWORD})
    assert client.get("/scheduling/today/").url.startswith("/accounts/2fa/verify/")
    response = client.get("/scheduling/today/", headers=HTMX)
    assert response.status_code == 401
    assert response[AUTH_HEADER] == "signed-out"


def test_htmx_request_with_a_stale_csrf_token_gets_403_marker(csrf_client, attending):
    login(csrf_client, attending)
    response = csrf_client.post(
        "/scheduling/today/", {}, headers={**HTMX, "X-CSRFToken": "stale" * 8}
    )
    assert response.status_code == 403
    assert response[AUTH_HEADER] == "csrf"
    assert response.content == b""


def test_ordinary_post_with_a_bad_csrf_token_gets_djangos_page(csrf_client, attending):
    login(csrf_client, attending)
    response = csrf_client.post("/patients/new/", {"mrn": "X"})
    assert response.status_code == 403
    assert AUTH_HEADER not in response
    assert "CSRF verification failed" in response.content.decode()


def test_form_posted_after_the_session_ended_says_it_was_not_saved(client, settings, attending):
    login(client, attending)
    client.get("/")
    _expire(client, settings)
    response = client.post(
        "/patients/new/",
        {"mrn": "N1", "family_name": "Lost"},
        headers={"Referer": "http://testserver/patients/new/?from=chart"},
    )
    # Back to the form it came from after signing in, not to the address it posted to.
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Fpatients%2Fnew%2F%3Ffrom%3Dchart"
    page = client.get(response.url).content.decode()
    assert MSG_NOT_SAVED.split(",")[0] in page


def test_form_posted_without_a_session_keeps_a_foreign_referer_out(client):
    response = client.post("/patients/new/", {}, headers={"Referer": "https://evil.example/x"})
    assert response.url == "/accounts/login/?next=/patients/new/"


def test_api_keeps_its_json_answers(client, settings, attending, csrf_client):
    response = client.get("/api/patients", headers=HTMX)
    assert response.status_code == 401
    assert response.json()["detail"]
    login(client, attending)
    client.get("/")
    _expire(client, settings)
    idle = client.get("/api/patients", headers=HTMX)
    assert idle.status_code == 401 and idle.json()["code"] == "idle"
    login(csrf_client, attending)
    refused = csrf_client.post(
        "/api/patients", data="{}", content_type="application/json", headers=HTMX
    )
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/json")
