"""HTTP concerns of every answer: a service's refusal that escaped a view becomes the right
answer; requests larger than the site allows are refused before anything reads them; nothing
irflow draws may be kept by a cache."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from irflow.lib.errors import Forbidden, NotFound
from irflow.lib.origin import is_machine_path
from irflow.lib.text import human_size

MSG_UPLOAD_TOO_BIG = (
    "The request is {size}, more than the {limit} one request may carry (files included). "
    "Send fewer or smaller files at a time."
)


class ServiceErrorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Forbidden):
            return render(request, "403.html", {"message": exception.message}, status=403)
        if isinstance(exception, NotFound):
            return render(request, "404.html", {"message": exception.message}, status=404)
        return None


# Answers that hold nothing about a patient and may be kept by a browser or a proxy: the
# liveness probe (static files never reach this middleware: WhiteNoise answers them first).
CACHEABLE_PATHS = ("/health", "/static/")


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer irflow draws (pages, API answers, report PDFs,
    exports, redirects, errors), so that no browser cache, back button or shared proxy keeps a
    copy of patient data; `Pragma: no-cache` for HTTP/1.0 proxies. Only the paths in
    CACHEABLE_PATHS are left alone. A view's own stricter header ("private, no-store") stays."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(CACHEABLE_PATHS):
            return response
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


class RequestSizeMiddleware:
    """Refuse (413) a request whose body, uploaded files included, is larger than
    `IRFLOW_MAX_UPLOAD_BYTES`, before anything reads it. Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    counts only the form fields of a multipart body, not its files; the body Django reads is
    never longer than CONTENT_LENGTH (a body without one is read as empty), so that header is
    the whole of it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        limit = settings.IRFLOW_MAX_UPLOAD_BYTES
        if size > limit:
            message = MSG_UPLOAD_TOO_BIG.format(size=human_size(size), limit=human_size(limit))
            if is_machine_path(request.path):
                return JsonResponse(
                    {"detail": message, "code": "too_large", "limit": limit}, status=413
                )
            return render(request, "web/413.html", {"message": message}, status=413)
        return self.get_response(request)
