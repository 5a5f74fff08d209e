"""The health check (the landing page is the day of the case's: `irflow.dayofcase.views`)."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse


def health(request):
    """For load balancers and `irflow up`: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
