"""The logbook pages (thin: the services and selectors check permissions and values)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can, require
from irflow.accounts.roles import Role
from irflow.lib.forms import TextForm
from irflow.training import selectors, services
from irflow.training.export import COLUMNS, entry_rows, logbook_csv_text
from irflow.training.models import Programme
from irflow.web.forms import refusals_shown
from irflow.web.pdf import render_pdf

LOGBOOK_CSS = Path(__file__).resolve().parent / "static" / "training" / "logbook.css"
MSG_VERIFIED = "Verified: {entry}."
MSG_QUERIED = "Queried: {entry}. The trainee sees your note."
MSG_ENROLLED = "{trainee} follows {programme}."


class QueryForm(TextForm):
    note = forms.CharField(label="What is to be corrected", max_length=500)


class EnrolForm(TextForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(active=True)  # type: ignore[attr-defined]


@login_required
def home(request):
    """A trainee goes to their logbook; others see the trainees, the queue, the figures."""
    user = request.user
    if user.role == Role.TRAINEE:
        return redirect("logbook", user.pk)
    return render(
        request,
        "training/home.html",
        {
            "trainees": selectors.trainees(actor=user),
            "can_verify": can(user, "logbook.verify"),
            "can_practice": can(user, "practice.view"),
        },
    )


def _logbook_context(request, trainee_id: int) -> dict:
    trainee, entries = selectors.logbook(actor=request.user, trainee_id=trainee_id)
    return {
        "trainee": trainee,
        "entries": list(entries),
        "counts": selectors.logbook_counts(actor=request.user, trainee_id=trainee_id),
        "progress": selectors.programme_progress(actor=request.user, trainee_id=trainee_id),
    }


@login_required
def logbook(request, trainee_id: int, enrol_form=None, status=200):
    """A trainee's counts by category and role, progress against their programmes, entries."""
    context = _logbook_context(request, trainee_id)
    context["enrol_form"] = (
        (enrol_form or EnrolForm()) if can(request.user, "programme.manage") else None
    )
    return render(request, "training/logbook.html", context, status=status)


@login_required
@require_POST
def enrol(request, trainee_id: int):
    require(request.user, "programme.manage")
    form = EnrolForm(request.POST)
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            enrolment = services.enrol(
                actor=request.user,
                trainee_id=trainee_id,
                programme_id=form.cleaned_data["programme"].pk,
            )
        if outcome.ok:
            messages.success(
                request,
                MSG_ENROLLED.format(trainee=enrolment.trainee, programme=enrolment.programme),
            )
            return redirect("logbook", trainee_id)
    return logbook(request, trainee_id, enrol_form=form, status=422)


def _filename(trainee, ext: str) -> str:
    return f"logbook-{trainee.username}-{timezone.localdate():%Y-%m-%d}.{ext}"


@login_required
def logbook_csv(request, trainee_id: int):
    """Every entry, with who verified it and when."""
    trainee, entries = selectors.logbook(actor=request.user, trainee_id=trainee_id)
    response = HttpResponse(logbook_csv_text(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(trainee, "csv")}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def logbook_pdf(request, trainee_id: int):
    """The logbook as a PDF: counts, progress, every entry with its verifier."""
    context = _logbook_context(request, trainee_id)
    html = render_to_string(
        "training/logbook_print.html",
        {
            **context,
            "columns": COLUMNS,
            "rows": entry_rows(context["entries"]),
            "printed_at": timezone.localtime(),
        },
        request=request,
    )
    response = HttpResponse(
        render_pdf(html, stylesheet=LOGBOOK_CSS), content_type="application/pdf"
    )
    name = _filename(context["trainee"], "pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def queue(request, query_form=None, failed=None, status=200):
    """The entries waiting for the signed-in supervisor: verify, or query with a note."""
    return render(
        request,
        "training/queue.html",
        {
            "entries": list(selectors.verification_queue(actor=request.user)),
            "query_form": query_form or QueryForm(),
            "failed": failed,
        },
        status=status,
    )


@login_required
@require_POST
def verify(request, entry_id: int):
    with refusals_shown(request=request) as outcome:
        entry = services.logbook_entry_verify(actor=request.user, entry_id=entry_id)
    if outcome.ok:
        messages.success(request, MSG_VERIFIED.format(entry=entry))
    return redirect("logbook-queue")


@login_required
@require_POST
def query(request, entry_id: int):
    form = QueryForm(request.POST)
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            entry = services.logbook_entry_query(
                actor=request.user, entry_id=entry_id, note=form.cleaned_data["note"]
            )
        if outcome.ok:
            messages.success(request, MSG_QUERIED.format(entry=entry))
            return redirect("logbook-queue")
    return queue(request, query_form=form, failed=entry_id, status=422)


def _day(value: str, default: date) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return default


@login_required
def practice(request):
    """Per-operator practice evaluation figures over a period (default: the last 12 months)."""
    today = timezone.localdate()
    start = _day(request.GET.get("start", ""), today - timedelta(days=365))
    end = _day(request.GET.get("end", ""), today)
    rows = selectors.practice_figures(actor=request.user, start=start, end=end)
    return render(request, "training/practice.html", {"rows": rows, "start": start, "end": end})
