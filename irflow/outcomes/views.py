"""Outcome pages: record an adverse event on a procedure; record a follow-up call or visit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from irflow.followup.models import FollowUpTask
from irflow.outcomes import forms, services
from irflow.web.forms import refusals_shown


@login_required
@require_POST
def adverse_event_add(request, procedure_id: int):
    from irflow.procedures.models import ProcedureRecord
    from irflow.procedures.views import _page

    record = ProcedureRecord.objects.filter(pk=procedure_id).first()
    if record is None:
        raise Http404("No such procedure.")
    form = forms.AdverseEventForm(request.POST, prefix="ae")
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            services.adverse_event_record(
                actor=request.user, procedure_id=procedure_id, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(request, "Adverse event recorded.")
            return redirect("procedure-page", booking_id=record.booking_id)
    return _page(request, record.booking_id, open_form="ae", ae_form=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def followup_outcome(request, task_id: int):
    """Record what a follow-up call or visit found (completes the task)."""
    from irflow.followup.selectors import followups_for_patient

    task = (
        FollowUpTask.objects.select_related("patient", "order__procedure_type")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise Http404("No such follow-up task.")
    followups_for_patient(actor=request.user, patient_id=task.patient_id)
    form = forms.VisitOutcomeForm(
        request.POST or None,
        initial={"contact": {"call": "call", "imaging": "imaging"}.get(task.kind, "visit")},
    )
    if request.method == "POST" and form.is_valid():
        with refusals_shown(form=form) as outcome:
            services.followup_outcome_record(
                actor=request.user, task_id=task_id, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(request, "Follow-up outcome recorded; the task is done.")
            return redirect("followup-due")
    return render(
        request,
        "outcomes/followup_outcome.html",
        {"form": form, "task": task, "patient": task.patient},
        status=422 if form.errors else 200,
    )
