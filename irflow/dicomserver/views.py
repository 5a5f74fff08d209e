"""Reconciliation pages: procedure steps a modality reported that no booking claimed.

Thin: the selectors check `mpps.view` and log the reads, the service checks `mpps.reconcile`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from irflow.accounts.permissions import can, require
from irflow.dicomserver import selectors, services
from irflow.dicomserver.forms import ReconcileForm
from irflow.web.forms import refusals_shown

MSG_LINKED = "Linked to {target}: the booking and the order now follow this procedure step."


@login_required
def step_list(request):
    return render(
        request,
        "dicomserver/steps.html",
        {
            "steps": selectors.mpps_unreconciled(actor=request.user),
            "recent": selectors.mpps_recently_reconciled(actor=request.user),
            "can_reconcile": can(request.user, "mpps.reconcile"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def step_reconcile(request, step_id: int):
    step = selectors.mpps_detail(actor=request.user, step_id=step_id)
    linked = step.booking_id is not None or step.reconciled_at is not None
    can_reconcile = can(request.user, "mpps.reconcile") and not linked
    bookings = (
        selectors.mpps_candidate_bookings(actor=request.user, step=step) if can_reconcile else []
    )
    form = ReconcileForm(request.POST if request.method == "POST" else None, bookings=bookings)
    if request.method == "POST":
        require(request.user, "mpps.reconcile")  # a refusal answers 403, not a form error
        if form.is_valid():
            with refusals_shown(form=form) as outcome:
                booking = form.cleaned_data["booking"]
                step = services.mpps_reconcile(
                    actor=request.user,
                    step_id=step.pk,
                    booking_id=booking.pk if booking is not None else None,
                    accession_number=form.cleaned_data["accession_number"],
                    note=form.cleaned_data["note"],
                )
            if outcome.ok:
                target = (
                    step.booking.sps_id
                    if step.booking
                    else getattr(step.order, "accession_number", "")
                )
                messages.success(request, MSG_LINKED.format(target=target))
                return redirect("mpps-reconcile")
    return render(
        request,
        "dicomserver/step.html",
        {"step": step, "form": form, "bookings": bookings, "can_reconcile": can_reconcile},
        status=422 if request.method == "POST" else 200,
    )
