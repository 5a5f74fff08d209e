"""The procedure page: check-in, the record (autosaved group by group), team, sedation,
devices with a UDI scan, specimens, completion. Thin: services do the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from irflow.accounts.models import User
from irflow.accounts.permissions import can
from irflow.devices.models import DeviceKind
from irflow.procedures import forms, selectors, services
from irflow.procedures.models import ProcedureRecord, RecordStatus
from irflow.web.forms import refusals_shown

MSG_CHECKED_IN = "Checked in: the procedure record is open."
MSG_COMPLETED = "Procedure completed: the patient is in recovery."
ADD_FORMS = ("team", "sedation", "device", "specimen")
PART_SERVICES: dict[str, Callable[..., Any]] = {
    "team": services.team_member_add,
    "sedation": services.sedation_agent_add,
    "device": services.device_add,
    "specimen": services.specimen_add,
}


def _staff():
    return User.objects.filter(
        is_active=True, role__in=["physician", "trainee", "nurse", "technologist"]
    ).order_by("last_name", "first_name")


def _group_form(group: str, record: ProcedureRecord, data=None) -> django_forms.Form:
    _, form_cls = forms.GROUP_FORMS[group]
    kwargs: dict[str, Any] = {}
    if group == "times":
        kwargs["day"] = timezone.localtime(record.booking.start).date()
        initial = forms.TimesForm.initial_for(record)
    else:
        initial = {name: getattr(record, name) for name in services.GROUPS[group]}
        if group == "contrast" and record.contrast_ml is not None:
            initial["contrast_ml"] = format(record.contrast_ml.normalize(), "f")
    if group == "outcome":
        kwargs["procedure_type"] = record.order.procedure_type
    form = form_cls(data, initial=initial, prefix=group, **kwargs)
    if group == "times" and record.in_room_at is None and record.status == RecordStatus.OPEN:
        # Keyboard-first: the page opens with the cursor on the first time to record.
        form.fields["in_room_at"].widget.attrs["autofocus"] = True
    return form


def _device_kinds(record: ProcedureRecord) -> list[tuple[str, str]]:
    placed = [p["kind"] for p in record.order.procedure_type.device_defaults.get("places", [])]
    labels = dict(DeviceKind.choices)
    first = [(k, labels.get(k, k)) for k in placed]
    return first + [(k, v) for k, v in DeviceKind.choices if k not in placed]


def _add_forms(record: ProcedureRecord) -> dict[str, django_forms.Form]:
    places = record.order.procedure_type.device_defaults.get("places", [])
    device_initial = (
        {"device_type": places[0]["name"], "implanted": True, "in_situ_kind": places[0]["kind"]}
        if places
        else {}
    )
    return {
        "team": forms.TeamForm(prefix="team", staff=_staff()),
        "sedation": forms.SedationAgentForm(prefix="sedation"),
        "device": forms.DeviceForm(
            prefix="device", initial=device_initial, kinds=_device_kinds(record)
        ),
        "specimen": forms.SpecimenForm(prefix="specimen"),
    }


def _page(
    request, booking_id: int, *, add_forms=None, open_form: str = "", ae_form=None, status=200
):
    page = selectors.procedure_page(actor=request.user, booking_id=booking_id)
    record = page.record
    context: dict[str, Any] = {
        "page": page,
        "booking": page.booking,
        "patient": page.booking.patient,
        "record": record,
        "view": page.checklists,
        "can_record": can(request.user, "procedure.record"),
        "open_form": open_form,
    }
    if record is not None:
        from irflow.outcomes.selectors import adverse_events_for_procedure
        from irflow.recovery.selectors import recovery_for_procedure
        from irflow.reports.selectors import report_for_procedure

        editable = context["can_record"] and record.status == RecordStatus.OPEN
        context.update(
            editable=editable,
            groups=[
                (g, forms.GROUP_FORMS[g][0], _group_form(g, record)) for g in forms.GROUP_FORMS
            ],
            add_forms={**_add_forms(record), **(add_forms or {})},
            report=report_for_procedure(actor=request.user, record=record),
            recovery=recovery_for_procedure(actor=request.user, record=record),
            adverse_events=adverse_events_for_procedure(actor=request.user, record=record),
            can_report=can(request.user, "report.draft"),
            can_record_ae=can(request.user, "adverse_event.record"),
        )
        if context["can_record_ae"]:
            from irflow.outcomes.forms import AdverseEventForm

            context["ae_form"] = ae_form or AdverseEventForm(
                prefix="ae", initial={"onset_at": timezone.localtime().replace(second=0)}
            )
    return render(request, "procedures/procedure.html", context, status=status)


@login_required
def procedure_page(request, booking_id: int):
    return _page(request, booking_id)


@login_required
def procedure_by_id(request, procedure_id: int):
    record = ProcedureRecord.objects.filter(pk=procedure_id).values("booking_id").first()
    if record is None:
        raise Http404(selectors.MSG_PROCEDURE_NOT_FOUND)
    return redirect("procedure-page", booking_id=record["booking_id"])


@login_required
@require_POST
def check_in(request, booking_id: int):
    with refusals_shown(request=request) as outcome:
        services.procedure_check_in(actor=request.user, booking_id=booking_id)
    if outcome.ok:
        messages.success(request, MSG_CHECKED_IN)
    return redirect("procedure-page", booking_id=booking_id)


def _record(request, procedure_id: int) -> ProcedureRecord:
    return selectors.procedure_get(
        actor=request.user, procedure_id=procedure_id, what="procedure page"
    )


@login_required
@require_POST
def group_save(request, procedure_id: int, group: str) -> HttpResponse:
    """Autosave of one group (htmx answers with the group, showing “saved” or the errors)."""
    if group not in forms.GROUP_FORMS:
        raise Http404("No such part of the record.")
    record = _record(request, procedure_id)
    form = _group_form(group, record, request.POST)
    saved = False
    if form.is_valid():
        values = form.values() if isinstance(form, forms.TimesForm) else dict(form.cleaned_data)
        with refusals_shown(form=form) as outcome:
            record = services.procedure_record_update(
                actor=request.user, procedure_id=procedure_id, group=group, values=values
            )
        saved = outcome.ok
    if not request.htmx:
        if saved:
            messages.success(request, f"{forms.GROUP_FORMS[group][0]} saved.")
        else:
            messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("procedure-page", booking_id=record.booking_id)
    return render(
        request,
        "procedures/_group_result.html",
        {
            "record": record,
            "group": group,
            "title": forms.GROUP_FORMS[group][0],
            "form": form,
            "saved": saved,
            "saved_at": timezone.localtime(),
            "editable": True,
        },
    )


@login_required
@require_POST
def part_add(request, procedure_id: int, kind: str):
    """Add a team member, sedative, device (UDI scan) or specimen."""
    if kind not in ADD_FORMS:
        raise Http404("Unknown entry.")
    record = _record(request, procedure_id)
    extra: dict[str, Any] = {}
    if kind == "team":
        extra["staff"] = _staff()
    elif kind == "device":
        extra["kinds"] = _device_kinds(record)
    form = _add_forms(record)[kind].__class__(request.POST, prefix=kind, **extra)
    if form.is_valid():
        data = form.cleaned_data
        service = PART_SERVICES[kind]
        with refusals_shown(form=form) as outcome:
            service(actor=request.user, procedure_id=procedure_id, **data)
        if outcome.ok:
            messages.success(request, "Added.")
            return redirect(f"{_page_url(record)}#h-{kind}")
    return _page(request, record.booking_id, add_forms={kind: form}, open_form=kind, status=422)


def _page_url(record: ProcedureRecord) -> str:
    from django.urls import reverse

    return reverse("procedure-page", args=[record.booking_id])


@login_required
@require_POST
def part_strike(request, procedure_id: int, kind: str, part_id: int):
    record = _record(request, procedure_id)
    with refusals_shown(request=request) as outcome:
        services.record_part_strike(
            actor=request.user, procedure_id=procedure_id, kind=kind, part_id=part_id
        )
    if outcome.ok:
        messages.success(request, "Struck out (kept in the history).")
    return redirect("procedure-page", booking_id=record.booking_id)


@login_required
@require_POST
def complete(request, procedure_id: int):
    record = _record(request, procedure_id)
    with refusals_shown() as outcome:
        services.procedure_complete(actor=request.user, procedure_id=procedure_id)
    if outcome.error is None:
        messages.success(request, MSG_COMPLETED)
    else:
        errors = getattr(outcome.error, "errors", None)
        missing = [m for msgs in errors.values() for m in msgs] if errors else []
        messages.error(request, " ".join(missing) or outcome.error.message)
    return redirect("procedure-page", booking_id=record.booking_id)
