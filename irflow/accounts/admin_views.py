"""The administrator's pages for people: users (create, role, activate, unlock, reset the
second factor and the password) and API tokens (create, revoke). Thin: the services decide,
and refuse whom the matrix refuses; a secret is shown once, on the answer that made it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from irflow.accounts import selectors, services
from irflow.accounts.forms import (
    TokenCreateForm,
    TokenFilterForm,
    UserCreateForm,
    UserFilterForm,
    UserPasswordResetForm,
    UserRoleForm,
)
from irflow.accounts.models import User
from irflow.accounts.permissions import can, require
from irflow.accounts.views import show_problems, show_refusal
from irflow.lib.errors import ServiceError, ValidationFailed

MSG_CREATED = "{user} can now sign in."
MSG_ROLE = "{user} is now {role}."
MSG_ACTIVATED = "{user} can sign in again."
MSG_DEACTIVATED = "{user} can no longer sign in; their API tokens stop working too."
MSG_UNLOCKED = "{user} may try to sign in again."
MSG_SECOND_FACTOR_RESET = "{user}'s authenticator is removed: they set up a new one when asked."
MSG_PASSWORD_DUE = "{user} must choose a new password at their next sign-in."  # noqa: S105
MSG_PASSWORD_NOT_DUE = "{user} no longer has to change their password."  # noqa: S105
MSG_PASSWORD_SET = "{user} has a temporary password: they choose their own at next sign-in."  # noqa: S105
MSG_TOKEN_REVOKED = "Token “{name}” revoked: it no longer works."  # noqa: S105 - a message


def _secret_page(request, template: str, context: dict):
    """A page that shows a password or token once: never cached, never stored in the session."""
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


@login_required
def users(request):
    """Every user, filtered by role, state or text, with their lockout and second factor."""
    filters = UserFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.user_list(
        actor=request.user,
        role=data.get("role", ""),
        active=filters.active() if filters.is_bound else None,
        q=data.get("q", ""),
    )
    return render(
        request,
        "accounts/admin_users.html",
        {"rows": rows, "filters": filters, "can_tokens": can(request.user, "apitoken.manage")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_new(request):
    """Create a user with a role and a password: the administrator's, or one made up and
    shown once; by default they must change it at their first sign-in."""
    require(request.user, "user.manage")  # the empty form too
    form = UserCreateForm(request.POST or None)
    if request.method == "POST":
        fields = {
            name: request.POST.get(name, "")
            for name in ("username", "first_name", "last_name", "display_name", "email", "role")
        }
        password = request.POST.get("password", "")
        if form.is_valid():
            generated = "" if password else services.password_generate()
            try:
                user = services.user_create(
                    actor=request.user,
                    password=password or generated,
                    must_change_password=form.cleaned_data["must_change_password"],
                    **fields,
                )
            except ValidationFailed as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, MSG_CREATED.format(user=user))
                if generated:
                    return _secret_page(
                        request,
                        "accounts/admin_user_password.html",
                        {"shown": user, "password": generated, "created": True},
                    )
                return redirect("admin-user", user_id=user.pk)
        else:
            problems = services.user_create_problems(
                actor=request.user, password=password, **fields
            )
            show_problems(form, problems)
    status = 422 if form.errors else 200
    return render(request, "accounts/admin_user_new.html", {"form": form}, status=status)


def _user_page(request, user_id: int, *, status: int = 200, **forms):
    row = selectors.user_detail(actor=request.user, user_id=user_id)
    shown = row.user
    context = {
        "row": row,
        "shown": shown,
        "is_self": shown.pk == request.user.pk,
        "role_form": forms.get("role_form") or UserRoleForm(initial={"role": shown.role}),
        "password_form": forms.get("password_form") or UserPasswordResetForm(),
        "can_tokens": can(request.user, "apitoken.manage"),
        "now": timezone.now(),
    }
    return render(request, "accounts/admin_user.html", context, status=status)


@login_required
def user_page(request, user_id: int):
    """One user: who they are, their state, and what the administrator may do about it."""
    return _user_page(request, user_id)


def _acted(request, user_id: int, call, message: str):
    """Run a service on user `user_id`; say what happened, or why it was refused, above the
    user's page."""
    try:
        user = call()
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    except ServiceError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        shown = user if isinstance(user, User) else User.objects.get(pk=user_id)
        messages.success(request, message.format(user=shown, role=shown.role_label))
    return redirect("admin-user", user_id=user_id)


@login_required
@require_POST
def user_role(request, user_id: int):
    form = UserRoleForm(request.POST)
    if not form.is_valid():
        return _user_page(request, user_id, status=422, role_form=form)
    return _acted(
        request,
        user_id,
        lambda: services.user_role_set(
            actor=request.user, user_id=user_id, role=form.cleaned_data["role"]
        ),
        MSG_ROLE,
    )


@login_required
@require_POST
def user_active(request, user_id: int):
    active = request.POST.get("active") == "1"
    return _acted(
        request,
        user_id,
        lambda: services.user_active_set(actor=request.user, user_id=user_id, active=active),
        MSG_ACTIVATED if active else MSG_DEACTIVATED,
    )


@login_required
@require_POST
def user_unlock(request, user_id: int):
    return _acted(
        request,
        user_id,
        lambda: services.user_unlock(actor=request.user, user_id=user_id),
        MSG_UNLOCKED,
    )


@login_required
@require_POST
def user_second_factor_reset(request, user_id: int):
    return _acted(
        request,
        user_id,
        lambda: services.user_second_factor_reset(actor=request.user, user_id=user_id),
        MSG_SECOND_FACTOR_RESET,
    )


@login_required
@require_POST
def user_password_due(request, user_id: int):
    required = request.POST.get("required") == "1"
    return _acted(
        request,
        user_id,
        lambda: services.user_password_change_require(
            actor=request.user, user_id=user_id, required=required
        ),
        MSG_PASSWORD_DUE if required else MSG_PASSWORD_NOT_DUE,
    )


@login_required
@require_POST
def user_password_reset(request, user_id: int):
    """A temporary password, the administrator's or made up (shown once)."""
    form = UserPasswordResetForm(request.POST)
    form.is_valid()
    password = request.POST.get("password", "")
    try:
        temporary = services.user_password_reset(
            actor=request.user, user_id=user_id, password=password
        )
    except ValidationFailed as exc:
        show_refusal(form, exc)
        return _user_page(request, user_id, status=422, password_form=form)
    shown = User.objects.get(pk=user_id)
    messages.success(request, MSG_PASSWORD_SET.format(user=shown))
    if password:
        return redirect("admin-user", user_id=user_id)
    return _secret_page(
        request, "accounts/admin_user_password.html", {"shown": shown, "password": temporary}
    )


@login_required
def tokens(request):
    """Every API token: whose, for what, its scope, expiry, last use; revoke those working."""
    filters = TokenFilterForm(request.GET or None)
    state = filters.cleaned_data.get("state", "") if filters.is_valid() else ""
    rows = selectors.api_token_list(actor=request.user, state=state)
    return render(
        request,
        "accounts/admin_tokens.html",
        {"rows": rows, "filters": filters, "now": timezone.now()},
    )


def _end_of(day) -> datetime:
    """The last moment of `day` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.max))


@login_required
@require_http_methods(["GET", "POST"])
def token_new(request):
    """Create a token for a user, with a scope and an expiry; its secret is shown once."""
    require(request.user, "apitoken.manage")  # the empty form too
    today = timezone.localdate()
    initial: dict[str, object] = {"expires_on": today + timedelta(days=365)}
    if request.GET.get("user", "").isdigit():
        initial["user"] = int(request.GET["user"])
    form = TokenCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        try:
            token, plain = services.api_token_create(
                actor=request.user,
                user_id=form.cleaned_data["user"].pk,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=_end_of(expires_on) if expires_on else None,
            )
        except ValidationFailed as exc:
            show_refusal(form, exc, aliases={"expires_at": "expires_on"})
        else:
            return _secret_page(
                request, "accounts/admin_token_created.html", {"token": token, "plain": plain}
            )
    status = 422 if form.errors else 200
    return render(request, "accounts/admin_token_new.html", {"form": form}, status=status)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        token = services.api_token_revoke(actor=request.user, token_id=token_id)
    except ServiceError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, MSG_TOKEN_REVOKED.format(name=token.name))
    back = request.POST.get("back", "")
    if back.startswith("/administration/") and "//" not in back:
        return redirect(back)
    return redirect(reverse("admin-tokens"))
