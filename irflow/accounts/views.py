"""Sign-in, sign-out and two-factor set-up pages; one's own account and password; the sign-in
dialog's endpoint."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import user_has_device

from irflow.accounts import services, signin
from irflow.accounts.forms import PasswordChangeForm
from irflow.accounts.middleware import AUTH_CSRF, auth_answer, is_htmx
from irflow.accounts.selectors import second_factor_satisfied
from irflow.accounts.signin import MSG_BAD_CODE
from irflow.lib.errors import ServiceError, ValidationFailed
from irflow.lib.forms import TextForm

MSG_OTHER_USER = (
    "You are now signed in as {user}. What was typed on this page by {previous} was not sent: "
    "open the start page to carry on."
)
MSG_PASSWORD_CHANGED = "Your password is changed."  # noqa: S105 - a message
# A lockout answers as the sign-in page's does.
STATUS_LOCKED = 429


class CodeForm(TextForm):
    code = forms.CharField(
        label="Six-digit code",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def _safe_next(request, default: str = "home") -> str:
    target = request.GET.get("next") or request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    if not user_has_device(request.user):
        return redirect("otp-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if signin.second_factor_verify(request=request, code=form.cleaned_data["code"]):
            return redirect(_safe_next(request))
        form.add_error("code", MSG_BAD_CODE)
    return render(request, "accounts/otp_verify.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Show a new TOTP secret (QR code and text) and confirm it with one code."""
    device = signin.second_factor_device_pending(actor=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if signin.second_factor_confirm(request=request, code=form.cleaned_data["code"]):
            messages.success(request, "Two-factor authentication is on.")
            return redirect(_safe_next(request))
        form.add_error("code", MSG_BAD_CODE)
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    secret = _base32(device.bin_key)
    return render(
        request, "accounts/otp_setup.html", {"form": form, "qr_svg": qr_svg, "secret": secret}
    )


def _base32(key: bytes) -> str:
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
def account(request):
    """The signed-in user's own page: role, credentials, privileges, two-factor status."""
    user = request.user
    profile = getattr(user, "profile", None)
    return render(
        request,
        "accounts/account.html",
        {
            "profile": profile,
            "privileges": user.privileges.order_by("category"),
            "has_2fa": user_has_device(user),
        },
    )


def show_refusal(
    form: forms.Form, exc: ServiceError, aliases: dict[str, str] | None = None
) -> None:
    """A service's refusal on `form`: each message beside its field (once), others on top;
    `aliases` renames the service's fields to the form's."""
    if not isinstance(exc, ValidationFailed):
        form.add_error(None, exc.message)
        return
    show_problems(form, {(aliases or {}).get(k, k): v for k, v in exc.errors.items()})


def show_problems(form: forms.Form, problems: dict[str, list[str]]) -> None:
    """Add what a service would refuse to what the form found itself, beside each field."""
    for field, field_messages in problems.items():
        target = field if field in form.fields else None
        if target is not None and target in form.errors:
            continue  # the form's own message says it already (e.g. "required")
        for message in field_messages:
            form.add_error(target, message)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    """Everyone changes their own password here; who must change it is sent here first
    (PasswordChangeMiddleware)."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in form.fields}
        if form.is_valid():
            try:
                user = services.password_change(actor=request.user, **values)
            except ValidationFailed as exc:
                show_refusal(form, exc)
            else:
                update_session_auth_hash(request, user)  # stays signed in
                messages.success(request, MSG_PASSWORD_CHANGED)
                return redirect(_safe_next(request))
        else:
            show_problems(form, services.password_change_problems(actor=request.user, **values))
    status = 422 if form.errors else 200
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "next": _safe_next(request, "")},
        status=status,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused CSRF token: htmx requests get the `X-Irflow-Auth: csrf` marker (irflow.js
    fetches a fresh token or asks the user to sign in again); anything else Django's page."""
    if is_htmx(request):
        return auth_answer(403, AUTH_CSRF)
    return django_csrf_failure(request, reason)


def _session_state(request: HttpRequest, **extra) -> JsonResponse:
    user = request.user
    signed_in = user.is_authenticated and second_factor_satisfied(user)
    return JsonResponse(
        {
            "signed_in": signed_in,
            "username": user.get_username() if signed_in else "",
            "name": str(user) if signed_in else "",
            "csrf_token": get_token(request),
            **extra,
        }
    )


@never_cache
@require_http_methods(["GET", "POST"])
def session(request: HttpRequest) -> HttpResponse:
    """The sign-in dialog: GET says who is signed in, with a fresh CSRF token; POST signs in
    again (username, password, code) and says whether it is the user the page belongs to
    (`expected`), so that the page re-sends only that user's work."""
    if request.method == "GET":
        return _session_state(request)
    try:
        user = signin.session_sign_in(
            request=request,
            username=request.POST.get("username", ""),
            password=request.POST.get("password", ""),
            code=request.POST.get("code", ""),
        )
    except ServiceError as exc:
        locked = exc.code == "locked"
        # This view answers the lockout itself, as JSON the dialog shows, not axes' page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        return JsonResponse(
            {**exc.as_dict(), "csrf_token": get_token(request)},
            status=STATUS_LOCKED if locked else exc.status_code,
        )
    expected = request.POST.get("expected", "")
    if expected and expected != user.get_username():
        return _session_state(
            request,
            same_user=False,
            detail=MSG_OTHER_USER.format(user=user, previous=expected),
        )
    return _session_state(request, same_user=True)
