"""Report pages: the worklists, the editor (autosaved), submit / sign / co-sign, addenda, and
the PDF.

A final report is shown read-only; posting changes to it is refused by the service (409) and
the page says so.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can
from irflow.lib.errors import ServiceError
from irflow.reports import pdf, selectors, services
from irflow.reports.models import Addendum, ReportStatus
from irflow.web.forms import refusals_shown

ACTIONS = {
    "submit": (services.report_submit, "Submitted for co-signature."),
    "sign": (services.report_sign, "Signed: the report is final."),
    "cosign": (services.report_cosign, "Co-signed: the report is final."),
}


def _get(request, report_id: int, action: str = "report.view"):
    return selectors.report_get(actor=request.user, report_id=report_id, action=action)


def _errors(exc: ServiceError) -> list[str]:
    errors = getattr(exc, "errors", None)
    return [m for msgs in errors.values() for m in msgs] if errors else [exc.message]


def _say(request, exc: ServiceError) -> None:
    """A refusal as error messages on the next page, one per field message."""
    for message in _errors(exc):
        messages.error(request, message)


def _render(request, report, *, errors=None, saved=False, status=200, partial=False):
    view = selectors.report_view(report)
    user = request.user
    editable = report.status == ReportStatus.DRAFT and can(user, "report.draft")
    context = {
        "view": view,
        "report": report,
        "record": report.record,
        "patient": report.record.patient,
        "editable": editable,
        "is_author": report.author_id == user.pk,
        "errors": errors or [],
        "saved": saved,
        "saved_at": timezone.localtime(),
        "can_sign": report.status == ReportStatus.DRAFT
        and can(user, "report.sign")
        and report.author.role != "trainee",
        "can_submit": editable,
        "can_cosign": report.status == ReportStatus.AWAITING_COSIGN
        and can(user, "report.cosign")
        and report.author_id != user.pk,
        "can_addendum": report.status == ReportStatus.FINAL and can(user, "report.draft"),
        "can_sign_addendum": can(user, "report.sign"),
    }
    template = "reports/_save_result.html" if partial else "reports/report.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def report_start(request, procedure_id: int):
    report = services.report_start(actor=request.user, procedure_id=procedure_id)
    return redirect("report-detail", report_id=report.pk)


@login_required
def report_worklists(request):
    """To sign, to co-sign, returned to me, and my cases today (the lists the role holds)."""
    lists = selectors.report_worklists(actor=request.user)
    return render(
        request,
        "reports/worklists.html",
        {"lists": lists, "today": timezone.localdate(), "signs": can(request.user, "report.sign")},
    )


@login_required
def report_detail(request, report_id: int):
    return _render(request, _get(request, report_id))


def _posted(request, report) -> tuple[dict, dict]:
    fields = {
        k.removeprefix("field_"): v for k, v in request.POST.items() if k.startswith("field_")
    }
    sections = {
        k.removeprefix("section_"): v for k, v in request.POST.items() if k.startswith("section_")
    }
    return fields, sections


@login_required
@require_POST
def report_save(request, report_id: int) -> HttpResponse:
    """Autosave of the draft (htmx); on a final report the service refuses and we say so."""
    report = _get(request, report_id)
    fields, sections = _posted(request, report)
    with refusals_shown() as outcome:
        report = services.report_update(
            actor=request.user, report_id=report_id, fields=fields, sections=sections
        )
    if outcome.error is not None:
        _as_typed(report, fields, sections)
        status = outcome.error.status_code
        if not request.htmx:
            return _render(request, report, errors=_errors(outcome.error), status=status)
        return _render(request, report, errors=_errors(outcome.error), partial=True, status=status)
    if not request.htmx:
        messages.success(request, "Saved.")
        return redirect("report-detail", report_id=report_id)
    return _render(request, report, saved=True, partial=True)


def _as_typed(report, fields: dict, sections: dict) -> None:
    """Show the page with what was typed (not saved), so that a refusal loses nothing."""
    if report.status == ReportStatus.DRAFT:
        report.fields = {**report.fields, **fields}
        report.sections = {**report.sections, **sections}


@login_required
@require_POST
def report_action(request, report_id: int, action: str):
    if action not in ACTIONS:
        raise Http404("No such action.")
    report = _get(request, report_id)
    fields, sections = _posted(request, report)
    service, done = ACTIONS[action]
    with refusals_shown() as outcome:
        if (fields or sections) and report.status == ReportStatus.DRAFT:
            services.report_update(
                actor=request.user, report_id=report_id, fields=fields, sections=sections
            )
        service(actor=request.user, report_id=report_id)
    if outcome.error is not None:
        report.refresh_from_db()
        _as_typed(report, fields, sections)  # what was typed stays on the page
        return _render(request, report, errors=_errors(outcome.error), status=422)
    messages.success(request, done)
    return redirect("report-detail", report_id=report_id)


@login_required
@require_POST
def report_return(request, report_id: int):
    """The co-signing physician sends a trainee's draft back with what needs changing."""
    _get(request, report_id)
    with refusals_shown() as outcome:
        services.report_return(
            actor=request.user, report_id=report_id, reason=request.POST.get("reason", "")
        )
    if outcome.error is None:
        messages.success(request, "Returned to the author for changes.")
    else:
        _say(request, outcome.error)
    return redirect("report-detail", report_id=report_id)


@login_required
@require_POST
def addendum_add(request, report_id: int):
    _get(request, report_id)
    with refusals_shown() as outcome:
        services.addendum_create(
            actor=request.user,
            report_id=report_id,
            text=request.POST.get("text", ""),
            sign=request.POST.get("sign") == "1" and can(request.user, "report.sign"),
        )
    if outcome.error is None:
        messages.success(request, "Addendum recorded.")
    else:
        _say(request, outcome.error)
    return redirect("report-detail", report_id=report_id)


@login_required
@require_POST
def addendum_sign(request, addendum_id: int):
    # The service checks the role before it looks the addendum up: one answer whether it
    # exists or not. Its report is looked up only once the role may sign.
    with refusals_shown(request=request) as outcome:
        services.addendum_sign(actor=request.user, addendum_id=addendum_id)
    if outcome.ok:
        messages.success(request, "Addendum signed.")
    report_id = Addendum.objects.filter(pk=addendum_id).values_list("report_id", flat=True).first()
    if report_id is None:
        raise Http404("No such addendum.")
    return redirect("report-detail", report_id=report_id)


@login_required
def report_pdf(request, report_id: int) -> HttpResponse:
    report = _get(request, report_id)
    data = pdf.report_pdf(report)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"report-{report.record.order.accession_number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
