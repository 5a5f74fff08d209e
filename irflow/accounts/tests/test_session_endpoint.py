"""The sign-in dialog's endpoint signs in by the sign-in page's rules."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts import signin
from irflow.accounts.views import MSG_OTHER_USER
from irflow.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/accounts/session/"


def _token(client) -> str:
    state = client.get(URL).json()
    assert state["csrf_token"]
    return state["csrf_token"]


def _sign_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post(
        URL,
        {"username": username, "password": password, **extra},
        headers={"X-CSRFToken": _token(client)},
    )


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_get_says_who_is_signed_in(csrf_client, attending):
    assert csrf_client.get(URL).json()["signed_in"] is False
    csrf_client.force_login(attending)
    state = csrf_client.get(URL).json()
    assert state["signed_in"] is True and state["username"] == "attending"
    assert state["name"] == str(attending)


def test_signs_in_the_same_user_and_returns_a_fresh_csrf_token(csrf_client, attending):
    before = _token(csrf_client)
    response = _sign_in(csrf_client, "attending", expected="attending")
    assert response.status_code == 200
    body = response.json()
    assert body["signed_in"] is True and body["same_user"] is True
    assert body["csrf_token"] != before
    assert csrf_client.session["_auth_user_id"] == str(attending.pk)
    # The new token is the one that works now.
    page = csrf_client.post(
        "/patients/new/", {"mrn": ""}, headers={"X-CSRFToken": body["csrf_token"]}
    )
    assert page.status_code != 403


def test_wrong_password_is_refused_with_the_field_message(csrf_client, attending):
    response = _sign_in(csrf_client, "attending", "not my password")
    assert response.status_code == 422
    assert response.json()["errors"] == {"password": [signin.MSG_SIGNIN_INVALID]}
    assert "_auth_user_id" not in csrf_client.session


def test_empty_fields_are_all_reported(csrf_client, attending):
    response = _sign_in(csrf_client, "", "")
    assert response.json()["errors"] == {
        "username": [signin.MSG_SIGNIN_USERNAME],
        "password": [signin.MSG_SIGNIN_PASSWORD],
    }


def test_lockout_applies_as_on_the_sign_in_page(csrf_client, settings, attending):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(csrf_client, "attending", "wrong").status_code == 422
    locked = _sign_in(csrf_client, "attending", "wrong")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked.json()["code"] == "locked"
    assert locked.json()["detail"] == signin.MSG_SIGNIN_LOCKED.format(minutes=30)
    still = _sign_in(csrf_client, "attending")
    assert still.status_code == 429
    assert "_auth_user_id" not in csrf_client.session
    # The sign-in page agrees.
    assert (
        csrf_client.post(
            "/accounts/login/",
            {"username": "attending", "password": PASSWORD},
            headers={"X-CSRFToken": _token(csrf_client)},
        ).status_code
        == 429
    )


def test_account_with_a_device_needs_its_code(csrf_client, attending):
    device = TOTPDevice.objects.create(user=attending, name="phone", confirmed=True)
    asked = _sign_in(csrf_client, "attending")
    assert asked.status_code == 422
    assert asked.json()["errors"] == {"code": [signin.MSG_CODE_NEEDED]}
    assert "_auth_user_id" not in csrf_client.session
    wrong = _sign_in(csrf_client, "attending", code="000000")
    assert wrong.json()["errors"] == {"code": [signin.MSG_BAD_CODE]}
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code throttles the next try (by design)
    right = _sign_in(csrf_client, "attending", code=_code(device), expected="attending")
    assert right.status_code == 200 and right.json()["same_user"] is True
    # Fully signed in: the second factor is given, pages open.
    assert csrf_client.get("/").status_code == 200


def test_admin_without_a_device_is_sent_to_the_set_up(csrf_client, settings, personas):
    settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS = True
    response = _sign_in(csrf_client, "admin")
    assert response.status_code == 403
    assert response.json() == {
        "detail": signin.MSG_SETUP_NEEDED,
        "code": "second_factor_setup",
        "csrf_token": response.json()["csrf_token"],
    }
    assert "_auth_user_id" not in csrf_client.session


def test_another_user_signs_in_but_the_page_is_told_not_to_resend(csrf_client, personas):
    response = _sign_in(csrf_client, "nurse", expected="attending")
    assert response.status_code == 200
    body = response.json()
    assert body["same_user"] is False and body["username"] == "nurse"
    assert body["detail"] == MSG_OTHER_USER.format(user=personas["nurse"], previous="attending")


def test_post_needs_the_csrf_token(csrf_client, attending):
    response = csrf_client.post(URL, {"username": "attending", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in csrf_client.session


def test_an_idle_session_answers_signed_out_and_can_sign_in_again(csrf_client, settings, attending):
    import time

    csrf_client.force_login(attending)
    session = csrf_client.session
    session["last_seen"] = int(time.time()) - settings.IRFLOW_IDLE_TIMEOUT_S - 5
    session.save()
    state = csrf_client.get(URL)
    assert state.status_code == 200 and state.json()["signed_in"] is False
    assert _sign_in(csrf_client, "attending").json()["signed_in"] is True
