"""Board pages: meetings, the agenda with decisions, the printable agenda (HTML and PDF)."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can
from irflow.board import forms, selectors, services
from irflow.orders.services import procedure_by_code
from irflow.referrals.models import ReferralStatus
from irflow.web.forms import refusals_shown
from irflow.web.pdf import render_pdf

AGENDA_CSS = Path(__file__).resolve().parent / "static" / "board" / "agenda.css"


@login_required
def meeting_list(request, form=None):
    upcoming = selectors.board_meetings(actor=request.user, upcoming=True)
    past = selectors.board_meetings(actor=request.user, upcoming=False, limit=20)
    awaiting = selectors.referrals_awaiting_board(actor=request.user)
    return render(
        request,
        "board/list.html",
        {
            "upcoming": upcoming,
            "past": past,
            "awaiting": awaiting,
            "form": form or forms.MeetingForm(),
            "open_form": form is not None,
            "can_manage": can(request.user, "board.manage"),
        },
        status=422 if form is not None else 200,
    )


@login_required
@require_POST
def meeting_create(request):
    form = forms.MeetingForm(request.POST)
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            meeting = services.board_meeting_create(actor=request.user, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, "Meeting planned.")
            return redirect("board-meeting", meeting_id=meeting.pk)
    return meeting_list(request, form=form)


def _agenda(request, meeting_id: int, what: str):
    return selectors.board_meeting_get(actor=request.user, meeting_id=meeting_id, what=what)


@login_required
def meeting_detail(request, meeting_id: int, error_form=None, error_case: int | None = None):
    agenda = _agenda(request, meeting_id, "board agenda")
    can_decide = can(request.user, "board.decide")
    decision_forms = {}
    if can_decide:
        for case in agenda.cases:
            if not case.decision and case.referral.status == ReferralStatus.BOARD:
                decision_forms[case.pk] = (
                    error_form
                    if case.pk == error_case
                    else forms.DecisionForm(
                        prefix=f"case{case.pk}",
                        initial={
                            "priority": case.referral.urgency,
                            "procedure_code": case.referral.procedure_type.code
                            if case.referral.procedure_type
                            else "",
                            "laterality": case.referral.laterality,
                            "site": case.referral.site,
                        },
                    )
                )
    can_manage = can(request.user, "board.manage")
    return render(
        request,
        "board/meeting.html",
        {
            "agenda": agenda,
            "meeting": agenda.meeting,
            "decision_forms": decision_forms,
            "awaiting": selectors.referrals_awaiting_board(actor=request.user)
            if can_manage
            else [],
            "can_manage": can_manage,
        },
        status=422 if error_form is not None else 200,
    )


@login_required
@require_POST
def case_add(request, meeting_id: int):
    with refusals_shown(request=request) as outcome:
        services.board_case_add(
            actor=request.user,
            meeting_id=meeting_id,
            referral_id=int(request.POST.get("referral_id", "0") or 0),
        )
    if outcome.ok:
        messages.success(request, "Added to the agenda.")
    return redirect("board-meeting", meeting_id=meeting_id)


@login_required
@require_POST
def case_decide(request, meeting_id: int, case_id: int):
    form = forms.DecisionForm(request.POST, prefix=f"case{case_id}")
    if form.is_valid():
        data = form.cleaned_data
        code = data.pop("procedure_code")
        with refusals_shown(form=form, aliases={"procedure_type": "procedure_code"}) as outcome:
            services.board_decision_record(
                actor=request.user,
                case_id=case_id,
                procedure_type=procedure_by_code(code, field="procedure_type") if code else None,
                **data,
            )
        if outcome.ok:
            messages.success(request, "Decision recorded.")
            return redirect("board-meeting", meeting_id=meeting_id)
    return meeting_detail(request, meeting_id, error_form=form, error_case=case_id)


def _print_context(request, meeting_id: int, what: str) -> dict:
    agenda = _agenda(request, meeting_id, what)
    return {"agenda": agenda, "meeting": agenda.meeting, "printed_at": timezone.localtime()}


@login_required
def agenda_print(request, meeting_id: int):
    """The agenda as a printable page (and what the PDF is made from)."""
    return render(request, "board/agenda_print.html", _print_context(request, meeting_id, "print"))


@login_required
def agenda_pdf(request, meeting_id: int):
    context = _print_context(request, meeting_id, "agenda PDF")
    html = render_to_string("board/agenda_print.html", {**context, "pdf": True}, request=request)
    pdf = render_pdf(html, stylesheet=AGENDA_CSS)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"board-agenda-{context['meeting'].held_at:%Y-%m-%d}-{meeting_id}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
