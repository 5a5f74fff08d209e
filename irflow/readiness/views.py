"""Readiness pages: a booking's readiness, its preparation, the letter, rules and site policy.
Thin: selectors and services do the work."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from irflow.accounts.permissions import can
from irflow.clinical.messages import ANALYTE_LABELS
from irflow.lib.errors import ServiceError, ValidationFailed
from irflow.orders.services import order_record_bleeding_risk
from irflow.patients.services import lab_result_record
from irflow.readiness import forms, selectors, services
from irflow.readiness.letter import letter_pdf
from irflow.readiness.services import PREPARATION_FIELDS
from irflow.web.forms import refusals_shown

MSG_SAVED = "Preparation saved."
MSG_LAB_SAVED = "{analyte} {value} recorded."
MSG_LAST_DOSE_SAVED = "Last dose recorded."
MSG_ACKNOWLEDGED = "Finding acknowledged."
MSG_RISK_SAVED = "Bleeding-risk category recorded."
MSG_POLICY_SAVED = "Site policy saved (version {version})."


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


def _page(request, booking_id: int, *, status: int = 200, **extra: Any):
    view = selectors.booking_readiness(actor=request.user, booking_id=booking_id)
    user = request.user
    context = {
        "view": view,
        "booking": view.booking,
        "patient": view.booking.patient,
        "data": view.data,
        "can_record": can(user, "patient.clinical_edit"),
        "can_prepare": can(user, "preparation.edit"),
        "can_acknowledge": can(user, "readiness.acknowledge"),
        "can_choose_risk": can(user, "order.bleeding_risk")
        and view.booking.order.procedure_type.bleeding_risk == "operator_decides",
        "now": _now_local(),
        "analyte_labels": ANALYTE_LABELS,
        "risk_form": forms.BleedingRiskForm(),
        **extra,
    }
    return render(request, "readiness/booking.html", context, status=status)


@login_required
def booking_readiness(request, booking_id: int):
    return _page(request, booking_id)


@login_required
def badge(request, booking_id: int):
    """The readiness badge of one booking, for pages of other apps to load in place (htmx)."""
    view = selectors.booking_readiness(actor=request.user, booking_id=booking_id, what="badge")
    return render(
        request, "readiness/_badge.html", {"booking": view.booking, "readiness": view.snapshot}
    )


def _redirect(booking_id: int):
    return redirect("readiness-booking", booking_id=booking_id)


def _refused(request, booking_id: int, exc: ServiceError | str):
    """The page again, with what was typed in the form that was refused and why beside it."""
    text = exc if isinstance(exc, str) else exc.message
    confirm = False
    if isinstance(exc, ValidationFailed):
        text = " ".join(m for msgs in exc.errors.values() for m in msgs)
        # An implausible lab value: offer the box that saves it as typed.
        confirm = "confirm_implausible" in exc.errors
    return _page(
        request, booking_id, status=422, posted=request.POST, refusal=text, offer_confirm=confirm
    )


@login_required
@require_POST
def lab_record(request, booking_id: int):
    """Record a missing lab from the readiness page (the patients app's service)."""
    form = forms.QuickLabForm(request.POST)
    if not form.is_valid():
        return _refused(request, booking_id, "Give the value and the time the sample was taken.")
    data = form.cleaned_data
    with refusals_shown() as outcome:
        booking = selectors.booking_get(
            actor=request.user, booking_id=booking_id, action="readiness.view", what="record lab"
        )
        lab_result_record(
            actor=request.user,
            patient_id=booking.patient_id,
            analyte=data["analyte"],
            value=data["value"],
            collected_at=data["collected_at"],
            confirm_implausible=data["confirm_implausible"],
        )
    if outcome.error:
        return _refused(request, booking_id, outcome.error)
    label = ANALYTE_LABELS.get(data["analyte"], data["analyte"])
    messages.success(request, MSG_LAB_SAVED.format(analyte=label, value=data["value"]))
    return _redirect(booking_id)


@login_required
@require_POST
def last_dose_record(request, booking_id: int):
    form = forms.LastDoseForm(request.POST)
    if not form.is_valid():
        return _refused(request, booking_id, "Give the date and time of the last dose.")
    with refusals_shown() as outcome:
        services.last_dose_record(actor=request.user, booking_id=booking_id, **form.cleaned_data)
    if outcome.error:
        return _refused(request, booking_id, outcome.error)
    messages.success(request, MSG_LAST_DOSE_SAVED)
    return _redirect(booking_id)


@login_required
@require_POST
def acknowledge(request, booking_id: int):
    form = forms.AcknowledgeForm(request.POST)
    if not form.is_valid():
        return _refused(request, booking_id, services.MSG_REASON_REQUIRED)
    with refusals_shown() as outcome:
        services.finding_acknowledge(actor=request.user, booking_id=booking_id, **form.cleaned_data)
    if outcome.error:
        return _refused(request, booking_id, outcome.error)
    messages.success(request, MSG_ACKNOWLEDGED)
    return _redirect(booking_id)


@login_required
@require_POST
def bleeding_risk(request, booking_id: int):
    form = forms.BleedingRiskForm(request.POST)
    if not form.is_valid():
        return _refused(request, booking_id, "Choose low or high.")
    with refusals_shown() as outcome:
        booking = selectors.booking_get(
            actor=request.user, booking_id=booking_id, action="order.bleeding_risk", what="risk"
        )
        order_record_bleeding_risk(
            actor=request.user, order_id=booking.order_id, category=form.cleaned_data["category"]
        )
    if outcome.error:
        return _refused(request, booking_id, outcome.error)
    messages.success(request, MSG_RISK_SAVED)
    return _redirect(booking_id)


@login_required
@require_http_methods(["GET", "POST"])
def preparation(request, booking_id: int):
    view = selectors.booking_readiness(
        actor=request.user, booking_id=booking_id, what="preparation form"
    )
    prep = view.preparation
    initial = {f: getattr(prep, f) for f in PREPARATION_FIELDS}
    for f, value in initial.items():
        if hasattr(value, "tzinfo") and value is not None:
            initial[f] = timezone.localtime(value)
    form = forms.PreparationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        with refusals_shown(form=form) as outcome:
            services.preparation_update(actor=request.user, booking_id=booking_id, **changes)
        if outcome.ok:
            messages.success(request, MSG_SAVED)
            return _redirect(booking_id)
    return render(
        request,
        "readiness/preparation.html",
        {
            "form": form,
            "view": view,
            "booking": view.booking,
            "patient": view.booking.patient,
            "now": _now_local(),
        },
        status=422 if form.errors else 200,
    )


@login_required
def letter(request, booking_id: int):
    """The patient preparation letter (PDF)."""
    pdf = letter_pdf(actor=request.user, booking_id=booking_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preparation-{booking_id}.pdf"'
    return response


@login_required
def rules(request):
    """Every rule set: rules, sources, confidence, and this site's values."""
    return render(
        request,
        "readiness/rules.html",
        {
            "rulesets": selectors.rulesets_list(actor=request.user),
            "can_manage": can(request.user, "policy.manage"),
        },
    )


def _parse(value: str, kind: str) -> Any:
    text = value.strip()
    if text == "":
        return None
    if kind in ("number", "range"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    if kind == "flag":
        return {"true": True, "yes": True, "false": False, "no": False}.get(text.lower(), text)
    if kind in ("texts", "numbers"):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if kind == "numbers":
            return [json.loads(p) if p.replace(".", "", 1).isdigit() else p for p in parts]
        return parts
    return text


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    """Site policy: every configurable value; administrators change them one at a time."""
    view = selectors.policy_view(actor=request.user)
    status = 200
    arrival = forms.ArrivalForm(initial={"arrival_lead_min": view["arrival_lead_min"]})
    letterhead = forms.LetterheadForm(initial=view["letterhead"])
    if request.method == "POST":
        with refusals_shown() as outcome:
            if "hospital_name" in request.POST:
                letterhead = forms.LetterheadForm(request.POST)
                if not letterhead.is_valid():
                    errors = {f: str(e[0]) for f, e in letterhead.errors.items()}
                    raise ValidationFailed(errors, message=" ".join(errors.values()))
                row = services.policy_update(actor=request.user, letterhead=letterhead.cleaned_data)
            elif "arrival_lead_min" in request.POST:
                arrival = forms.ArrivalForm(request.POST)
                if not arrival.is_valid():
                    raise ValidationFailed({"arrival_lead_min": services.MSG_ARRIVAL})
                row = services.policy_update(
                    actor=request.user, arrival_lead_min=arrival.cleaned_data["arrival_lead_min"]
                )
            else:
                form = forms.PolicyValueForm(request.POST)
                if not form.is_valid():
                    raise ValidationFailed({"value": services.MSG_POLICY_VALUE})
                kinds = {(v["rule_id"], v["param"]): v["kind"] for v in view["values"]}
                key = (form.cleaned_data["rule_id"], form.cleaned_data["param"])
                value = None if "reset" in request.POST else form.cleaned_data["value"]
                row = services.policy_value_set(
                    actor=request.user,
                    rule_id=key[0],
                    param=key[1],
                    value=None if value is None else _parse(value, kinds.get(key, "text")),
                )
        if outcome.error is None:
            messages.success(request, MSG_POLICY_SAVED.format(version=row.version))
            return redirect("readiness-policy")
        exc = outcome.error
        text = exc.message
        if isinstance(exc, ValidationFailed):
            text = " ".join(m for msgs in exc.errors.values() for m in msgs)
        status = 422
        return render(
            request,
            "readiness/policy.html",
            {
                "policy": view,
                "arrival": arrival,
                "letterhead": letterhead,
                "can_manage": can(request.user, "policy.manage"),
                "posted": request.POST,
                "refusal": text,
            },
            status=status,
        )
    return render(
        request,
        "readiness/policy.html",
        {
            "policy": view,
            "arrival": arrival,
            "letterhead": letterhead,
            "can_manage": can(request.user, "policy.manage"),
        },
        status=status,
    )
