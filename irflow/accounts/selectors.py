"""Reads about people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts.actors import Actor
from irflow.accounts.models import ApiToken, User
from irflow.accounts.permissions import is_privileged, require
from irflow.lib.errors import NotFound

MSG_NO_USER = "There is no such user."


@dataclass
class UserRow:
    """A user as the administrator sees them: with the lockout and two-factor state."""

    user: User
    locked: bool
    second_factor: bool
    tokens: list[TokenRow] = field(default_factory=list)


@dataclass(frozen=True)
class TokenRow:
    """An API token with its state now: "active", "expired" or "revoked"."""

    token: ApiToken
    state: str


def staff_list(*, actor: Actor, role: str = "") -> QuerySet[User]:
    """Active users, optionally of one role, with their privileges."""
    require(actor, "staff.view")
    qs = User.objects.filter(is_active=True).exclude(role="").prefetch_related("privileges")
    return qs.filter(role=role) if role else qs


def second_factor_required(user: User) -> bool:
    """`user` must sign in with a second factor: a privileged user (permissions.is_privileged)
    while IRFLOW_REQUIRE_2FA_FOR_ADMINS is on. Their API tokens are refused meanwhile."""
    return bool(settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS) and is_privileged(user)


def second_factor_satisfied(user: User) -> bool:
    """The session of `user` needs no second factor, or has given it."""
    # django-otp's is_verified(), which a user signed in during this request does not have yet.
    if getattr(user, "otp_device", None) is not None:
        return True
    if user_has_device(user):
        return False
    return not second_factor_required(user)


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of `usernames` django-axes locks out now (failures within the cool-off period)."""
    attempts = AccessAttempt.objects.filter(username__in=list(usernames))
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    totals = attempts.values("username").annotate(failures=Sum("failures_since_start"))
    limit = settings.AXES_FAILURE_LIMIT
    return {row["username"] for row in totals if row["failures"] >= limit}


def _rows(users: list[User]) -> list[UserRow]:
    locked = locked_usernames(u.username for u in users)
    with_device = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    return [UserRow(u, u.username in locked, u.pk in with_device) for u in users]


def user_list(
    *, actor: Actor, role: str = "", active: bool | None = None, q: str = ""
) -> list[UserRow]:
    """Every user (for administrators), optionally of one role, active or not, or matching
    `q` in the username, name or e-mail address."""
    require(actor, "user.manage")
    qs = User.objects.order_by("username")
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    if q.strip():
        text = q.strip()
        qs = qs.filter(
            Q(username__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(display_name__icontains=text)
            | Q(email__icontains=text)
        )
    return _rows(list(qs))


def user_detail(*, actor: Actor, user_id: int) -> UserRow:
    """One user with their lockout, two-factor state and API tokens (for administrators)."""
    require(actor, "user.manage")
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(MSG_NO_USER)
    row = _rows([user])[0]
    now = timezone.now()
    tokens = user.api_tokens.select_related("user", "created_by").order_by("-created_at")
    row.tokens = [TokenRow(t, t.state(now)) for t in tokens]
    return row


def api_token_list(*, actor: Actor, state: str = "") -> list[TokenRow]:
    """Every API token, newest first; `state` "active" keeps those that still authenticate,
    "ended" those revoked or expired."""
    require(actor, "apitoken.manage")
    qs = ApiToken.objects.select_related("user", "created_by").order_by("-created_at")
    now = timezone.now()
    still = Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    if state == "active":
        qs = qs.filter(still)
    elif state == "ended":
        qs = qs.exclude(still)
    return [TokenRow(t, t.state(now)) for t in qs]
