"""The security baseline: hashing, lockout, two-factor, CSP, cookies, idle timeout, tokens, CSRF."""

from __future__ import annotations

import importlib
import json
import re
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts.middleware import MSG_IDLE
from irflow.accounts.models import ApiToken
from irflow.accounts.services import api_token_authenticate, api_token_create
from irflow.testing.fixtures import PASSWORD, login

pytestmark = pytest.mark.django_db


def test_production_settings_hash_with_argon2_and_secure_cookies(monkeypatch):
    monkeypatch.delenv("IRFLOW_SECURE_COOKIES", raising=False)
    import irflow.settings as production

    fresh = importlib.reload(production)
    assert fresh.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert fresh.SESSION_COOKIE_SECURE and fresh.CSRF_COOKIE_SECURE
    assert fresh.SESSION_COOKIE_HTTPONLY
    assert fresh.DEBUG is False
    assert fresh.IRFLOW_IDLE_TIMEOUT_S == 15 * 60
    assert fresh.AXES_FAILURE_LIMIT == 5


def test_argon2_is_used_when_configured(settings, attending):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    attending.set_password("another long password")
    assert attending.password.startswith("argon2")


def _login_post(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_lockout_after_five_failures(client, attending):
    for _ in range(4):
        assert _login_post(client, "attending", "wrong password").status_code == 200
    # The fifth failure locks the account; the right password no longer gets in.
    assert _login_post(client, "attending", "wrong password").status_code == 429
    locked = _login_post(client, "attending", PASSWORD)
    assert locked.status_code == 429
    assert "Account locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_with_correct_password_works(client, attending):
    response = _login_post(client, "attending", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(attending.pk)


def test_admin_must_set_up_two_factor_when_required(client, settings, personas):
    settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS = True
    admin = personas["admin"]
    assert _login_post(client, "admin", PASSWORD).status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/accounts/2fa/setup/?next=/"
    setup = client.get("/accounts/2fa/setup/")
    assert setup.status_code == 200 and "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = client.post("/accounts/2fa/setup/", {"code": f"{code:06d}"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    # Next sign-in asks for the code before anything else.
    client.logout()
    _login_post(client, "admin", PASSWORD)
    assert client.get("/").url.startswith("/accounts/2fa/verify/")
    assert client.post("/accounts/2fa/verify/", {"code": "000000"}).status_code == 200
    device.refresh_from_db()
    device.last_t = -1  # allow the same time step again for the test
    device.throttle_reset(commit=False)  # a wrong code throttles the next try (by design)
    device.save()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    assert client.post("/accounts/2fa/verify/", {"code": f"{code:06d}"}).status_code == 302
    assert client.get("/").status_code == 200


def test_non_admin_is_not_forced_into_two_factor(client, settings, attending):
    settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS = True
    login(client, attending)
    assert client.get("/").status_code == 200


def test_csp_header_forbids_inline_script(client, attending, patient):
    login(client, attending)
    for url in ("/", "/patients/", f"/patients/{patient.pk}/", "/accounts/login/"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", csp).group(1)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        # No inline <script> element anywhere in our pages.
        for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
            assert "src=" in tag, f"inline script on {url}: {tag}"


def test_idle_session_is_signed_out(client, settings, attending):
    login(client, attending)
    assert client.get("/").status_code == 200
    session = client.session
    session["last_seen"] = int(time.time()) - settings.IRFLOW_IDLE_TIMEOUT_S - 5
    session.save()
    response = client.get("/patients/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    followed = client.get(response.url)
    assert MSG_IDLE.format(minutes=15) in followed.content.decode()
    assert client.get("/").status_code == 302


def test_background_refresh_does_not_keep_a_session_alive(client, settings, attending):
    login(client, attending)
    client.get("/")
    stale = int(time.time()) - settings.IRFLOW_IDLE_TIMEOUT_S + 30
    session = client.session
    session["last_seen"] = stale
    session.save()
    client.get("/", headers={"x-irflow-background": "1"})
    assert client.session["last_seen"] == stale


def test_api_tokens_are_stored_hashed_and_can_be_revoked(attending, personas):
    token, plain = api_token_create(
        actor=personas["admin"], user_id=attending.pk, name="PACS bridge"
    )
    stored = ApiToken.objects.get(pk=token.pk)
    assert plain.split("_", 2)[2] not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert stored.secret_sha256 == ApiToken.hash_secret(plain.split("_", 2)[2])
    assert api_token_authenticate(plain) == attending
    assert api_token_authenticate(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
    assert api_token_authenticate("garbage") is None
    from irflow.accounts.services import api_token_revoke

    api_token_revoke(actor=personas["admin"], token_id=stored.pk)
    assert api_token_authenticate(plain) is None


def test_session_api_calls_need_csrf(csrf_client, attending):
    login(csrf_client, attending)
    body = json.dumps(
        {
            "mrn": "C1",
            "family_name": "Csrf",
            "given_name": "Test",
            "birth_date": "1980-01-01",
            "sex": "F",
        }
    )
    refused = csrf_client.post("/api/patients", data=body, content_type="application/json")
    assert refused.status_code == 403
    page = csrf_client.get("/patients/new/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    accepted = csrf_client.post(
        "/api/patients", data=body, content_type="application/json", headers={"x-csrftoken": token}
    )
    assert accepted.status_code == 201, accepted.content


def test_web_forms_need_csrf(csrf_client, attending):
    login(csrf_client, attending)
    response = csrf_client.post(
        "/patients/new/",
        {
            "mrn": "C2",
            "family_name": "A",
            "given_name": "B",
            "birth_date": "1980-01-01",
            "sex": "F",
        },
    )
    assert response.status_code == 403


def test_referrer_cannot_open_another_patients_chart_page(client, referrer, patient):
    login(client, referrer)
    assert client.get(f"/patients/{patient.pk}/").status_code == 404


def test_account_page_offers_two_factor_to_everyone(client, nurse):
    login(client, nurse)
    page = client.get("/accounts/")
    assert page.status_code == 200
    assert "Set up two-factor authentication" in page.content.decode()
