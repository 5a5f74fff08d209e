"""Devices in situ: the worklist (overdue first) and recording a removal by hand."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can
from irflow.devices import selectors, services
from irflow.devices.models import RemovalReason
from irflow.patients.selectors import patient_get
from irflow.web.forms import refusals_shown


@login_required
def devices_in_situ(request):
    return _list(request)


def _list(request, *, removal: dict | None = None, status: int = 200):
    today = timezone.localdate()
    lines = selectors.devices_in_situ(actor=request.user, on=today)
    return render(
        request,
        "devices/list.html",
        {
            "lines": lines,
            "overdue": [line for line in lines if line.overdue],
            "on": today,
            "reasons": RemovalReason.choices,
            "can_manage": can(request.user, "device.manage"),
            "removal": removal or {},
            # Drawn again after a refused removal (at the removal's address): back here.
            "back": reverse("devices-in-situ"),
        },
        status=status,
    )


@login_required
@require_POST
def device_remove(request, device_id: int):
    typed = {k: request.POST.get(k, "") for k in ("removed_on", "reason", "note")}
    try:
        removed_on: date | None = date.fromisoformat(typed["removed_on"])
    except ValueError:
        removed_on = None
    with refusals_shown() as outcome:
        services.device_remove(
            actor=request.user,
            device_id=device_id,
            removed_on=removed_on,
            reason=typed["reason"],
            note=typed["note"],
        )
    if outcome.error is not None:
        # The list again, this device's form open with what was typed and every reason.
        errors = getattr(outcome.error, "errors", None)
        said = [m for v in errors.values() for m in v] if errors else [outcome.error.message]
        removal = {"device_id": device_id, "errors": said, **typed}
        return _list(request, removal=removal, status=outcome.error.status_code)
    messages.success(request, "Removal recorded: the device is off the overdue lists.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("devices-in-situ")


@login_required
def chart_devices(request, patient_id: int):
    """The patient chart's devices card (the chart loads it in place)."""
    patient = patient_get(actor=request.user, patient_id=patient_id, what="chart devices")
    lines = selectors.devices_for_chart(
        actor=request.user, patient_id=patient.pk, on=timezone.localdate()
    )
    return render(
        request,
        "devices/_chart.html",
        {"patient": patient, "lines": lines, "may_manage": can(request.user, "device.manage")},
    )
