"""Registry export (QI lead, administrator) and M&M review (physicians, QI lead) pages."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from irflow.accounts.permissions import can, require
from irflow.lib.errors import ValidationFailed
from irflow.registry import export, mm, selectors
from irflow.registry.datasets import elements
from irflow.registry.forms import PeriodForm, RegistryForm, bound
from irflow.web.pdf import render_pdf


def _agenda_css() -> Path:
    """The agenda print stylesheet, the board's: both meetings' agendas print alike."""
    return Path(apps.get_app_config("board").path) / "static" / "board" / "agenda.css"


def _registry_form(request) -> RegistryForm:
    form = bound(RegistryForm, request, family="central_venous_access")
    if not can(request.user, "registry.export_identified"):
        form.fields.pop("identified")
    return form


@login_required
@require_GET
def registry_export_page(request):
    """Family and period → the validation report → the download."""
    require(request.user, "registry.export")
    form = _registry_form(request)
    result = None
    if form.is_valid():
        result = selectors.registry_validation(
            actor=request.user,
            family=form.cleaned_data["family"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            identified=form.cleaned_data.get("identified", False),
        )
    context = {
        "form": form,
        "result": result,
        "query": request.GET.urlencode(),
        "required": [e.name for e in elements(result.family.code) if e.required] if result else [],
    }
    return render(request, "registry/export.html", context, status=422 if form.errors else 200)


def _checked(request) -> RegistryForm:
    require(request.user, "registry.export")
    form = _registry_form(request)
    if not form.is_valid():
        raise ValidationFailed({k: [str(m) for m in v] for k, v in form.errors.items()})
    return form


@login_required
@require_GET
def registry_download(request):
    form = _checked(request)
    name, data = export.registry_export(
        actor=request.user,
        family=form.cleaned_data["family"],
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
        identified=form.cleaned_data.get("identified", False),
    )
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def registry_excluded_csv(request):
    """The validation report as CSV: each case left out and the required elements it lacks."""
    form = _checked(request)
    result = selectors.registry_validation(
        actor=request.user,
        family=form.cleaned_data["family"],
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
    )
    response = HttpResponse(selectors.validation_csv(result), content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="{export.archive_name(result)}-excluded.csv"'
    )
    return response


def _mm_context(request) -> dict:
    form = bound(PeriodForm, request)
    cases = None
    if form.is_valid():
        cases = mm.mm_cases(
            actor=request.user, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
        )
    return {"form": form, "cases": cases, "query": request.GET.urlencode()}


@login_required
@require_GET
def mm_review(request):
    """The M&M list for a period: moderate-or-worse adverse events and unplanned admissions."""
    require(request.user, "mm.view")
    context = _mm_context(request)
    return render(
        request, "registry/mm.html", context, status=422 if context["form"].errors else 200
    )


@login_required
@require_GET
def mm_agenda_pdf(request):
    require(request.user, "mm.view")
    context = _mm_context(request)
    if context["cases"] is None:
        return render(request, "registry/mm.html", context, status=422)
    form = context["form"]
    html = render_to_string(
        "registry/mm_agenda.html",
        {
            **context,
            "start": form.cleaned_data["start"],
            "end": form.cleaned_data["end"],
            "printed_at": timezone.localtime(),
            "site_name": settings.IRFLOW_SITE_NAME,
        },
        request=request,
    )
    response = HttpResponse(
        render_pdf(html, stylesheet=_agenda_css()), content_type="application/pdf"
    )
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    response["Content-Disposition"] = (
        f'attachment; filename="mm-agenda-{start:%Y%m%d}-{end:%Y%m%d}.pdf"'
    )
    return response
