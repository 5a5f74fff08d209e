"""Landing page and health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from irflow.accounts.roles import Role
from irflow.web.navigation import navigation_for

# Those who work in the department land on today's board.
BOARD_ROLES = {Role.PHYSICIAN, Role.NURSE, Role.TECHNOLOGIST, Role.SCHEDULER}


@login_required
def home(request):
    if request.user.role in BOARD_ROLES:
        from irflow.scheduling.views import department_board

        return department_board(request, greeting=True)
    return render(request, "web/home.html", {"tiles": navigation_for(request.user, "")})


def health(request):
    """For load balancers and `irflow up`: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
