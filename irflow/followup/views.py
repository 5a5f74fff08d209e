"""Follow-up pages: the due list, and acknowledging or completing a task. Thin over services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can
from irflow.followup import selectors, services
from irflow.patients.selectors import patient_get
from irflow.web.forms import refusals_shown


def _back(request, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@login_required
def followup_due(request) -> HttpResponse:
    on = timezone.localdate()
    due = selectors.followups_due(actor=request.user, on=on)
    return render(request, "followup/due.html", {"due": due, "on": on, "may": may_do(request.user)})


@login_required
@require_POST
def followup_acknowledge(request, task_id: int) -> HttpResponse:
    with refusals_shown(request=request) as outcome:
        services.followup_acknowledge(
            actor=request.user, task_id=task_id, note=request.POST.get("note", "")
        )
    if outcome.ok:
        messages.success(request, "Acknowledged — the task is yours to follow.")
    return _back(request, "followup-due")


@login_required
@require_POST
def followup_complete(request, task_id: int) -> HttpResponse:
    outcome = request.POST.get("outcome", "")
    with refusals_shown() as call:
        services.followup_complete(actor=request.user, task_id=task_id, outcome=outcome)
    if call.error is None:
        messages.success(request, "Follow-up recorded as done.")
        return _back(request, "followup-due")
    # The task again, its form open with what was typed and why it was refused.
    task = selectors.followup_get(actor=request.user, task_id=task_id)
    errors = getattr(call.error, "errors", None)
    typed = {
        "task_id": task.pk,
        "outcome": outcome,
        "errors": [m for v in errors.values() for m in v] if errors else [call.error.message],
        "next": request.POST.get("next", ""),
    }
    return render(
        request,
        "followup/task.html",
        {"task": task, "patient": task.patient, "may": may_do(request.user), "typed": typed},
        status=call.error.status_code,
    )


def may_do(user) -> dict[str, bool]:
    """What the reader may do with tasks (buttons shown accordingly)."""
    return {
        "acknowledge": can(user, "followup.acknowledge"),
        "manage": can(user, "followup.manage"),
    }


@login_required
def chart_tasks(request, patient_id: int):
    """The patient chart's follow-up card (the chart loads it in place)."""
    patient = patient_get(actor=request.user, patient_id=patient_id, what="chart follow-up")
    return render(
        request,
        "followup/_chart_tasks.html",
        {
            "patient": patient,
            "followups": selectors.followups_for_chart(actor=request.user, patient=patient),
            "may": may_do(request.user),
        },
    )
