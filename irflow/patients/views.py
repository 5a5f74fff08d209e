"""Patient pages: search, chart, registration and editing. Thin: services do the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from irflow.accounts.permissions import can
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.lib.versions import VersionConflict
from irflow.patients import forms, selectors, services
from irflow.patients.models import Medication
from irflow.web.forms import refusals_shown


@login_required
def patient_search(request):
    form = forms.SearchForm(request.GET or None)
    results, error = None, None
    if form.is_valid() and form.cleaned_data["q"]:
        with refusals_shown() as outcome:
            results = selectors.patient_search(actor=request.user, q=form.cleaned_data["q"])
        exc = outcome.error
        if exc is not None:
            error = exc.message if not hasattr(exc, "errors") else " ".join(exc.errors["q"])
    template = "patients/search.html#results" if request.htmx else "patients/search.html"
    return render(
        request,
        template,
        {
            "form": form,
            "results": results,
            "error": error,
            "can_create": can(request.user, "patient.create"),
        },
    )


QUICK_LIMIT = 8


@login_required
def patient_quick_search(request):
    """The header's live search: the first few matches as a list of links (htmx); without
    JavaScript the header's form goes to the search page instead."""
    q = request.GET.get("q", "").strip()
    results, error = [], ""
    # One letter matches half the department: wait for a second one.
    if len(q) < 2 and not any(ch.isdigit() for ch in q):
        q = ""
    if q:
        with refusals_shown() as outcome:
            results = selectors.patient_search(actor=request.user, q=q, limit=QUICK_LIMIT + 1)
        exc = outcome.error
        if isinstance(exc, ValidationFailed):
            error = " ".join(exc.errors.get("q", [exc.message]))
        elif exc is not None:
            error = exc.message
    return render(
        request,
        "patients/_quick.html",
        {
            "q": q,
            "results": results[:QUICK_LIMIT],
            "more": len(results) > QUICK_LIMIT,
            "error": error,
        },
    )


@login_required
def patient_chart(request, patient_id: int):
    return _chart_page(request, patient_id)


def _chart_page(request, patient_id: int, status: int = 200, **extra):
    chart = selectors.patient_chart(actor=request.user, patient_id=patient_id)
    clinical = can(request.user, "patient.clinical_edit")
    bound = extra.pop("bound", None)
    return render(
        request,
        "patients/chart.html",
        {
            "chart": chart,
            "patient": chart.patient,
            "can_edit": can(request.user, "patient.edit"),
            "can_clinical_edit": clinical,
            "can_merge": can(request.user, "patient.merge"),
            "add_forms": _add_forms() if clinical else {},
            "reconcile": _reconcile_forms(chart, bound) if clinical else [],
            **extra,
        },
        status=status,
    )


RECONCILE: dict[str, tuple[type[django_forms.Form], Callable[..., Any], str]] = {
    "medication": (forms.ReconcileMedicationForm, services.medication_reconcile, "medication_id"),
    "allergy": (forms.ReconcileAllergyForm, services.allergy_reconcile, "allergy_id"),
}
RECONCILED = {"confirm": "{entry} confirmed.", "reject": "{entry} rejected: kept as reported."}


def _kind(entry) -> str:
    return "medication" if isinstance(entry, Medication) else "allergy"


def _reconcile_forms(chart: selectors.Chart, bound: django_forms.Form | None) -> list:
    """(entry, kind, form) for each reported entry, prefilled with what was read from it."""
    rows = []
    for entry in chart.to_confirm:
        kind = _kind(entry)
        form_cls = RECONCILE[kind][0]
        prefix = f"{kind}-{entry.pk}"
        if bound is not None and bound.prefix == prefix:
            form = bound
        else:
            initial = {name: getattr(entry, name) for name in form_cls.base_fields}
            if isinstance(entry, Medication):
                initial["dose_times"] = ", ".join(entry.dose_times or [])
            form = form_cls(prefix=prefix, initial=initial)
        rows.append((entry, kind, form))
    return rows


@login_required
@require_http_methods(["POST"])
def chart_reconcile(request, patient_id: int, kind: str, entry_id: int):
    """Confirm (with corrections) or reject one entry a referrer reported, in one click."""
    if kind not in RECONCILE:
        raise Http404("Unknown record type.")
    form_cls, service, id_name = RECONCILE[kind]
    decision = request.POST.get("decision", "")
    if decision != "confirm":
        # Rejecting keeps the entry as it was reported: no corrections are read.
        with refusals_shown(request=request) as outcome:
            entry = service(actor=request.user, **{id_name: entry_id}, decision=decision)
        if outcome.ok:
            messages.success(request, RECONCILED[decision].format(entry=entry))
        return redirect("patient-chart", patient_id=patient_id)
    form = form_cls(request.POST, prefix=f"{kind}-{entry_id}")
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            entry = service(
                actor=request.user, **{id_name: entry_id}, decision=decision, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(request, RECONCILED[decision].format(entry=entry))
            return redirect("patient-chart", patient_id=patient_id)
    return _chart_page(request, patient_id, status=422, bound=form)


@login_required
@require_http_methods(["GET", "POST"])
def patient_create(request):
    form = forms.PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        with refusals_shown(form=form) as outcome:
            patient = services.patient_create(actor=request.user, **data)
        if outcome.ok:
            messages.success(request, f"Registered {patient}.")
            return redirect("patient-chart", patient_id=patient.pk)
    return render(
        request,
        "patients/form.html",
        {"form": form, "title": "Register a patient"},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_edit(request, patient_id: int):
    """Edit patient details. The form carries the version it was opened at: a save over a
    newer version is refused and the form comes back with both values of each field changed
    since, keeping what was typed (nothing is overwritten, nothing is lost)."""
    patient = selectors.patient_get(
        actor=request.user, patient_id=patient_id, what="edit form", action="patient.edit"
    )
    conflict = None
    if request.method != "POST":
        form = forms.PatientEditForm.opening(patient)
    else:
        form = forms.PatientEditForm(request.POST)
        if form.is_valid():
            with refusals_shown(form=form) as outcome:
                services.patient_update(
                    actor=request.user,
                    patient_id=patient_id,
                    expected_version=form.expected_version(),
                    **form.edits(patient),
                )
            if outcome.ok:
                messages.success(request, "Saved.")
                return redirect("patient-chart", patient_id=patient_id)
            if isinstance(outcome.error, VersionConflict):
                stale = outcome.error
                form, conflict = form.after_conflict(
                    stale.current, stale.changed_by, stale.changed_at
                )
    return render(
        request,
        "patients/form.html",
        {
            "form": form,
            "title": "Edit patient details",
            "patient": patient,
            "conflict": conflict,
            "submit": "Save my values" if conflict else "Save",
        },
        status=409 if conflict else 422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_merge(request, patient_id: int):
    patient = selectors.patient_get(
        actor=request.user, patient_id=patient_id, what="merge form", action="patient.merge"
    )
    form = forms.MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target_id = form.cleaned_data["target_id"]
        try:
            with refusals_shown(form=form) as outcome:
                merge = services.patient_merge(
                    actor=request.user,
                    source_id=patient_id,
                    target_id=target_id,
                    reason=form.cleaned_data["reason"],
                )
        except NotFound as exc:
            if exc.code != "target_id_not_found":
                raise
            # A mistyped record number is for the user to correct, on the form.
            form.add_error("target_id", f"No patient has record number {target_id}.")
            outcome.error = exc
        if outcome.ok:
            messages.success(request, "Records merged; this record is now inactive.")
            return redirect("patient-chart", patient_id=merge.target_id)
    return render(
        request,
        "patients/form.html",
        {
            "form": form,
            "title": "Merge this record into another",
            "patient": patient,
            "submit": "Merge",
        },
        status=422 if form.errors else 200,
    )


ADD_FORMS: dict[str, tuple[type[django_forms.Form], Callable[..., Any], str]] = {
    "allergy": (forms.AllergyForm, services.allergy_add, "Allergy recorded."),
    "medication": (forms.MedicationForm, services.medication_add, "Medication recorded."),
    "lab": (forms.LabForm, services.lab_result_record, "Lab result recorded."),
    "condition": (forms.ConditionForm, services.condition_add, "Condition recorded."),
}


def _add_forms() -> dict:
    now = timezone.localtime().replace(second=0, microsecond=0)
    return {
        kind: (
            form_cls(prefix=kind, initial={"collected_at": now})
            if kind == "lab"
            else form_cls(prefix=kind)
        )
        for kind, (form_cls, _, _) in ADD_FORMS.items()
    }


@login_required
@require_http_methods(["POST"])
def chart_add(request, patient_id: int, kind: str):
    if kind not in ADD_FORMS:
        raise Http404("Unknown record type.")
    form_cls, service, done = ADD_FORMS[kind]
    form = form_cls(request.POST, prefix=kind)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        with refusals_shown(form=form) as outcome:
            service(actor=request.user, patient_id=patient_id, **data)
        if outcome.ok:
            messages.success(request, done)
            return redirect("patient-chart", patient_id=patient_id)
    if isinstance(form, forms.LabForm):
        form.offer_confirmation()
    chart = selectors.patient_chart(actor=request.user, patient_id=patient_id)
    add_forms = _add_forms()
    add_forms[kind] = form
    return render(
        request,
        "patients/chart.html",
        {
            "chart": chart,
            "patient": chart.patient,
            "can_edit": can(request.user, "patient.edit"),
            "can_clinical_edit": True,
            "can_merge": can(request.user, "patient.merge"),
            "add_forms": add_forms,
            "open_form": kind,
        },
        status=422,
    )
