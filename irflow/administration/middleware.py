"""The first run: while no administrator exists, the sign-in page (where every first visit
lands) leads to the page that creates one instead."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, resolve_url

from irflow.administration.services import administrator_exists


class FirstRunMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method == "GET"
            and request.path == resolve_url(settings.LOGIN_URL)
            and not administrator_exists()
        ):
            return redirect("first-run")
        return self.get_response(request)
