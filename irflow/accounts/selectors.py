"""Reads about people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from irflow.accounts.actors import Actor
from irflow.accounts.models import ApiToken, Certification, Privilege, User
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


# Certifications and privileges: how far ahead they are flagged as soon expiring.
EXPIRY_WARNING_DAYS = 60


@dataclass(frozen=True)
class CredentialFlag:
    """A certification or privilege expired or soon expiring, in words."""

    user_id: int
    what: str
    expires_on: date
    expired: bool

    @property
    def words(self) -> str:
        verb = "expired on" if self.expired else "expires on"
        return f"{self.what} {verb} {self.expires_on:%d %b %Y}"


def _latest_certifications(user_ids: Iterable[int]) -> list[Certification]:
    latest: dict[tuple[int, str], Certification] = {}
    for cert in Certification.objects.filter(user_id__in=list(user_ids)).order_by(
        "obtained_on", "pk"
    ):
        latest[(cert.user_id, cert.kind)] = cert
    return list(latest.values())


def _certification_flags(
    user_ids: Iterable[int], on: date, days: int = EXPIRY_WARNING_DAYS
) -> list[CredentialFlag]:
    horizon = on + timedelta(days=days)
    return [
        CredentialFlag(c.user_id, c.get_kind_display(), c.expires_on, c.expires_on < on)
        for c in _latest_certifications(user_ids)
        if c.expires_on is not None and c.expires_on <= horizon
    ]


def credential_flags(*, actor: Actor, user_ids: Iterable[int], on: date) -> dict[int, list[str]]:
    """For each of `user_ids` with one: the words of their expired or soon expiring (within
    EXPIRY_WARNING_DAYS of `on`) certifications, their latest of each kind. A flag, never a
    block: booking goes on (docs/training-and-credentials.md)."""
    require(actor, "credential.view")
    flags: dict[int, list[str]] = {}
    for flag in sorted(_certification_flags(user_ids, on), key=lambda f: f.expires_on):
        flags.setdefault(flag.user_id, []).append(flag.words)
    return flags


@dataclass(frozen=True)
class ExpiringRow:
    user: User
    what: str
    expires_on: date
    expired: bool
    privilege_id: int | None = None


def credentials_expiring(
    *, actor: Actor, on: date, days: int = EXPIRY_WARNING_DAYS
) -> list[ExpiringRow]:
    """The certifications (latest of each kind) and held privileges of active staff that
    expired or expire within `days` of `on`, soonest first (the administrator's list)."""
    require(actor, "user.manage")
    users = {u.pk: u for u in User.objects.filter(is_active=True).exclude(role="")}
    rows = [
        ExpiringRow(users[f.user_id], f.what, f.expires_on, f.expired)
        for f in _certification_flags(users, on, days)
    ]
    horizon = on + timedelta(days=days)
    privileges = Privilege.objects.filter(
        user_id__in=list(users), expires_at__isnull=False, expires_at__lte=horizon
    ).filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=on))
    rows += [
        ExpiringRow(
            users[p.user_id],
            f"Privilege: {p.get_category_display()}",
            p.expires_at,
            p.expires_at < on,
            p.pk,
        )
        for p in privileges
        if p.expires_at is not None
    ]
    return sorted(rows, key=lambda r: (r.expires_on, str(r.user)))


def credentials_of(
    *, actor: Actor, user_id: int
) -> tuple[User, list[Privilege], list[Certification]]:
    """A person's privileges (every category ever granted) and certifications (all, newest
    first), for the administrator."""
    require(actor, "user.manage")
    user = User.objects.filter(pk=user_id).select_related("profile").first()
    if user is None:
        raise NotFound(MSG_NO_USER)
    privileges = list(
        user.privileges.select_related("granted_by", "revoked_by").order_by("category")
    )
    certifications = list(
        user.certifications.select_related("recorded_by").order_by("kind", "-obtained_on", "-pk")
    )
    return user, privileges, certifications
