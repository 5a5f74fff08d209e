"""Sign-in, sign-out and two-factor set-up pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

MSG_BAD_CODE = "That code is not valid. Check the time on your phone and try again."


class CodeForm(forms.Form):
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
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    if not devices:
        return redirect("otp-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if device.verify_token(form.cleaned_data["code"]):
                otp_login(request, device)
                return redirect(_safe_next(request))
        form.add_error("code", MSG_BAD_CODE)
    return render(request, "accounts/otp_verify.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Show a new TOTP secret (QR code and text) and confirm it with one code."""
    import segno

    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name="Authenticator app", confirmed=False
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Two-factor authentication is on.")
            return redirect("home")
        form.add_error("code", MSG_BAD_CODE)
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    secret = _base32(device.bin_key)
    return render(
        request, "accounts/otp_setup.html", {"form": form, "qr_svg": qr_svg, "secret": secret}
    )


def _base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
def account(request):
    """The signed-in user's own page: role, credentials, privileges, two-factor status."""
    from django_otp import user_has_device

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
