"""Writes about people: users, credentials, privileges, API tokens, and signing in again."""

from __future__ import annotations

import secrets
from datetime import date
from typing import cast

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts.actors import Actor, person, person_only
from irflow.accounts.models import ApiToken, Privilege, StaffProfile, User
from irflow.accounts.permissions import require
from irflow.accounts.roles import PERSON_ROLES, Role
from irflow.lib.errors import Forbidden, NotFound, ValidationFailed, from_django_validation
from irflow.lib.history import history_actor

MSG_USERNAME_TAKEN = "This username is already taken."
MSG_TOKEN_INVALID = "The API token is invalid or revoked."  # noqa: S105 - a message
MSG_SIGNIN_USERNAME = "Enter your username."
MSG_SIGNIN_PASSWORD = "Enter your password."  # noqa: S105 - a message
MSG_SIGNIN_INVALID = "That username and password do not match an account. Check both and try again."
MSG_SIGNIN_LOCKED = (
    "This account is locked after too many failed sign-ins. Try again in {minutes} minutes, "
    "or ask an administrator to unlock it."
)
MSG_CODE_NEEDED = "Enter the six-digit code from your authenticator app."
MSG_BAD_CODE = "That code is not valid. Check the time on your phone and try again."
MSG_SETUP_NEEDED = (
    "This account must set up two-factor authentication first: open the sign-in page."
)


@transaction.atomic
def user_create(
    *,
    actor: Actor,
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
    """Create a user with a role and a staff profile (set-up commands: the system actor)."""
    require(actor, "user.manage")
    if role not in dict(PERSON_ROLES):
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
def privilege_grant(*, actor: Actor, user_id: int, category: str, granted_at: date) -> Privilege:
    """Grant user `user_id` the privilege to perform procedures of `category`."""
    require(actor, "user.manage")
    user = User.objects.select_for_update().get(pk=user_id)
    with history_actor(actor):
        privilege, _ = Privilege.objects.update_or_create(
            user=user,
            category=category,
            defaults={"granted_at": granted_at, "granted_by": person(actor), "expires_at": None},
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
def api_token_create(*, actor: Actor, user_id: int, name: str) -> tuple[ApiToken, str]:
    """Create a token for user `user_id`; the plain token is returned once and never stored."""
    require(actor, "apitoken.manage")
    user = User.objects.get(pk=user_id)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_id=key_id,
        secret_sha256=ApiToken.hash_secret(secret),
        created_by=person(actor),
    )
    return token, f"{ApiToken.PREFIX}_{key_id}_{secret}"


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> None:
    """Revoke a token: it authenticates no more."""
    require(actor, "apitoken.manage")
    token = ApiToken.objects.select_for_update().get(pk=token_id)
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
    """The token with this key id (revoked or not), or NotFound."""
    token = ApiToken.objects.filter(key_id=key_id).first()
    if token is None:
        raise NotFound(MSG_TOKEN_INVALID)
    return token


@transaction.atomic
def second_factor_device_pending(*, actor: Actor) -> TOTPDevice:
    """The authenticator the user is setting up (made on first call, unconfirmed until a
    code from it is given)."""
    user = person_only(actor)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def second_factor_confirm(*, request: HttpRequest, code: str) -> bool:
    """Confirm the authenticator being set up with one of its codes; the session then counts
    as verified. False when the code is wrong (nothing changes)."""
    device = second_factor_device_pending(actor=cast(User, request.user))  # signed in
    if not device.verify_token(code):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return True


def second_factor_verify(*, request: HttpRequest, code: str) -> bool:
    """Verify this session with a code from one of the user's confirmed authenticators."""
    for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
        if device.verify_token(code):
            otp_login(request, device)
            return True
    return False


def session_sign_in(*, request: HttpRequest, username: str, password: str, code: str = "") -> User:
    """Sign in again without leaving the page, by the sign-in page's rules: the lockout after
    repeated failures (django-axes), the code when the account has a second factor, and
    administrators sent to set one up where it is required."""
    errors = {}
    if not username.strip():
        errors["username"] = MSG_SIGNIN_USERNAME
    if not password:
        errors["password"] = MSG_SIGNIN_PASSWORD
    if errors:
        raise ValidationFailed(errors)
    user = authenticate(request, username=username.strip(), password=password)
    if getattr(request, "axes_locked_out", False):
        minutes = round(settings.AXES_COOLOFF_TIME * 60)
        raise Forbidden(MSG_SIGNIN_LOCKED.format(minutes=minutes), code="locked")
    if user is None:
        raise ValidationFailed({"password": MSG_SIGNIN_INVALID})
    devices = list(devices_for_user(user, confirmed=True))
    device = None
    if devices:
        if not code.strip():
            raise ValidationFailed({"code": MSG_CODE_NEEDED})
        device = next((d for d in devices if d.verify_token(code.strip())), None)
        if device is None:
            raise ValidationFailed({"code": MSG_BAD_CODE})
    elif settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS and (user.role == Role.ADMIN or user.is_superuser):
        raise Forbidden(MSG_SETUP_NEEDED, code="second_factor_setup")
    login(request, user)
    if device is not None:
        otp_login(request, device)
    return user
