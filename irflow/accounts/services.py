"""Writes about people: users, their roles, credentials and privileges, API tokens (signing in:
`irflow.accounts.signin`; passwords: `irflow.accounts.passwords`)."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from auditlog.models import LogEntry
from axes.utils import reset as axes_reset
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user

from irflow.accounts.actors import Actor, person, person_only
from irflow.accounts.models import (
    ApiToken,
    Certification,
    CertificationKind,
    Privilege,
    StaffProfile,
    TokenScope,
    User,
)
from irflow.accounts.passwords import password_check, password_generate
from irflow.accounts.permissions import require
from irflow.accounts.roles import PERSON_ROLES, Role
from irflow.accounts.selectors import MSG_NO_USER, second_factor_required
from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES
from irflow.lib.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    from_django_validation,
)
from irflow.lib.history import history_actor

MSG_USERNAME_TAKEN = "This username is already taken."
MSG_TOKEN_INVALID = "The API token is invalid or revoked."  # noqa: S105 - a message
MSG_NOT_A_ROLE = "“{role}” is not a role."
MSG_LAST_ADMIN = (
    "{user} is the last active administrator: give another active user the administrator "
    "role first."
)
MSG_NOT_YOURSELF = "You cannot deactivate your own account: ask another administrator."
MSG_CURRENT_PASSWORD = "This is not your current password."  # noqa: S105 - a message
MSG_PASSWORDS_DIFFER = "The two new passwords differ: type the same one twice."
MSG_SAME_PASSWORD = "Choose a password other than your current one."  # noqa: S105 - a message
MSG_TOKEN_NAME = "Say what the token is for (e.g. “HL7 engine”)."  # noqa: S105 - a message
MSG_TOKEN_SCOPE = "Choose read only, or read and write."  # noqa: S105 - a message
MSG_TOKEN_EXPIRED = "The expiry must be in the future."  # noqa: S105 - a message
MSG_TOKEN_USER_INACTIVE = "{user} is deactivated: a token for them would not work."  # noqa: S105
MSG_TOKEN_PRIVILEGED = (
    "{user} is an administrator, who signs in with a second factor; an API token cannot ask "  # noqa: S105
    "for one. Give the integration a user of its own (role Integration)."
)
MSG_TOKEN_PRIVILEGED_REFUSED = (
    "API tokens of administrators are refused: an administrator signs in with a second "  # noqa: S105
    "factor. Use a token of an integration user."
)
MSG_TOKEN_ALREADY_REVOKED = "This token was already revoked."  # noqa: S105 - a message
MSG_TOKEN_READ_ONLY = (
    "This API token may only read (scope: read only); ask an administrator for a token that "  # noqa: S105
    "may write."
)
# The fields of the history notes written for changes no model field shows (auditlog keeps
# no password, and neither the lockout nor the authenticators are the user's fields).
NOTE_PASSWORD = "password"  # noqa: S105 - a field name in the history
NOTE_LOCKOUT = "sign-in lockout"
NOTE_SECOND_FACTOR = "two-factor authenticators"


def _history_note(actor: Actor, user: User, changes: dict[str, list[str]]) -> None:
    """Write a change that no field of `user` records into its history."""
    with history_actor(actor):
        LogEntry.objects.log_create(
            user, force_log=True, action=LogEntry.Action.UPDATE, changes=changes
        )


def _new_user(
    *,
    username: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    display_name: str = "",
    must_change_password: bool = False,
) -> User:
    return User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        display_name=display_name,
        is_staff=role == Role.ADMIN,
        must_change_password=must_change_password,
    )


def _user_problems(user: User, password: str | None, *, check_password: bool) -> dict:
    """Every reason to refuse `user` (unsaved) with `password`, by field."""
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        errors.update(from_django_validation(exc).errors)
    if user.role not in dict(PERSON_ROLES):
        errors["role"] = [MSG_NOT_A_ROLE.format(role=user.role)]
    if user.username and User.objects.filter(username__iexact=user.username).exists():
        errors["username"] = [MSG_USERNAME_TAKEN]
    if password and check_password:
        try:
            password_check(password, user)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    return errors


def user_create_problems(
    *,
    actor: Actor,
    username: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    display_name: str = "",
) -> dict[str, list[str]]:
    """What `user_create` would refuse, by field, without creating anything (a form shows
    these beside its own, all at once)."""
    require(actor, "user.manage")
    user = _new_user(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        display_name=display_name,
    )
    return _user_problems(user, password, check_password=True)


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
    must_change_password: bool = False,
    **profile: str,
) -> User:
    """Create a user with a role and a staff profile (set-up commands: the system actor).

    The password must satisfy the site's policy; only the demo and the tests, which say so
    with `check_password=False`, create users whose password does not. No password: the user
    cannot sign in until an administrator gives them one."""
    require(actor, "user.manage")
    user = _new_user(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        display_name=display_name,
        must_change_password=must_change_password,
    )
    errors = _user_problems(user, password, check_password=check_password)
    if errors:
        raise ValidationFailed(errors)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    with history_actor(actor):
        user.save()
        StaffProfile.objects.create(user=user, **profile)
    return user


MSG_PRIVILEGE_DATES = "The expiry must come after the day of the grant."
MSG_NO_PRIVILEGE = "This privilege does not exist."
MSG_NOT_PHYSICIAN = "The granting physician must be an active IR physician."
MSG_REVOKE_REASON = "Say why the privilege is revoked."
MSG_CATEGORY = "“{category}” is not a procedure category."
MSG_CERT_KIND = "“{kind}” is not a kind of certification."
MSG_CERT_DATES = "The expiry must come after the day it was obtained."


def _granting_physician(actor: Actor, granted_by_id: int | None) -> User | None:
    if granted_by_id is None:
        return person(actor)
    physician = User.objects.filter(pk=granted_by_id, is_active=True, role=Role.PHYSICIAN).first()
    if physician is None:
        raise _refuse("granted_by", MSG_NOT_PHYSICIAN)
    return physician


@transaction.atomic
def privilege_grant(
    *,
    actor: Actor,
    user_id: int,
    category: str,
    granted_at: date,
    expires_at: date | None = None,
    granted_by_id: int | None = None,
) -> Privilege:
    """Grant user `user_id` the privilege to perform procedures of `category` from
    `granted_at` (until `expires_at`, if given), granted by physician `granted_by_id` (else the
    actor). Granting again replaces the dates and clears a revocation; the history keeps both."""
    require(actor, "user.manage")
    if category not in PROCEDURE_CATEGORIES:
        raise _refuse("category", MSG_CATEGORY.format(category=category))
    if expires_at is not None and expires_at <= granted_at:
        raise _refuse("expires_at", MSG_PRIVILEGE_DATES)
    user = _user_for_update(user_id)
    granted_by = _granting_physician(actor, granted_by_id)
    with history_actor(actor):
        privilege, _ = Privilege.objects.update_or_create(
            user=user,
            category=category,
            defaults={
                "granted_at": granted_at,
                "granted_by": granted_by,
                "expires_at": expires_at,
                "revoked_at": None,
                "revoked_by": None,
                "revoke_reason": "",
            },
        )
    return privilege


def _privilege_for_update(privilege_id: int) -> Privilege:
    privilege = Privilege.objects.select_for_update().filter(pk=privilege_id).first()
    if privilege is None:
        raise NotFound(MSG_NO_PRIVILEGE)
    return privilege


@transaction.atomic
def privilege_renew(
    *,
    actor: Actor,
    privilege_id: int,
    renewed_on: date,
    expires_at: date | None,
    granted_by_id: int | None = None,
) -> Privilege:
    """Renew a privilege from `renewed_on` until `expires_at` (None: without end), granted by
    physician `granted_by_id` (else the actor); a revoked privilege is held again."""
    require(actor, "user.manage")
    privilege = _privilege_for_update(privilege_id)
    return privilege_grant(
        actor=actor,
        user_id=privilege.user_id,
        category=privilege.category,
        granted_at=renewed_on,
        expires_at=expires_at,
        granted_by_id=granted_by_id,
    )


@transaction.atomic
def privilege_revoke(*, actor: Actor, privilege_id: int, on: date, reason: str) -> Privilege:
    """Revoke a privilege from day `on`, with the reason (kept with the history)."""
    require(actor, "user.manage")
    if not reason.strip():
        raise _refuse("reason", MSG_REVOKE_REASON)
    privilege = _privilege_for_update(privilege_id)
    privilege.revoked_at = on
    privilege.revoked_by = person(actor)
    privilege.revoke_reason = reason.strip()[:300]
    with history_actor(actor):
        privilege.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    return privilege


@transaction.atomic
def certification_record(
    *,
    actor: Actor,
    user_id: int,
    kind: str,
    obtained_on: date,
    expires_on: date | None,
    note: str = "",
) -> Certification:
    """Record a certification (or its renewal: a new row; the earlier ones stay)."""
    require(actor, "user.manage")
    if kind not in CertificationKind.values:
        raise _refuse("kind", MSG_CERT_KIND.format(kind=kind))
    if expires_on is not None and expires_on < obtained_on:
        raise _refuse("expires_on", MSG_CERT_DATES)
    user = _user_for_update(user_id)
    with history_actor(actor):
        return Certification.objects.create(
            user=user,
            kind=kind,
            obtained_on=obtained_on,
            expires_on=expires_on,
            note=note.strip()[:300],
            recorded_by=person(actor),
        )


def user_holds_privilege(*, user: User, category: str, on: date) -> bool:
    """True when `user` holds a privilege for `category` on day `on`: granted, not expired,
    not revoked."""
    return (
        Privilege.objects.filter(user=user, category=category, granted_at__lte=on)
        .exclude(expires_at__lt=on)
        .exclude(revoked_at__lte=on)
        .exists()
    )


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: message}, message=message)


def _user_for_update(user_id: int) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(MSG_NO_USER)
    return user


def _last_admin(user: User) -> bool:
    """`user` is the only active administrator (the others locked until the change is made,
    so that two administrators cannot each remove the other)."""
    others = User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True)
    return user.role == Role.ADMIN and user.is_active and not others.exclude(pk=user.pk).exists()


@transaction.atomic
def user_update(
    *,
    actor: Actor,
    user_id: int,
    first_name: str,
    last_name: str,
    display_name: str = "",
    email: str = "",
) -> User:
    """Change user `user_id`'s name and e-mail address."""
    require(actor, "user.manage")
    user = _user_for_update(user_id)
    user.first_name, user.last_name = first_name, last_name
    user.display_name, user.email = display_name, email
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
    with history_actor(actor):
        user.save(update_fields=["first_name", "last_name", "display_name", "email"])
    return user


@transaction.atomic
def user_role_set(*, actor: Actor, user_id: int, role: str) -> User:
    """Give user `user_id` another role; the last active administrator keeps theirs."""
    require(actor, "user.manage")
    user = _user_for_update(user_id)
    if role not in dict(PERSON_ROLES):
        raise _refuse("role", MSG_NOT_A_ROLE.format(role=role))
    if role != Role.ADMIN and _last_admin(user):
        raise _refuse("role", MSG_LAST_ADMIN.format(user=user))
    user.role = role
    user.is_staff = role == Role.ADMIN
    with history_actor(actor):
        user.save(update_fields=["role", "is_staff"])
    return user


@transaction.atomic
def user_active_set(*, actor: Actor, user_id: int, active: bool) -> User:
    """Let user `user_id` sign in again, or no more (their sessions and API tokens stop
    working at once). Nobody deactivates themselves or the last active administrator."""
    require(actor, "user.manage")
    user = _user_for_update(user_id)
    if not active:
        if user.pk == getattr(person(actor), "pk", None):
            raise _refuse("is_active", MSG_NOT_YOURSELF)
        if _last_admin(user):
            raise _refuse("is_active", MSG_LAST_ADMIN.format(user=user))
    user.is_active = active
    with history_actor(actor):
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_unlock(*, actor: Actor, user_id: int) -> int:
    """Lift the lockout after repeated failed sign-ins (django-axes' failed attempts of the
    username are forgotten); how many attempt records went."""
    require(actor, "user.manage")
    user = _user_for_update(user_id)
    removed = axes_reset(username=user.username)
    if removed:
        _history_note(actor, user, {NOTE_LOCKOUT: ["locked", "unlocked"]})
    return removed


@transaction.atomic
def user_second_factor_reset(*, actor: Actor, user_id: int) -> int:
    """Remove every authenticator of user `user_id` (a lost phone): they sign in with their
    password and set one up again where it is required. How many were removed."""
    require(actor, "user.manage")
    user = _user_for_update(user_id)
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    if devices:
        _history_note(actor, user, {NOTE_SECOND_FACTOR: [str(len(devices)), "0"]})
    return len(devices)


@transaction.atomic
def user_password_reset(*, actor: Actor, user_id: int, password: str = "") -> str:
    """Give user `user_id` a temporary password (`password`, or one generated) that they must
    change at their next sign-in; returned so that it can be shown once."""
    require(actor, "user.manage")
    user = _user_for_update(user_id)
    if password:
        password_check(password, user)
    temporary = password or password_generate(user)
    user.set_password(temporary)
    user.must_change_password = True
    with history_actor(actor):
        user.save(update_fields=["password", "must_change_password"])
    _history_note(actor, user, {NOTE_PASSWORD: ["", "temporary, set by an administrator"]})
    return temporary


@transaction.atomic
def user_password_change_require(*, actor: Actor, user_id: int, required: bool = True) -> User:
    """Send user `user_id` to choose a new password at their next request (or no more)."""
    require(actor, "user.manage")
    user = _user_for_update(user_id)
    user.must_change_password = required
    with history_actor(actor):
        user.save(update_fields=["must_change_password"])
    return user


def password_change_problems(
    *, actor: Actor, current_password: str, new_password: str, new_password_again: str
) -> dict[str, list[str]]:
    """What `password_change` would refuse, by field, without changing anything."""
    user = person_only(actor)
    errors: dict[str, list[str]] = {}
    if not user.check_password(current_password):
        errors["current_password"] = [MSG_CURRENT_PASSWORD]
    if new_password != new_password_again:
        errors["new_password_again"] = [MSG_PASSWORDS_DIFFER]
    if new_password and new_password == current_password:
        errors["new_password"] = [MSG_SAME_PASSWORD]
    else:
        try:
            password_check(new_password, user, field="new_password")
        except ValidationFailed as exc:
            errors.update(exc.errors)
    return errors


@transaction.atomic
def password_change(
    *, actor: Actor, current_password: str, new_password: str, new_password_again: str
) -> User:
    """A person changes their own password (any role); the site's policy applies. Clears
    "must change password"."""
    user = _user_for_update(person_only(actor).pk)
    errors = password_change_problems(
        actor=user,
        current_password=current_password,
        new_password=new_password,
        new_password_again=new_password_again,
    )
    if errors:
        raise ValidationFailed(errors)
    user.set_password(new_password)
    user.must_change_password = False
    with history_actor(actor):
        user.save(update_fields=["password", "must_change_password"])
    _history_note(actor, user, {NOTE_PASSWORD: ["", "changed by its owner"]})
    return user


@transaction.atomic
def api_token_create(
    *,
    actor: Actor,
    user_id: int,
    name: str,
    scope: str = TokenScope.FULL,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for user `user_id`, acting with their role, limited to `scope`, until
    `expires_at` (None: until revoked). The plain token is returned once and never stored."""
    require(actor, "apitoken.manage")
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(MSG_NO_USER)
    errors: dict[str, str] = {}
    if not name.strip() or len(name.strip()) > ApiToken.NAME_MAX_LENGTH:
        errors["name"] = MSG_TOKEN_NAME
    if scope not in TokenScope.values:
        errors["scope"] = MSG_TOKEN_SCOPE
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = MSG_TOKEN_EXPIRED
    if not user.is_active:
        errors["user"] = MSG_TOKEN_USER_INACTIVE.format(user=user)
    elif second_factor_required(user):
        errors["user"] = MSG_TOKEN_PRIVILEGED.format(user=user)
    if errors:
        raise ValidationFailed(errors)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with history_actor(actor):
        token = ApiToken.objects.create(
            user=user,
            name=name.strip(),
            key_id=key_id,
            secret_sha256=ApiToken.hash_secret(secret),
            created_by=person(actor),
            scope=scope,
            expires_at=expires_at,
        )
    return token, f"{ApiToken.PREFIX}_{key_id}_{secret}"


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token: it authenticates no more."""
    require(actor, "apitoken.manage")
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound(MSG_TOKEN_INVALID)
    if token.revoked_at is not None:
        raise Conflict(MSG_TOKEN_ALREADY_REVOKED)
    token.revoked_at = timezone.now()
    with history_actor(actor):
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(raw: str, *, write: bool = False) -> User | None:
    """Return the active user behind a bearer token, or None (unknown, revoked, expired).
    Constant-time comparison. A read-only token asked to `write` is refused (Forbidden)."""
    try:
        prefix, key_id, secret = raw.strip().split("_", 2)
    except ValueError:
        return None
    if prefix != ApiToken.PREFIX:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_id=key_id, revoked_at__isnull=True)
        .exclude(expires_at__lte=now)
        .first()
    )
    if token is None or not secrets.compare_digest(
        token.secret_sha256, ApiToken.hash_secret(secret)
    ):
        return None
    if not token.user.is_active:
        return None
    if second_factor_required(token.user):
        # Made before the rule, or before the user became an administrator.
        raise Forbidden(MSG_TOKEN_PRIVILEGED_REFUSED, code="token_privileged_user")
    if write and token.scope == TokenScope.READ:
        raise Forbidden(MSG_TOKEN_READ_ONLY, code="token_read_only")
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
