"""While the database is away: a calm 503, never Django's HTML 500.

`DatabaseAwayMiddleware` turns a view's database outage (`irflow.lib.outage`) into a 503 with
`Retry-After`; `server_error` (handler500) does the same for an outage met by a middleware
before any view ran (the session, the signed-in user). The API gets JSON
(`{"detail", "code": "database_unavailable"}`); a page gets a short page saying that nothing
was saved and to try again — after a form was sent, with what was typed, to copy or to send
again as it was. Both are rendered without the database (no context processors, no user).
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

from irflow.lib.origin import is_machine_path
from irflow.lib.outage import CalmLog, database_unavailable

logger = logging.getLogger("irflow.web")
outage_log = CalmLog(logger, "web")

CODE = "database_unavailable"
MSG_API = "The database is unavailable: nothing was saved. Try again in {seconds} s."
# Fields never echoed back: secrets, and the form's own token (sent again as it came).
SECRET_WORDS = ("password", "secret", "token", "otp")
CSRF_FIELD = "csrfmiddlewaretoken"


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        is_machine_path(request.path)
        or request.path == "/health"
        or ("application/json" in accept and "text/html" not in accept)
    )


def _typed(request: HttpRequest) -> list[tuple[str, str, str]]:
    """What a sent form held, field by field as (label, name, value), secrets left out
    (files cannot be kept). The label is the field's name made readable."""
    if request.method != "POST" or wants_json(request):
        return []
    try:
        data = request.POST
    except Exception:  # an unreadable body: nothing to show
        return []
    return [
        (name.replace("_", " ").strip().capitalize(), name, value)
        for name, values in data.lists()
        if name != CSRF_FIELD and not any(w in name.lower() for w in SECRET_WORDS)
        for value in values
    ]


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 for `request` while the database is away."""
    seconds = settings.IRFLOW_DB_RETRY_AFTER_S
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(
            {"detail": MSG_API.format(seconds=seconds), "code": CODE}, status=503
        )
    else:
        typed = _typed(request)
        sent = request.method not in {"GET", "HEAD", "OPTIONS"}
        csrf = request.POST.get(CSRF_FIELD, "") if sent and typed else ""
        html = loader.get_template("web/unavailable.html").render(
            {
                "sent": sent,
                "typed": typed,
                "csrf": csrf,
                "action": request.get_full_path(),
                "seconds": seconds,
                "site_name": settings.IRFLOW_SITE_NAME,
            }
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    # One calm log line per outage (irflow.lib.outage), not an error with a traceback per
    # request from django.request.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class DatabaseAwayMiddleware:
    """A view that met a database outage answers 503 (see the module's docstring)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 500:
            outage_log.back()
        return response

    def process_exception(self, request, exception):
        if not database_unavailable(exception):
            return None
        outage_log.away(exception)
        return unavailable(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage met before any view (a middleware reading the session or the
    user) is a 503 too; any other error is Django's 500 page."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        assert exc is not None
        outage_log.away(exc)
        return unavailable(request)
    return django_server_error(request)
