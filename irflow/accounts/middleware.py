"""Session safety: sign out after a period of inactivity; insist on the second factor."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

from irflow.accounts.roles import Role

# Requests the page makes on its own (board refresh) do not count as activity.
BACKGROUND_HEADER = "HTTP_X_IRFLOW_BACKGROUND"
MSG_IDLE = "You were signed out after {minutes} minutes without activity."
MSG_2FA_REQUIRED = "Two-factor authentication is required for this account."
EXEMPT_PREFIXES = ("/static/", "/accounts/login/", "/accounts/logout/", "/accounts/2fa/", "/health")


def _redirect(request, url: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": MSG_2FA_REQUIRED, "code": "second_factor"}, status=403)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class IdleTimeoutMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen")
            timeout = settings.IRFLOW_IDLE_TIMEOUT_S
            if last is not None and now - last > timeout:
                logout(request)
                messages.info(request, MSG_IDLE.format(minutes=timeout // 60))
                login = reverse("login") + "?" + urlencode({"next": request.get_full_path()})
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Session expired.", "code": "idle"}, status=401)
                return _redirect(request, login)
            if not request.META.get(BACKGROUND_HEADER):
                request.session["last_seen"] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not user.is_verified()
        ):
            if user_has_device(user):
                return _redirect(request, reverse("otp-verify") + "?next=" + request.path)
            if settings.IRFLOW_REQUIRE_2FA_FOR_ADMINS and (
                user.role == Role.ADMIN or user.is_superuser
            ):
                return _redirect(request, reverse("otp-setup"))
        return self.get_response(request)
