"""Checklist pages: the three phases of a booking and a fast, keyboard-first form for each."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from irflow.accounts.permissions import can
from irflow.checklists import selectors, services
from irflow.checklists.models import Phase
from irflow.lib.errors import ValidationFailed
from irflow.web.forms import refusals_shown

MSG_DONE = "{phase} completed."


def _view(request, booking_id: int):
    return selectors.booking_checklists(actor=request.user, booking_id=booking_id)


@login_required
def booking_checklists(request, booking_id: int):
    view = _view(request, booking_id)
    return render(
        request,
        "checklists/booking.html",
        {"view": view, "booking": view.booking, "patient": view.booking.patient},
    )


@login_required
@require_http_methods(["GET", "POST"])
def phase(request, booking_id: int, phase: str):
    if phase not in Phase.values:
        raise Http404("No such checklist.")
    view = _view(request, booking_id)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        with refusals_shown() as outcome:
            services.checklist_complete(
                actor=request.user,
                booking_id=booking_id,
                phase=phase,
                done=request.POST.getlist("done"),
                not_applicable=request.POST.getlist("not_applicable"),
                present=[int(p) for p in request.POST.getlist("present") if p.isdigit()],
                note=request.POST.get("note", ""),
            )
        if outcome.error is None:
            messages.success(request, MSG_DONE.format(phase=Phase(phase).label))
            return redirect("checklists-booking", booking_id=booking_id)
        exc = outcome.error
        status = 422
        if isinstance(exc, ValidationFailed):
            errors = [m for msgs in exc.errors.values() for m in msgs]
        else:
            errors = [exc.message]
        view = _view(request, booking_id)
    return render(
        request,
        "checklists/phase.html",
        {
            "view": view,
            "booking": view.booking,
            "patient": view.booking.patient,
            "current": view.phase(phase),
            "errors": errors,
            "checked": set(request.POST.getlist("done")),
            "na": set(request.POST.getlist("not_applicable")),
            "present": {int(p) for p in request.POST.getlist("present") if p.isdigit()},
            "note": request.POST.get("note", ""),
            "can_complete": can(request.user, "checklist.complete"),
        },
        status=status,
    )
