"""Turn a service's refusal that escaped a view into the right HTTP answer."""

from __future__ import annotations

from django.shortcuts import render

from irflow.lib.errors import Forbidden, NotFound


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
