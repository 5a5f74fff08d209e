"""Signing in: the second factor (TOTP) and the sign-in dialog's rules, the sign-in page's."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts.actors import Actor, person_only
from irflow.accounts.models import User
from irflow.accounts.selectors import second_factor_required
from irflow.lib.errors import Forbidden, ValidationFailed

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
    elif second_factor_required(user):
        raise Forbidden(MSG_SETUP_NEEDED, code="second_factor_setup")
    login(request, user)
    if device is not None:
        otp_login(request, device)
    return user
