"""The procedure page's device scan: what a UDI says as it is scanned (lot, serial and expiry
filled in, the device expired or not), answered to htmx before anything is saved."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from irflow.dayofcase.views import device_form_options
from irflow.procedures import forms
from irflow.procedures.selectors import DeviceCheck, device_check

PREFIX = "device"


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _filled(check: DeviceCheck, typed: dict[str, str]) -> dict[str, str]:
    """The fields a scan fills: what the UDI holds; the type and maker as this product was
    last recorded, where nothing was typed."""
    udi = check.udi
    filled: dict[str, str] = {}
    if udi is None:
        return filled
    if udi.lot:
        filled["lot"] = udi.lot
    if udi.serial:
        filled["serial"] = udi.serial
    if udi.expiry:
        filled["expiry"] = udi.expiry.isoformat()
    if check.known is not None:
        if not typed.get("manufacturer") and check.known.manufacturer:
            filled["manufacturer"] = check.known.manufacturer
        if not typed.get("device_type"):
            filled["device_type"] = check.known.device_type
    return filled


@login_required
@require_GET
def device_check_view(request, procedure_id: int):
    """The scan read back: the fields it fills (swapped in out of band), and whether the
    device expired before the day of the procedure (the physician's override shown then)."""
    typed = {
        name: request.GET.get(f"{PREFIX}-{name}", "")
        for name in (
            "udi",
            "device_type",
            "manufacturer",
            "lot",
            "serial",
            "expiry",
            "expiry_override_reason",
        )
    }
    check = device_check(
        actor=request.user,
        procedure_id=procedure_id,
        udi=typed["udi"],
        expiry=_day(typed["expiry"]),
        today=timezone.localdate(),
    )
    # Only the scan fills fields: a check asked by the expiry itself leaves them as typed.
    from_scan = request.headers.get("HX-Trigger-Name") == f"{PREFIX}-udi"
    filled = _filled(check, typed) if from_scan else {}
    options = device_form_options(request.user, procedure_id=procedure_id)
    form = forms.DeviceForm(prefix=PREFIX, initial={**typed, **filled}, **options)
    return render(
        request,
        "dayofcase/_device_check.html",
        {
            "check": check,
            "form": form,
            "filled": [form[name] for name in filled],
            "may_override": options["may_override"],
            "override_open": check.expired or bool(typed["expiry_override_reason"]),
        },
    )
