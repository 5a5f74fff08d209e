"""An administrator's API token would skip the second factor their sign-in needs: while
administrators must use two-factor authentication, their tokens are neither made nor
accepted (docs/security.md, "API tokens")."""

from __future__ import annotations

import pytest
from django.utils.html import escape
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts import services
from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import ApiToken, TokenScope, User
from irflow.accounts.permissions import MATRIX, PRIVILEGED_ACTIONS, is_privileged, privileged_roles
from irflow.accounts.roles import Role
from irflow.lib.errors import ValidationFailed
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db


def test_the_privileged_roles_come_from_the_matrix():
    assert set(MATRIX) >= PRIVILEGED_ACTIONS
    # Today the administrator alone holds them; an auditor reads, and changes nothing.
    assert privileged_roles() == {Role.ADMIN}
    assert not is_privileged(User(role=Role.AUDITOR))
    assert is_privileged(User(role=Role.NURSE, is_superuser=True))


def test_no_token_is_made_for_an_administrator(client, settings, personas):
    settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS = True
    admin = personas["admin"]
    with pytest.raises(ValidationFailed) as refused:
        services.api_token_create(actor=SYSTEM, user_id=admin.pk, name="shortcut")
    assert refused.value.errors == {"user": [services.MSG_TOKEN_PRIVILEGED.format(user=admin)]}
    assert not ApiToken.objects.filter(user=admin).exists()
    # The administrators' page says so beside the user field (signed in with a second factor).
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    login(client, admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    page = client.post(
        "/administration/tokens/new/",
        {"user": admin.pk, "name": "shortcut", "scope": TokenScope.FULL, "expires_on": ""},
    )
    assert page.status_code == 422
    assert escape(services.MSG_TOKEN_PRIVILEGED.format(user=admin)) in page.content.decode()
    assert not ApiToken.objects.filter(user=admin).exists()


def test_an_administrators_older_token_is_refused_and_an_integrations_works(
    client, settings, personas
):
    admin, integration = personas["admin"], personas["integration"]
    settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS = False  # as a site without the rule made it
    _, old = services.api_token_create(actor=SYSTEM, user_id=admin.pk, name="old")
    _, bridge = services.api_token_create(actor=SYSTEM, user_id=integration.pk, name="bridge")
    before = client.get("/api/accounts/me", headers={"authorization": f"Bearer {old}"})
    assert before.status_code == 200
    settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS = True
    for method, url in (("GET", "/api/accounts/me"), ("GET", "/api/catalogue/procedures")):
        refused = client.generic(method, url, headers={"authorization": f"Bearer {old}"})
        assert refused.status_code == 403, refused.content
        assert refused.json() == {
            "detail": services.MSG_TOKEN_PRIVILEGED_REFUSED,
            "code": "token_privileged_user",
        }
    works = client.get("/api/accounts/me", headers={"authorization": f"Bearer {bridge}"})
    assert works.status_code == 200 and works.json()["role"] == Role.INTEGRATION
    # A user made an administrator after their token was made loses it the same way.
    integration.role = Role.ADMIN
    integration.save(update_fields=["role"])
    again = client.get("/api/accounts/me", headers={"authorization": f"Bearer {bridge}"})
    assert again.status_code == 403 and again.json()["code"] == "token_privileged_user"
