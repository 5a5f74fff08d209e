"""Devices in situ: the worklist (overdue first) and recording a removal by hand."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can
from irflow.devices import selectors, services
from irflow.devices.models import RemovalReason
from irflow.web.forms import refusals_shown


@login_required
def devices_in_situ(request):
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
        },
    )


@login_required
@require_POST
def device_remove(request, device_id: int):
    try:
        removed_on = date.fromisoformat(request.POST.get("removed_on", ""))
    except ValueError:
        removed_on = timezone.localdate()
    with refusals_shown() as outcome:
        services.device_remove(
            actor=request.user,
            device_id=device_id,
            removed_on=removed_on,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    if outcome.error is None:
        messages.success(request, "Removal recorded: the device is off the overdue lists.")
    else:
        errors = getattr(outcome.error, "errors", None)
        messages.error(
            request,
            " ".join(m for v in errors.values() for m in v) if errors else outcome.error.message,
        )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("devices-in-situ")
