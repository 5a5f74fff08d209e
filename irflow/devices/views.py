"""Devices in situ: the worklist (overdue first) and recording a removal by hand; the recall
search (every patient who received a product or lot, exportable as CSV)."""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can, require
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
            "can_recall": can(request.user, "device.recall"),
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


RECALL_COLUMNS = [
    "family_name",
    "given_name",
    "mrn",
    "birth_date",
    "procedure_date",
    "procedure",
    "device",
    "manufacturer",
    "product",
    "lot",
    "serial",
    "expiry",
    "left_in",
    "status",
    "removed_on",
    "record_url",
]


def _csv_cell(value: object) -> object:
    """Text typed or scanned must not become a spreadsheet formula (a HIBC UDI starts with +)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _recall_rows(request, lines: list[selectors.RecallLine]) -> list[list[object]]:
    rows = []
    for line in lines:
        d = line.device
        patient = d.record.patient
        rows.append(
            [
                patient.family_name,
                patient.given_name,
                patient.mrn,
                patient.birth_date,
                d.record.procedure_day(),
                d.record.order.procedure_type.name,
                d.device_type,
                d.manufacturer,
                d.device_identifier or d.gtin,
                d.lot,
                d.serial,
                d.expiry,
                "yes" if d.implanted else "no",
                line.status_label,
                line.removed_on,
                request.build_absolute_uri(reverse("procedure-page", args=[d.record.booking_id])),
            ]
        )
    return rows


@login_required
def device_recall(request):
    """The recall search: every patient who received a product and/or lot; CSV with
    `?format=csv`."""
    require(request.user, "device.recall")  # the empty form too
    product = request.GET.get("product", "").strip()[:40]
    lot = request.GET.get("lot", "").strip()[:20]
    searched = bool(product or lot)
    lines: list[selectors.RecallLine] = []
    error = ""
    if searched:
        with refusals_shown() as outcome:
            lines = selectors.device_recall(actor=request.user, product=product, lot=lot)
        if outcome.error is not None:
            errors = getattr(outcome.error, "errors", None)
            error = " ".join(m for v in errors.values() for m in v) if errors else ""
            error = error or outcome.error.message
    if searched and not error and request.GET.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(RECALL_COLUMNS)
        writer.writerows([[_csv_cell(v) for v in row] for row in _recall_rows(request, lines)])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        name = "-".join(x for x in ("recall", product, lot) if x)
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        response["Content-Disposition"] = f'attachment; filename="{safe}.csv"'
        return response
    return render(
        request,
        "devices/recall.html",
        {
            "product": product,
            "lot": lot,
            "searched": searched,
            "lines": lines,
            "patients": len({line.device.record.patient_id for line in lines}),
            "error": error,
            "csv_query": urlencode({"product": product, "lot": lot, "format": "csv"}),
        },
        status=422 if error else 200,
    )
