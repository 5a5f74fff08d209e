"""Writes about people: users, credentials, privileges and API tokens."""

from __future__ import annotations

import secrets
from datetime import date

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from irflow.accounts.models import ApiToken, Privilege, StaffProfile, User
from irflow.accounts.permissions import require
from irflow.accounts.roles import Role
from irflow.audit.services import history_actor
from irflow.lib.errors import NotFound, ValidationFailed, from_django_validation

MSG_USERNAME_TAKEN = "This username is already taken."
MSG_TOKEN_INVALID = "The API token is invalid or revoked."  # noqa: S105 - a message


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    display_name: str = "",
    check_password: bool = True,
    **profile: str,
) -> User:
    """Create a user with a role and a staff profile. `actor=None` only for set-up commands."""
    if actor is not None:
        require(actor, "user.manage")
    if role not in Role.values:
        raise ValidationFailed({"role": f"“{role}” is not a role."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed({"username": MSG_USERNAME_TAKEN})
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        display_name=display_name,
        is_staff=role == Role.ADMIN,
    )
    if password:
        if check_password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationFailed({"password": list(exc.messages)}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    with history_actor(actor):
        user.save()
        StaffProfile.objects.create(user=user, **profile)
    return user


@transaction.atomic
def privilege_grant(
    *, actor: User | None, user: User, category: str, granted_at: date
) -> Privilege:
    """Grant `user` the privilege to perform procedures of `category`."""
    if actor is not None:
        require(actor, "user.manage")
    with history_actor(actor):
        privilege, _ = Privilege.objects.update_or_create(
            user=user,
            category=category,
            defaults={"granted_at": granted_at, "granted_by": actor, "expires_at": None},
        )
    return privilege


def user_holds_privilege(*, user: User, category: str, on: date) -> bool:
    """True when `user` holds an unexpired privilege for `category` on day `on`."""
    return (
        Privilege.objects.filter(user=user, category=category, granted_at__lte=on)
        .exclude(expires_at__lt=on)
        .exists()
    )


@transaction.atomic
def api_token_create(*, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; the plain token is returned once and never stored."""
    if actor is not None:
        require(actor, "apitoken.manage")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_id=key_id,
        secret_sha256=ApiToken.hash_secret(secret),
        created_by=actor,
    )
    return token, f"{ApiToken.PREFIX}_{key_id}_{secret}"


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    require(actor, "apitoken.manage")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def api_token_authenticate(raw: str) -> User | None:
    """Return the active user behind a bearer token, or None. Constant-time comparison."""
    try:
        prefix, key_id, secret = raw.strip().split("_", 2)
    except ValueError:
        return None
    if prefix != ApiToken.PREFIX:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_id=key_id, revoked_at__isnull=True)
        .first()
    )
    if token is None or not secrets.compare_digest(
        token.secret_sha256, ApiToken.hash_secret(secret)
    ):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    # Record use at most once a minute: a busy integration must not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_lookup(*, key_id: str) -> ApiToken:
    token = ApiToken.objects.filter(key_id=key_id).first()
    if token is None:
        raise NotFound(MSG_TOKEN_INVALID)
    return token
