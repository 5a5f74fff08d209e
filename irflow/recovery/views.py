"""Recovery pages: vital signs (one set at a time, keyboard-first), pain scores, notes and
instructions (autosaved), the discharge criteria, and the printable discharge instructions.
The discharge itself is a move of the day of the case (`irflow.dayofcase`): its card is loaded
from there, where the rules are."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from irflow.accounts.permissions import can
from irflow.procedures.selectors import procedure_get
from irflow.recovery import forms, selectors, services
from irflow.web.forms import refusals_shown


def _record(request, procedure_id: int, what: str = "recovery"):
    return procedure_get(actor=request.user, procedure_id=procedure_id, what=what)


def render_recovery_page(
    request,
    procedure_id: int,
    *,
    pain=None,
    discharge=None,
    notes=None,
    vitals=None,
    saved=False,
    refusal=None,
    status=200,
    template="recovery/recovery.html",
    extra=None,
):
    """The recovery page (with a form in error, when given)."""
    record = _record(request, procedure_id)
    view = selectors.recovery_for_procedure(actor=request.user, record=record)
    if view is None:
        raise Http404(services.MSG_NOT_FOUND)
    episode = view.episode
    now = timezone.localtime().replace(second=0, microsecond=0)
    last = view.vitals[-1] if view.vitals else None
    context = {
        "record": record,
        "booking": record.booking,
        "patient": record.patient,
        "view": view,
        "episode": episode,
        "can_record": can(request.user, "recovery.record") and episode.discharged_at is None,
        "pain_form": pain or forms.PainForm(prefix="pain", initial={"recorded_at": now}),
        "notes_form": notes
        or forms.NotesForm(
            prefix="notes",
            initial={
                "observations": episode.observations,
                "discharge_instructions": episode.discharge_instructions,
                "baseline_systolic_mmhg": episode.baseline_systolic_mmhg or "",
                "baseline_heart_rate_bpm": episode.baseline_heart_rate_bpm or "",
            },
        ),
        "vitals_form": vitals
        or forms.VitalsForm(
            prefix="vitals",
            # Oxygen carries over from the last set: it is stopped on purpose, not forgotten.
            initial={"recorded_at": now, "on_oxygen": bool(last and last.on_oxygen)},
        ),
        "discharge_form": discharge,
        "saved": saved,
        "refusal": refusal,
        "saved_at": timezone.localtime(),
        "vitals_saved": saved and vitals is None and template == "recovery/_live.html",
        "open_form": "pain" if pain else ("discharge" if discharge else ""),
        **(extra or {}),
    }
    partial = request.htmx and request.method == "POST"
    if partial and template == "recovery/recovery.html":
        template = "recovery/_save_state.html"
    return render(request, template, context, status=status)


@login_required
def recovery_page(request, procedure_id: int):
    return render_recovery_page(request, procedure_id)


@login_required
@require_POST
def pain_add(request, procedure_id: int):
    form = forms.PainForm(request.POST, prefix="pain")
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            services.pain_score_record(
                actor=request.user, procedure_id=procedure_id, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(request, f"Pain score {form.cleaned_data['score']} recorded.")
            return redirect("recovery-page", procedure_id=procedure_id)
    return render_recovery_page(request, procedure_id, pain=form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def vitals_add(request, procedure_id: int):
    """Record one set of vital signs; htmx answers with the vital signs and the criteria
    (autosave group: Saved / Not saved with the field messages). GET draws them again."""
    if request.method == "GET":
        part = "_criteria" if request.GET.get("part") == "criteria" else "_live"
        return render_recovery_page(request, procedure_id, template=f"recovery/{part}.html")
    form = forms.VitalsForm(request.POST, prefix="vitals")
    status = 422
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            services.vital_signs_record(
                actor=request.user, procedure_id=procedure_id, **form.cleaned_data
            )
        if outcome.ok:
            if request.htmx:
                return render_recovery_page(
                    request, procedure_id, saved=True, template="recovery/_live.html"
                )
            messages.success(request, "Vital signs recorded.")
            return redirect("recovery-page", procedure_id=procedure_id)
        status = outcome.error.status_code if outcome.error else 422
    template = "recovery/_live.html" if request.htmx else "recovery/recovery.html"
    return render_recovery_page(
        request, procedure_id, vitals=form, status=status, template=template
    )


@login_required
@require_POST
def notes_save(request, procedure_id: int):
    """Autosave of the observations and instructions (htmx answers with Saved / Not saved)."""
    form = forms.NotesForm(request.POST, prefix="notes")
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            services.recovery_update(
                actor=request.user, procedure_id=procedure_id, **form.cleaned_data
            )
        if outcome.ok:
            if request.htmx:
                response = render_recovery_page(request, procedure_id, saved=True)
                # The baseline changes the criteria: the live part draws itself again.
                response["HX-Trigger"] = "recovery-changed"
                return response
            messages.success(request, "Saved.")
            return redirect("recovery-page", procedure_id=procedure_id)
        status = outcome.error.status_code if outcome.error else 422
    else:
        status = 422
    refusal = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return render_recovery_page(request, procedure_id, notes=form, refusal=refusal, status=status)


@login_required
def instructions(request, procedure_id: int):
    """The discharge instructions, printable (the browser's print prints just the sheet)."""
    record = _record(request, procedure_id, what="discharge instructions")
    view = selectors.recovery_for_procedure(actor=request.user, record=record)
    if view is None:
        raise Http404(services.MSG_NOT_FOUND)
    return render(
        request,
        "recovery/instructions.html",
        {"record": record, "episode": view.episode, "patient": record.patient},
    )
