"""Session safety: sign out after a period of inactivity; insist on the second factor and on a
new password where one is due; never hand an htmx request a sign-in page to swap into the page
it came from."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import user_has_device

from irflow.accounts.selectors import second_factor_required
from irflow.lib.origin import is_machine_path

# Requests the page makes on its own (board refresh) do not count as activity.
BACKGROUND_HEADER = "HTTP_X_IRFLOW_BACKGROUND"
# What an htmx request gets instead of a sign-in page: irflow.js reads it and asks the user
# to sign in again without leaving the page (docs/architecture.md, "Forms and autosave").
AUTH_HEADER = "X-Irflow-Auth"
AUTH_SIGNED_OUT = "signed-out"
AUTH_CSRF = "csrf"
MSG_IDLE = "You were signed out after {minutes} minutes without activity."
MSG_2FA_REQUIRED = "Two-factor authentication is required for this account."
MSG_NOT_SAVED = (
    "You were signed out, so what you last sent was not saved. Sign in, then enter it again."
)
# The last activity is stored at most this often: a page view within a minute of the one
# before does not write the session row. The idle timeout is therefore exact to this much
# (docs/security.md, "Sessions").
ACTIVITY_GRANULARITY_S = 60
MSG_PASSWORD_DUE = "Choose a new password first, on /accounts/password/."  # noqa: S105
SESSION_PATH = "/accounts/session/"
PASSWORD_PATH = "/accounts/password/"  # noqa: S105 - a path
EXEMPT_PREFIXES = (
    "/static/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/2fa/",
    SESSION_PATH,
    "/health",
)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def auth_answer(status: int, marker: str) -> HttpResponse:
    """An empty answer with the `X-Irflow-Auth` marker: nothing an htmx swap could draw."""
    response = HttpResponse(status=status)
    response[AUTH_HEADER] = marker
    response["Cache-Control"] = "no-store"
    return response


def _redirect(request, url: str) -> HttpResponse:
    if is_machine_path(request.path):
        return JsonResponse({"detail": MSG_2FA_REQUIRED, "code": "second_factor"}, status=403)
    return HttpResponseRedirect(url)


def _sign_in_paths() -> tuple[str, ...]:
    return (resolve_url(settings.LOGIN_URL), reverse("otp-verify"), reverse("otp-setup"))


class SignedOutAnswerMiddleware:
    """Turn "go and sign in" into something the page can act on.

    htmx requests get 401 + `X-Irflow-Auth: signed-out` instead of a redirect (which the
    browser would follow, and htmx would draw the sign-in page inside the board). A form
    posted the ordinary way is sent to the sign-in page with a note that it was not saved,
    and back to the page it came from afterwards rather than to the address it posted to."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not isinstance(response, HttpResponseRedirect):
            return response
        target = urlsplit(response.url)
        if target.netloc or not target.path.startswith(_sign_in_paths()):
            return response
        if is_htmx(request):
            return auth_answer(401, AUTH_SIGNED_OUT)
        if request.method == "POST" and target.path == resolve_url(settings.LOGIN_URL):
            messages.warning(request, MSG_NOT_SAVED)
            referer = request.headers.get("Referer", "")
            if referer and url_has_allowed_host_and_scheme(
                referer, {request.get_host()}, require_https=request.is_secure()
            ):
                back = urlsplit(referer)
                path = back.path + (f"?{back.query}" if back.query else "")
                return HttpResponseRedirect(target.path + "?" + urlencode({"next": path}))
        return response


def activity_at_sign_in(sender, request, user, **kwargs) -> None:
    """Sign-in is activity: it is stored with the new session, which is saved anyway, so
    the first page after it need not write the session again."""
    if request is not None and hasattr(request, "session"):
        request.session["last_seen"] = int(time.time())


class IdleTimeoutMiddleware:
    """Sign out a session idle for longer than IRFLOW_IDLE_TIMEOUT_S.

    The session keeps `last_seen`, the time of the last activity, rounded to
    ACTIVITY_GRANULARITY_S: it is written when it moves on by that much, so that a page view
    does not write the session row each time (a session unchanged by a request is not saved).
    A session may therefore end up to that much earlier than the timeout, never later.
    """

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
                if request.path == SESSION_PATH:
                    # It answers for itself: "signed out", and signs in again.
                    return self.get_response(request)
                if is_machine_path(request.path):
                    return JsonResponse({"detail": "Session expired.", "code": "idle"}, status=401)
                if not is_htmx(request):
                    messages.info(request, MSG_IDLE.format(minutes=timeout // 60))
                login = reverse("login") + "?" + urlencode({"next": request.get_full_path()})
                return _redirect(request, login)
            if not request.META.get(BACKGROUND_HEADER) and (
                last is None or now - last >= ACTIVITY_GRANULARITY_S
            ):
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
            if second_factor_required(user):
                return _redirect(request, reverse("otp-setup") + "?next=" + request.path)
        return self.get_response(request)


class PasswordChangeMiddleware:
    """A user who must change their password (a temporary one from an administrator) is sent
    to the change-password page and opens nothing else until it is done. API token clients
    are not concerned: their requests carry a token, not the session."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not getattr(user, "must_change_password", False)
            or request.path.startswith((*EXEMPT_PREFIXES, PASSWORD_PATH))
        ):
            return self.get_response(request)
        if is_machine_path(request.path):
            if request.headers.get("Authorization", "").startswith("Bearer "):
                return self.get_response(request)
            return JsonResponse(
                {"detail": MSG_PASSWORD_DUE, "code": "password_change_required"}, status=403
            )
        target = PASSWORD_PATH
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if is_htmx(request):
            # htmx follows this header with a full page load: the form, not a fragment of it.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
