"""Record each HTTP request's origin (channel, client address, path) for the access log, and
log a refused read that no selector logged."""

from __future__ import annotations

from irflow.audit.services import access_log_refused, refusals_write_pending
from irflow.lib.origin import origin

READS = frozenset({"GET", "HEAD"})
REFUSALS = {403: "refused read (403)", 404: "refused read (404)"}


class RequestContextMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        channel = (
            "fhir" if path.startswith("/fhir/") else "api" if path.startswith("/api/") else "web"
        )
        # REMOTE_ADDR only: X-Forwarded-For is trusted only when a proxy is configured.
        remote = request.META.get("REMOTE_ADDR", "")
        with origin(channel, remote, path, collect_refusals=True):
            response = self.get_response(request)
            self._log_refusal(request, response)
            return response

    @staticmethod
    def _log_refusal(request, response) -> None:
        """A signed-in reader refused a page or API route (the matrix refused the role, or the
        record is missing or outside their scope): the attempt goes to the access log, unless
        the selector that refused it logged it already, with its patient. Addresses that are
        no page of irflow's (no route matched) are not reads."""
        if refusals_write_pending():
            return
        what = REFUSALS.get(response.status_code)
        if what is None or request.method not in READS:
            return
        if getattr(request, "resolver_match", None) is None:
            return
        actor = getattr(request, "auth", None) or getattr(request, "user", None)
        if actor is None or not getattr(actor, "is_authenticated", False):
            return
        access_log_refused(actor=actor, what=what)
        refusals_write_pending()
