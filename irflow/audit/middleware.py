"""Record each HTTP request's origin (channel, client address, path) for the access log."""

from __future__ import annotations

from irflow.lib.origin import origin


class RequestContextMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        channel = (
            "fhir" if path.startswith("/fhir/") else "api" if path.startswith("/api/") else "web"
        )
        # REMOTE_ADDR only: X-Forwarded-For is trusted only when a proxy is configured.
        with origin(channel, request.META.get("REMOTE_ADDR", ""), path):
            return self.get_response(request)
