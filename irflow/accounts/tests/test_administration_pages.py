"""The administrator's users and API tokens pages walked for every role, secrets shown once,
one's own password page for everyone, and the forced change of a temporary password."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from irflow.accounts import services
from irflow.accounts.actors import SYSTEM
from irflow.accounts.middleware import MSG_PASSWORD_DUE
from irflow.accounts.models import ApiToken, TokenScope, User
from irflow.accounts.views import MSG_PASSWORD_CHANGED
from irflow.testing.fixtures import PASSWORD, PERSONAS, login
from irflow.web.navigation import navigation_for

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "pale kettle drums at dawn"


def admin_pages(user_id: int, token_id: int) -> list[tuple[str, str, dict]]:
    """Every administration route: (method, path, form data)."""
    users = "/administration/users/"
    return [
        ("GET", users, {}),
        ("GET", users + "?role=nurse&state=active&q=nur", {}),
        ("GET", users + "new/", {}),
        ("POST", users + "new/", {"username": "walked", "role": "nurse"}),
        ("GET", f"{users}{user_id}/", {}),
        ("POST", f"{users}{user_id}/role/", {"role": "scheduler"}),
        ("POST", f"{users}{user_id}/active/", {"active": "0"}),
        ("POST", f"{users}{user_id}/unlock/", {}),
        ("POST", f"{users}{user_id}/second-factor/reset/", {}),
        ("POST", f"{users}{user_id}/password/", {}),
        ("POST", f"{users}{user_id}/password/due/", {"required": "1"}),
        ("GET", "/administration/tokens/", {}),
        ("GET", "/administration/tokens/?state=active", {}),
        ("GET", "/administration/tokens/new/", {}),
        ("POST", "/administration/tokens/new/", {"user": user_id, "name": "x", "scope": "read"}),
        ("POST", f"/administration/tokens/{token_id}/revoke/", {}),
    ]


@pytest.mark.parametrize("name", list(PERSONAS))
def test_every_administration_page_by_role(client, personas, name):
    """Administrators open and use every page; every other role gets 403 and changes
    nothing. Everyone has their own password page; only administrators the "Users" entry."""
    user, nurse = personas[name], personas["nurse"]
    token, _ = services.api_token_create(actor=SYSTEM, user_id=nurse.pk, name="walk")
    login(client, user)
    for method, path, data in admin_pages(nurse.pk, token.pk):
        response = client.get(path) if method == "GET" else client.post(path, data)
        if name == "admin":
            assert response.status_code in (200, 302, 422), (method, path)
        else:
            assert response.status_code == 403, (method, path)
    nurse.refresh_from_db()
    if name != "admin":
        assert nurse.role == "nurse" and nurse.is_active and not nurse.must_change_password
        assert not ApiToken.objects.get(pk=token.pk).revoked_at
        assert not User.objects.filter(username="walked").exists()
    assert client.get("/accounts/password/").status_code == 200
    labels = [item.label for item in navigation_for(user, "/")]
    assert ("Users" in labels) == (name == "admin")


def test_the_users_list_filters_and_shows_state(client, personas):
    login(client, personas["admin"])
    services.user_active_set(actor=personas["admin"], user_id=personas["auditor"].pk, active=False)
    page = client.get("/administration/users/?state=inactive").content.decode()
    assert ">auditor</code>" in page and ">nurse</code>" not in page and "Deactivated" in page
    page = client.get("/administration/users/?role=nurse").content.decode()
    assert ">nurse</code>" in page and ">attending</code>" not in page


def test_a_generated_password_is_shown_once_and_never_again(client, personas):
    login(client, personas["admin"])
    response = client.post(
        "/administration/users/new/",
        {
            "username": "gmensah",
            "first_name": "Grace",
            "last_name": "Mensah",
            "role": "nurse",
            "must_change_password": "on",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = re.search(r'id="temporary-password">([^<]+)<', response.content.decode())
    assert shown is not None
    user = User.objects.get(username="gmensah")
    assert user.check_password(shown[1]) and user.must_change_password
    for later in (f"/administration/users/{user.pk}/", "/administration/users/"):
        assert shown[1] not in client.get(later).content.decode()


def test_a_refused_new_user_shows_every_reason_beside_its_field(client, personas):
    login(client, personas["admin"])
    response = client.post(
        "/administration/users/new/",
        {"username": "nurse", "first_name": "", "last_name": "X", "role": "nurse"}
        | {"password": "admin12345"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_username_error"><p class="error">This username is already taken.' in page
    assert 'id="id_first_name_error"><p class="error">This field is required.' in page
    assert "It must contain at least 12 characters." in page
    assert 'value="admin12345"' not in page  # a password is never sent back
    assert User.objects.filter(username__iexact="nurse").count() == 1


def test_a_token_secret_is_shown_once_and_the_list_shows_its_state(client, personas):
    login(client, personas["admin"])
    integration = personas["integration"]
    new = client.get(f"/administration/tokens/new/?user={integration.pk}").content.decode()
    assert f'<option value="{integration.pk}" selected>' in new
    response = client.post(
        "/administration/tokens/new/",
        {"user": integration.pk, "name": "HL7 engine", "scope": "read", "expires_on": "2099-01-31"},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    plain = re.search(r'id="api-token">([^<]+)<', response.content.decode())[1]
    token = ApiToken.objects.get(key_id=plain.split("_")[1])
    assert token.scope == TokenScope.READ and token.created_by == personas["admin"]
    assert timezone.localtime(token.expires_at).date().isoformat() == "2099-01-31"
    listing = client.get("/administration/tokens/").content.decode()
    assert "HL7 engine" in listing and "Working" in listing and plain not in listing
    past = client.post(
        "/administration/tokens/new/",
        {"user": integration.pk, "name": "Old", "scope": "full", "expires_on": "2001-01-01"},
    )
    assert past.status_code == 422
    assert services.MSG_TOKEN_EXPIRED in past.content.decode()
    revoked = client.post(f"/administration/tokens/{token.pk}/revoke/", follow=True)
    assert "Token “HL7 engine” revoked" in revoked.content.decode()
    assert "Revoked" in revoked.content.decode()


def test_a_user_with_a_temporary_password_must_change_it_first(client, personas):
    nurse = personas["nurse"]
    _, plain = services.api_token_create(actor=SYSTEM, user_id=nurse.pk, name="own")
    services.user_password_change_require(actor=personas["admin"], user_id=nurse.pk)
    assert (
        client.post("/accounts/login/", {"username": "nurse", "password": PASSWORD}).status_code
        == 302
    )
    sent = client.get("/patients/?q=x")
    assert sent.status_code == 302
    assert sent.url == "/accounts/password/?next=%2Fpatients%2F%3Fq%3Dx"
    htmx = client.get("/patients/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith("/accounts/password/")
    api = client.get("/api/accounts/me")
    assert api.status_code == 403 and api.json()["detail"] == MSG_PASSWORD_DUE
    # An integration's token is not held up by its user's sign-in.
    assert client.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200
    weak = client.post(
        "/accounts/password/?next=/patients/",
        {
            "current_password": PASSWORD,
            "new_password": "admin12345",
            "new_password_again": "admin12345",
        },
    )
    assert weak.status_code == 422
    assert (
        'id="id_new_password_error"><p class="error">'
        "This password is too short. It must contain at least 12" in weak.content.decode()
    )
    done = client.post(
        "/accounts/password/?next=/patients/",
        {
            "current_password": PASSWORD,
            "new_password": GOOD_PASSWORD,
            "new_password_again": GOOD_PASSWORD,
            "next": "/patients/",
        },
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/patients/"
    assert MSG_PASSWORD_CHANGED in done.content.decode()
    nurse.refresh_from_db()
    assert not nurse.must_change_password and nurse.check_password(GOOD_PASSWORD)


def test_the_page_refuses_an_empty_field_and_a_wrong_current_password_at_once(client, nurse):
    login(client, nurse)
    response = client.post(
        "/accounts/password/",
        {"current_password": "wrong", "new_password": "", "new_password_again": "x"},
    )
    page = response.content.decode()
    assert response.status_code == 422
    current = services.MSG_CURRENT_PASSWORD
    assert f'id="id_current_password_error"><p class="error">{current}' in page
    assert 'id="id_new_password_error"><p class="error">This field is required.' in page
    assert services.MSG_PASSWORDS_DIFFER in page


def test_an_administrator_cannot_lock_themselves_out_from_the_page(client, personas):
    admin = personas["admin"]
    login(client, admin)
    page = client.get(f"/administration/users/{admin.pk}/").content.decode()
    assert "Deactivate" not in page and "Change role" not in page
    refused = client.post(f"/administration/users/{admin.pk}/active/", {"active": "0"}, follow=True)
    assert services.MSG_NOT_YOURSELF in refused.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_a_deactivated_user_is_signed_out_and_their_tokens_stop(client, personas):
    nurse = personas["nurse"]
    _, plain = services.api_token_create(actor=SYSTEM, user_id=nurse.pk, name="own")
    login(client, nurse)
    assert client.get("/patients/").status_code == 200
    services.user_active_set(actor=personas["admin"], user_id=nurse.pk, active=False)
    assert client.get("/patients/").url.startswith("/accounts/login/")
    assert services.api_token_authenticate(plain) is None
    services.user_active_set(actor=personas["admin"], user_id=nurse.pk, active=True)
    assert services.api_token_authenticate(plain) == nurse
