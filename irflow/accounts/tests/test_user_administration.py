"""The administrator's services for people: users (create, role, activate, unlock, second
factor, passwords) and API tokens (scope, expiry, revoke); the password policy; who may not."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts import services
from irflow.accounts.actors import SYSTEM
from irflow.accounts.models import ApiToken, TokenScope, User
from irflow.accounts.passwords import password_check, password_generate
from irflow.accounts.selectors import api_token_list, locked_usernames, user_detail, user_list
from irflow.lib.errors import Conflict, Forbidden, ValidationFailed
from irflow.testing.fixtures import PASSWORD, PERSONAS

pytestmark = pytest.mark.django_db

NOT_ADMINS = [name for name in PERSONAS if name != "admin"]
GOOD_PASSWORD = "pale kettle drums at dawn"


def history(user: User) -> list[LogEntry]:
    ct = ContentType.objects.get_for_model(User)
    return list(LogEntry.objects.filter(content_type=ct, object_pk=str(user.pk)).order_by("id"))


def _sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.parametrize("name", NOT_ADMINS)
def test_only_administrators_manage_users_and_tokens(personas, name):
    actor, nurse = personas[name], personas["nurse"]
    token, _ = services.api_token_create(actor=SYSTEM, user_id=nurse.pk, name="bridge")
    refused = [
        lambda: user_list(actor=actor),
        lambda: user_detail(actor=actor, user_id=nurse.pk),
        lambda: api_token_list(actor=actor),
        lambda: services.user_create(actor=actor, username="x", role="nurse"),
        lambda: services.user_role_set(actor=actor, user_id=nurse.pk, role="scheduler"),
        lambda: services.user_active_set(actor=actor, user_id=nurse.pk, active=False),
        lambda: services.user_unlock(actor=actor, user_id=nurse.pk),
        lambda: services.user_second_factor_reset(actor=actor, user_id=nurse.pk),
        lambda: services.user_password_reset(actor=actor, user_id=nurse.pk),
        lambda: services.user_password_change_require(actor=actor, user_id=nurse.pk),
        lambda: services.api_token_create(actor=actor, user_id=nurse.pk, name="mine"),
        lambda: services.api_token_revoke(actor=actor, token_id=token.pk),
    ]
    for call in refused:
        with pytest.raises(Forbidden):
            call()
    nurse.refresh_from_db()
    assert nurse.role == "nurse" and nurse.is_active and not nurse.must_change_password
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_the_policy_refuses_admin12345_and_says_why(personas):
    with pytest.raises(ValidationFailed) as refused:
        password_check("admin12345", personas["nurse"])
    assert refused.value.errors["password"] == [
        "This password is too short. It must contain at least 12 characters."
    ]
    with pytest.raises(ValidationFailed) as common:
        password_check("password1234", personas["nurse"])
    assert common.value.errors["password"] == ["This password is too common."]
    with pytest.raises(ValidationFailed) as numeric:
        password_check("204819273645", personas["nurse"])
    assert "This password is entirely numeric." in numeric.value.errors["password"]
    nurse = personas["nurse"]
    nurse.email = "grace.hopper@hospital.example"
    with pytest.raises(ValidationFailed) as similar:
        password_check("grace.hopper@hospital", nurse)
    assert similar.value.errors["password"] == ["The password is too similar to the email address."]
    password_check(GOOD_PASSWORD, personas["nurse"])
    generated = password_generate(personas["nurse"])
    password_check(generated, personas["nurse"])
    assert len(generated) == 19 and generated.count("-") == 3


def test_an_administrator_creates_a_user_who_must_change_the_password(personas):
    admin = personas["admin"]
    with pytest.raises(ValidationFailed) as refused:
        services.user_create(
            actor=admin, username="attending", role="ruler", password="admin12345", email="x@"
        )
    # Every mistake at once, each beside its field.
    assert set(refused.value.errors) == {"username", "role", "password", "email"}
    assert not User.objects.filter(role="ruler").exists()
    user = services.user_create(
        actor=admin,
        username="ghopper",
        role="nurse",
        password=GOOD_PASSWORD,
        first_name="Grace",
        last_name="Hopper",
        must_change_password=True,
    )
    assert user.check_password(GOOD_PASSWORD) and user.must_change_password
    created = history(user)[0]
    assert created.action == LogEntry.Action.CREATE and created.actor == admin
    assert "password" not in created.changes_dict


def test_role_and_activation_are_audited_and_the_last_administrator_stays(personas):
    admin, nurse = personas["admin"], personas["nurse"]
    services.user_role_set(actor=admin, user_id=nurse.pk, role="scheduler")
    services.user_active_set(actor=admin, user_id=nurse.pk, active=False)
    nurse.refresh_from_db()
    assert nurse.role == "scheduler" and not nurse.is_active
    changes = [(e.actor, e.changes_dict) for e in history(nurse)[1:]]
    assert (admin, {"role": ["nurse", "scheduler"]}) in changes
    assert (admin, {"is_active": ["True", "False"]}) in changes
    with pytest.raises(ValidationFailed) as yourself:
        services.user_active_set(actor=admin, user_id=admin.pk, active=False)
    assert yourself.value.message == services.MSG_NOT_YOURSELF
    with pytest.raises(ValidationFailed) as last:
        services.user_role_set(actor=admin, user_id=admin.pk, role="nurse")
    assert last.value.message == services.MSG_LAST_ADMIN.format(user=admin)
    second = services.user_create(actor=admin, username="second", role="admin")
    services.user_role_set(actor=second, user_id=admin.pk, role="auditor")
    admin.refresh_from_db()
    assert admin.role == "auditor" and not admin.is_staff


def test_an_administrator_unlocks_a_locked_out_user(client, personas):
    admin, nurse = personas["admin"], personas["nurse"]
    for _ in range(5):
        _sign_in(client, "nurse", "wrong password")
    assert _sign_in(client, "nurse", PASSWORD).status_code == 429
    assert locked_usernames(["nurse", "attending"]) == {"nurse"}
    assert user_detail(actor=admin, user_id=nurse.pk).locked
    assert services.user_unlock(actor=admin, user_id=nurse.pk) >= 1
    assert locked_usernames(["nurse"]) == set()
    assert _sign_in(client, "nurse", PASSWORD).status_code == 302
    note = history(nurse)[-1]
    assert note.actor == admin and note.changes_dict == {"sign-in lockout": ["locked", "unlocked"]}


def test_an_administrator_resets_a_lost_second_factor(personas):
    admin, physician = personas["admin"], personas["attending"]
    TOTPDevice.objects.create(user=physician, name="Old phone", confirmed=True)
    TOTPDevice.objects.create(user=physician, name="Half set up", confirmed=False)
    assert user_detail(actor=admin, user_id=physician.pk).second_factor
    assert services.user_second_factor_reset(actor=admin, user_id=physician.pk) == 2
    assert not TOTPDevice.objects.filter(user=physician).exists()
    assert not user_detail(actor=admin, user_id=physician.pk).second_factor
    note = history(physician)[-1]
    assert note.actor == admin
    assert note.changes_dict == {"two-factor authenticators": ["2", "0"]}


def test_a_password_reset_is_temporary_audited_and_follows_the_policy(personas):
    admin, nurse = personas["admin"], personas["nurse"]
    with pytest.raises(ValidationFailed) as weak:
        services.user_password_reset(actor=admin, user_id=nurse.pk, password="admin12345")
    assert "password" in weak.value.errors
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD) and not nurse.must_change_password
    temporary = services.user_password_reset(actor=admin, user_id=nurse.pk)
    nurse.refresh_from_db()
    assert nurse.check_password(temporary) and nurse.must_change_password
    entries = history(nurse)
    assert entries[-2].changes_dict == {"must_change_password": ["False", "True"]}
    assert entries[-1].changes_dict == {"password": ["", "temporary, set by an administrator"]}
    assert all(temporary not in str(e.changes) for e in entries)
    services.user_password_change_require(actor=admin, user_id=nurse.pk, required=False)
    nurse.refresh_from_db()
    assert not nurse.must_change_password


def test_everyone_changes_their_own_password_under_the_policy(personas):
    for name in PERSONAS:
        user = personas[name]
        with pytest.raises(ValidationFailed) as refused:
            services.password_change(
                actor=user,
                current_password="not it",
                new_password="admin12345",
                new_password_again="admin12346",
            )
        assert set(refused.value.errors) == {
            "current_password",
            "new_password",
            "new_password_again",
        }
        with pytest.raises(ValidationFailed) as weak:
            services.password_change(
                actor=user,
                current_password=PASSWORD,
                new_password="admin12345",
                new_password_again="admin12345",
            )
        assert weak.value.errors["new_password"] == [
            "This password is too short. It must contain at least 12 characters."
        ]
        services.password_change(
            actor=user,
            current_password=PASSWORD,
            new_password=GOOD_PASSWORD,
            new_password_again=GOOD_PASSWORD,
        )
        user.refresh_from_db()
        assert user.check_password(GOOD_PASSWORD)
        assert history(user)[-1].changes_dict == {"password": ["", "changed by its owner"]}
    with pytest.raises(Forbidden):
        services.password_change(
            actor=SYSTEM, current_password="", new_password="", new_password_again=""
        )


def test_a_token_secret_is_stored_hashed_and_scope_and_expiry_hold(personas):
    admin, integration = personas["admin"], personas["integration"]
    with pytest.raises(ValidationFailed) as refused:
        services.api_token_create(
            actor=admin,
            user_id=integration.pk,
            name=" ",
            scope="everything",
            expires_at=timezone.now() - timedelta(days=1),
        )
    assert set(refused.value.errors) == {"name", "scope", "expires_at"}
    token, plain = services.api_token_create(
        actor=admin,
        user_id=integration.pk,
        name="PACS bridge",
        scope=TokenScope.READ,
        expires_at=timezone.now() + timedelta(days=30),
    )
    secret = plain.split("_", 2)[2]
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.secret_sha256 == ApiToken.hash_secret(secret)
    assert secret not in str(list(ApiToken.objects.values()))
    assert secret not in str(list(LogEntry.objects.values()))
    assert services.api_token_authenticate(plain) == integration
    with pytest.raises(Forbidden) as read_only:
        services.api_token_authenticate(plain, write=True)
    assert read_only.value.message == services.MSG_TOKEN_READ_ONLY
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert services.api_token_authenticate(plain) is None
    assert [r.state for r in api_token_list(actor=admin)] == ["expired"]
    assert api_token_list(actor=admin, state="active") == []
    services.api_token_revoke(actor=admin, token_id=token.pk)
    with pytest.raises(Conflict):
        services.api_token_revoke(actor=admin, token_id=token.pk)
    revoked = LogEntry.objects.get_for_object(stored).filter(action=LogEntry.Action.UPDATE)
    assert revoked.get().actor == admin


def test_a_read_only_token_reads_but_may_not_write_through_the_api(client, personas, patient):
    _, plain = services.api_token_create(
        actor=SYSTEM, user_id=personas["integration"].pk, name="reader", scope=TokenScope.READ
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    assert client.get("/api/patients?q=T0000001", **auth).status_code == 200
    written = client.patch(
        f"/api/patients/{patient.pk}", {"weight_kg": "70"}, content_type="application/json", **auth
    )
    assert written.status_code == 403
    assert written.json() == {"detail": services.MSG_TOKEN_READ_ONLY, "code": "token_read_only"}


def test_the_command_line_gives_tokens_a_scope_and_an_expiry(capsys, personas):
    call_command(
        "api-token",
        "create",
        "--user",
        "integration",
        "--name",
        "Nightly export",
        "--scope",
        "read",
        "--expires",
        "2099-12-31",
    )
    plain = capsys.readouterr().out.strip().splitlines()[-1]
    token = ApiToken.objects.get(key_id=plain.split("_")[1])
    assert token.scope == TokenScope.READ
    assert timezone.localtime(token.expires_at).date().isoformat() == "2099-12-31"
    call_command("api-token", "list")
    assert "read active until 2099-12-31" in capsys.readouterr().out
    call_command("api-token", "revoke", token.key_id)
    assert LogEntry.objects.get_for_object(token).filter(actor_email="system").exists()


def test_the_command_line_creates_users_under_the_same_policy(capsys, monkeypatch, personas):
    call_command("user", "create", "kwame", "--role", "admin", "--first-name", "Kwame")
    out = capsys.readouterr().out.strip().splitlines()
    kwame = User.objects.get(username="kwame")
    assert kwame.role == "admin" and kwame.is_staff and kwame.must_change_password
    assert kwame.check_password(out[-1])
    monkeypatch.setattr("sys.stdin", io.StringIO("admin12345\n"))
    with pytest.raises(CommandError, match="at least 12 characters"):
        call_command("user", "create", "weak", "--role", "nurse", "--password-stdin")
    assert not User.objects.filter(username="weak").exists()
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD_PASSWORD + "\n"))
    call_command("user", "password", "nurse", "--password-stdin")
    assert GOOD_PASSWORD not in capsys.readouterr().out
    nurse = User.objects.get(username="nurse")
    assert nurse.check_password(GOOD_PASSWORD) and nurse.must_change_password
    call_command("user", "unlock", "nurse")
    assert "was not locked out" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No user named"):
        call_command("user", "password", "nobody")
