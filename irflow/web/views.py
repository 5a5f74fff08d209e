"""Landing page and health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from irflow.web.navigation import navigation_for


@login_required
def home(request):
    return render(request, "web/home.html", {"tiles": navigation_for(request.user, "")})


def health(request):
    """For load balancers and `irflow up`: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
