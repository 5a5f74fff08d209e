"""The site's password policy (Django's validators, AUTH_PASSWORD_VALIDATORS in settings) and
temporary passwords that satisfy it."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from irflow.accounts.models import User
from irflow.lib.errors import ValidationFailed

# Temporary passwords: no look-alike characters (0/O, 1/l/I), read out over the phone.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet


def password_check(password: str, user: User, *, field: str = "password") -> None:
    """Refuse a password the site's policy (AUTH_PASSWORD_VALIDATORS) refuses, with every
    reason, under `field`."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed({field: list(exc.messages)}) from exc


def password_generate(user: User | None = None) -> str:
    """A temporary password the policy accepts: four groups of four, e.g. `k7tq-...`."""
    while True:
        groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
        candidate = "-".join(groups)
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate
