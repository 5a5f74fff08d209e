"""Quality pages: the dashboard, each chart's download, the cases behind a figure and one
case's review. Thin: the selectors read and enforce."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from irflow.accounts.permissions import can
from irflow.dose.reporting import as_csv, as_xlsx
from irflow.dose.views import CHART_CSP
from irflow.lib.errors import ValidationFailed
from irflow.quality import selectors, timeliness_lists
from irflow.quality.forms import FilterForm
from irflow.quality.safety import drill, figures, tables
from irflow.quality.thresholds import references
from irflow.quality.timeliness import quality_timeliness
from irflow.scheduling.models import CancelReason


def _filters(request) -> tuple[FilterForm, selectors.Filters]:
    form = FilterForm(request.GET or None)
    return form, form.filters()


@login_required
@require_GET
@csp_override(CHART_CSP)
def dashboard(request) -> HttpResponse:
    form, filters = _filters(request)
    data = selectors.quality_dashboard(actor=request.user, filters=filters)
    return render(
        request,
        "quality/dashboard.html",
        {
            "form": form,
            "dashboard": data,
            "chart_data": data.chart_data(),
            "query": filters.query(),
            "references": references(),
            "volume_sections": [
                ("procedure", "procedure", data.by_procedure),
                ("operator", "operator", data.by_operator),
                ("room", "room", data.by_room),
                ("month", "month", data.by_month),
            ],
        },
    )


def _download(columns: list[str], rows: list[list], name: str, fmt: str) -> HttpResponse:
    """A chart's table as a CSV or XLSX attachment."""
    if fmt == "csv":
        response = HttpResponse(as_csv(columns, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            as_xlsx(columns, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
def export(request, chart: str, fmt: str) -> HttpResponse:
    if chart not in selectors.CHARTS or fmt not in {"csv", "xlsx"}:
        raise Http404("Unknown chart or format.")
    _, filters = _filters(request)
    data = selectors.quality_dashboard(actor=request.user, filters=filters)
    columns, rows = selectors.table(data, chart)
    name = f"irflow-quality-{chart}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
    return _download(columns, rows, name, fmt)


DRILL_LABELS = {
    "month": "month",
    "ae": "adverse events",
    "technical": "technical success",
    "clinical": "clinical success",
    "dose": "with a dose report",
    "srdl": "substantial radiation dose, follow-up",
    "checklist": "checklist completed",
    "no_checklist": "checklist missing",
    "override": "override",
}


@login_required
@require_GET
def cases(request) -> HttpResponse:
    form, filters = _filters(request)
    keys = (*selectors.DRILL_KEYS, *drill.DRILL_KEYS)
    narrow = {k: request.GET.get(k, "") for k in keys if request.GET.get(k)}
    if any(k in drill.DRILL_KEYS for k in narrow):
        total, rows = drill.case_list(actor=request.user, filters=filters, narrow=narrow)
    else:
        total, rows = selectors.case_list(actor=request.user, filters=filters, narrow=narrow)
    return render(
        request,
        "quality/cases.html",
        {
            "form": form,
            "filters": filters,
            "narrow": [(DRILL_LABELS[k], v) for k, v in narrow.items()],
            "total": total,
            "rows": rows,
            "query": filters.query(),
            "show_identity": can(request.user, "patient.view"),
            "can_open_record": can(request.user, "procedure.view"),
        },
    )


@login_required
@require_GET
def case(request, record_id: int) -> HttpResponse:
    detail = selectors.case_get(actor=request.user, record_id=record_id)
    return render(
        request,
        "quality/case.html",
        {
            "detail": detail,
            "record": detail.record,
            "show_identity": can(request.user, "patient.view"),
            "can_open_record": can(request.user, "procedure.view"),
        },
    )


# --- Timeliness ---------------------------------------------------------------------------


@login_required
@require_GET
@csp_override(CHART_CSP)
def timeliness(request) -> HttpResponse:
    form, filters = _filters(request)
    data = quality_timeliness(actor=request.user, filters=filters)
    return render(
        request,
        "quality/timeliness.html",
        {
            "form": form,
            "data": data,
            "chart_data": data.chart_data(),
            "query": filters.query(),
            "waits": [
                ("triage", "Referral → triage", data.triage),
                ("procedure", "Referral → procedure", data.procedure),
            ],
        },
    )


@login_required
@require_GET
def timeliness_export(request, chart: str, fmt: str) -> HttpResponse:
    if chart not in timeliness_lists.CHARTS or fmt not in {"csv", "xlsx"}:
        raise Http404("Unknown chart or format.")
    _, filters = _filters(request)
    data = quality_timeliness(actor=request.user, filters=filters)
    columns, rows = timeliness_lists.table(data, chart)
    name = f"irflow-timeliness-{chart}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
    return _download(columns, rows, name, fmt)


@login_required
@require_GET
def timeliness_cases(request) -> HttpResponse:
    form, filters = _filters(request)
    show, reason = request.GET.get("show", ""), request.GET.get("reason", "")
    try:
        unit, total, rows = timeliness_lists.timeliness_list(
            actor=request.user, filters=filters, show=show, reason=reason
        )
    except ValidationFailed as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    return render(
        request,
        "quality/timeliness_cases.html",
        {
            "form": form,
            "filters": filters,
            "unit": unit,
            "shown": timeliness_lists.SHOW_LABELS[show],
            "reason": dict(CancelReason.choices).get(
                reason, "no reason recorded" if reason else ""
            ),
            "total": total,
            "rows": rows,
            "query": filters.query(),
            "show_identity": can(request.user, "patient.view"),
            "can_open_referral": can(request.user, "referral.view"),
        },
    )


# --- Devices and safety --------------------------------------------------------------------


@login_required
@require_GET
@csp_override(CHART_CSP)
def safety(request) -> HttpResponse:
    form, filters = _filters(request)
    data = figures.safety_dashboard(actor=request.user, filters=filters)
    return render(
        request,
        "quality/safety.html",
        {
            "form": form,
            "dashboard": data,
            "chart_data": data.chart_data(),
            "query": filters.query(),
            "tab": "safety",
            "ivc_labels": figures.IVC_LABELS,
        },
    )


@login_required
@require_GET
def safety_export(request, chart: str, fmt: str) -> HttpResponse:
    if chart not in tables.CHARTS or fmt not in {"csv", "xlsx"}:
        raise Http404("Unknown chart or format.")
    _, filters = _filters(request)
    data = figures.safety_dashboard(actor=request.user, filters=filters)
    columns, rows = tables.table(data, chart)
    name = f"irflow-safety-{chart}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
    return _download(columns, rows, name, fmt)


@login_required
@require_GET
def safety_devices(request) -> HttpResponse:
    _, filters = _filters(request)
    narrow = {k: request.GET[k] for k in drill.DEVICE_KEYS if request.GET.get(k)}
    total, rows = drill.device_list(actor=request.user, filters=filters, narrow=narrow)
    return render(
        request,
        "quality/safety_devices.html",
        {
            "filters": filters,
            "narrow": narrow,
            "title": drill.device_title(narrow),
            "total": total,
            "rows": rows,
            "query": filters.query(),
            "show_identity": can(request.user, "patient.view"),
        },
    )


@login_required
@require_GET
def safety_tasks(request) -> HttpResponse:
    _, filters = _filters(request)
    narrow = {k: request.GET[k] for k in drill.TASK_KEYS if request.GET.get(k)}
    total, rows = drill.task_list(actor=request.user, filters=filters, narrow=narrow)
    return render(
        request,
        "quality/safety_tasks.html",
        {
            "filters": filters,
            "narrow": narrow,
            "title": drill.task_title(narrow),
            "total": total,
            "rows": rows,
            "query": filters.query(),
            "show_identity": can(request.user, "patient.view"),
        },
    )
