"""Outcome pages: record a follow-up call or visit (adverse events are recorded on the
procedure page, `irflow.dayofcase`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from irflow.accounts.permissions import require
from irflow.followup.selectors import followup_get
from irflow.outcomes import forms, services
from irflow.web.forms import refusals_shown


@login_required
@require_http_methods(["GET", "POST"])
def followup_outcome(request, task_id: int):
    """Record what a follow-up call or visit found (completes the task)."""
    # The role first, then the task within the reader's scope: one answer for a task that
    # does not exist and one they may not see.
    task = followup_get(actor=request.user, task_id=task_id)
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


@login_required
def adverse_event_suggest(request):
    """The grades the facts on the adverse-event form give, drawn beside the grades (htmx)."""
    require(request.user, "adverse_event.record")
    form = forms.AdverseEventForm(request.GET, prefix="ae")
    return render(request, "outcomes/_suggestion.html", {"suggestions": form.suggestions()})
