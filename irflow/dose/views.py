"""Dose pages: reports, a procedure's dose review, reconciliation, quarantine, dashboard and
exports. Thin: selectors read, services write."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from irflow.accounts.permissions import can
from irflow.dose import reporting, selectors, services
from irflow.dose.forms import DateRangeForm, LinkForm
from irflow.dose.models import LinkStatus
from irflow.lib.errors import ValidationFailed
from irflow.patients.selectors import patient_get
from irflow.web.forms import refusals_shown

# Plotly adds its own <style> elements (modebar, hover and layout rules) at run time; under
# the site-wide "style-src 'self'" the browser drops them and the chart breaks. These pages
# alone allow inline <style> *elements* (style-src-elem); inline style *attributes*
# (style-src-attr) stay forbidden, and scripts stay same-origin only: plotly sets element
# styles through the CSSOM, which CSP does not govern. Every other page keeps the strict
# policy.
CHART_CSP: dict[str, Any] = {
    **settings.SECURE_CSP,
    "style-src-elem": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src-attr": [CSP.NONE],
}


def _tabs(request, current: str) -> dict:
    return {"tab": current, "counts": selectors.reconcile_counts(actor=request.user)}


@login_required
def dose_reports(request) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in LinkStatus.values:
        status = ""
    reports = selectors.dose_reports_list(actor=request.user, link_status=status or None)
    return render(
        request,
        "dose/reports.html",
        {
            "reports": reports,
            "status": status,
            "statuses": LinkStatus.choices,
            "show_identity": can(request.user, "patient.view"),
            **_tabs(request, "reports"),
        },
    )


@login_required
def dose_report(request, report_id: int) -> HttpResponse:
    detail = selectors.dose_report_get(actor=request.user, report_id=report_id)
    report = detail.report
    if report.order_id is not None and report.link_status == LinkStatus.LINKED:
        return redirect("dose-order", order_id=report.order_id)
    return render(
        request,
        "dose/report.html",
        {
            "detail": detail,
            "report": report,
            "patient": detail.patient,
            "can_link": can(request.user, "dose.reconcile"),
            "form": LinkForm(initial={"accession_number": request.GET.get("accession", "")}),
            **_tabs(request, "reconcile"),
        },
    )


@login_required
@csp_override(CHART_CSP)
def dose_order(request, order_id: int) -> HttpResponse:
    review = selectors.dose_for_order(actor=request.user, order_id=order_id)
    return render(
        request,
        "dose/order.html",
        {
            "review": review,
            "order": review.order,
            "patient": review.patient,
            "can_acknowledge": can(request.user, "dose.acknowledge"),
            **_tabs(request, "reports"),
        },
    )


@login_required
@require_POST
def dose_alert_acknowledge(request, alert_id: int) -> HttpResponse:
    with refusals_shown(request=request) as outcome:
        alert = services.dose_alert_acknowledge(
            actor=request.user, alert_id=alert_id, note=request.POST.get("note", "")
        )
    if not outcome.ok:
        return redirect("dose-reports")
    messages.success(request, "Alert acknowledged.")
    return redirect("dose-order", order_id=alert.order_id)


@login_required
def dose_reconcile(request) -> HttpResponse:
    items = selectors.reconciliation_list(actor=request.user)
    return render(
        request,
        "dose/reconcile.html",
        {"items": items, **_tabs(request, "reconcile")},
    )


@login_required
@require_POST
def dose_report_link(request, report_id: int) -> HttpResponse:
    form = LinkForm(request.POST)
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            report = services.dose_report_link(
                actor=request.user,
                report_id=report_id,
                order_id=form.order_id,
                mismatch_reason=form.cleaned_data["mismatch_reason"],
            )
        if outcome.ok:
            messages.success(request, f"Linked to {report.order}.")
            return redirect("dose-order", order_id=report.order_id)
        if isinstance(outcome.error, ValidationFailed):
            form.mismatch = True
    detail = selectors.dose_report_get(actor=request.user, report_id=report_id)
    return render(
        request,
        "dose/report.html",
        {
            "detail": detail,
            "report": detail.report,
            "patient": detail.patient,
            "can_link": True,
            "form": form,
            **_tabs(request, "reconcile"),
        },
        status=422,
    )


@login_required
def dose_quarantine(request) -> HttpResponse:
    items = selectors.quarantine_list(actor=request.user)
    return render(request, "dose/quarantine.html", {"items": items, **_tabs(request, "quarantine")})


@login_required
@require_POST
def dose_reprocess(request, received_id: int) -> HttpResponse:
    with refusals_shown(request=request) as call:
        outcome = services.received_reprocess(actor=request.user, received_id=received_id)
    if not call.ok:
        return redirect("dose-quarantine")
    if outcome.status == "rejected":
        messages.error(request, f"Still refused: {outcome.reason}")
    else:
        messages.success(request, f"Read again: {outcome.status}.")
    return redirect("dose-quarantine")


def _range(request) -> tuple[DateRangeForm, date, date]:
    today = timezone.localdate()
    form = DateRangeForm(
        request.GET or None, initial={"start": today - timedelta(days=365), "end": today}
    )
    start, end = today - timedelta(days=365), today
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    return form, start, end


@login_required
@csp_override(CHART_CSP)
def dose_dashboard(request) -> HttpResponse:
    form, start, end = _range(request)
    dashboard = reporting.dose_dashboard(actor=request.user, start=start, end=end)
    return render(
        request,
        "dose/dashboard.html",
        {
            "form": form,
            "dashboard": dashboard,
            "chart_data": dashboard.chart_data(),
            "can_export": can(request.user, "dose.export"),
            "can_identify": can(request.user, "patient.view"),
            "query": request.GET.urlencode(),
            **_tabs(request, "dashboard"),
        },
    )


@login_required
@require_GET
def dose_export(request, fmt: str) -> HttpResponse:
    if fmt not in {"csv", "xlsx"}:
        raise Http404("Unknown export format.")
    _, start, end = _range(request)
    columns, rows = reporting.dose_export_rows(
        actor=request.user, start=start, end=end, identified=request.GET.get("identified") == "1"
    )
    name = f"irflow-dose-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "csv":
        response = HttpResponse(
            reporting.as_csv(columns, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            reporting.as_xlsx(columns, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_GET
def chart_dose(request, patient_id: int) -> HttpResponse:
    """The patient chart's radiation dose card (the chart loads it in place)."""
    patient = patient_get(actor=request.user, patient_id=patient_id, what="chart dose")
    alerts = selectors.dose_alerts_for_chart(actor=request.user, patient_id=patient.pk)
    return render(request, "dose/_chart.html", {"alerts": alerts})
