"""Pages of the day of the case: the Today board (the landing page of the department), moving
a patient along with a confirmation, the procedure page (check-in, the record autosaved group
by group, team, drugs, devices with a UDI scan, specimens, adverse events, completion), the
discharge, and the emergency override. Thin: selectors read, services move and check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from irflow.accounts.middleware import BACKGROUND_HEADER
from irflow.accounts.models import User
from irflow.accounts.permissions import can
from irflow.accounts.roles import Role
from irflow.accounts.selectors import credential_flags
from irflow.checklists.services import safety_flag_review
from irflow.dayofcase import selectors, services, versions
from irflow.dayofcase.cases import cases_for
from irflow.dayofcase.guards import BEFORE_ROOM, MOVE_LABELS, RULES_BY_CODE, Move, verdict
from irflow.devices.models import DeviceKind
from irflow.devices.selectors import devices_overdue
from irflow.followup.selectors import followups_due
from irflow.followup.views import may_do
from irflow.lib.forms import TextForm
from irflow.outcomes.forms import AdverseEventForm
from irflow.outcomes.services import adverse_event_record
from irflow.procedures import forms, groups
from irflow.procedures import services as procedures
from irflow.procedures.models import ProcedureRecord, RecordStatus
from irflow.procedures.selectors import procedure_booking_id, procedure_get
from irflow.recovery.forms import DischargeForm
from irflow.recovery.models import Disposition
from irflow.recovery.views import render_recovery_page
from irflow.web.forms import refusals_shown
from irflow.web.navigation import navigation_for

MSG_CHECKED_IN = "Checked in: the procedure record is open."
MSG_COMPLETED = "Procedure completed: the patient is in recovery."
MSG_MOVED = "{patient}: {status}."
MSG_OVERRIDDEN = "Override recorded: {rule}"
MSG_FLAG_REVIEWED = "Flag reviewed."
# Those who work in the department land on today's board.
BOARD_ROLES = {Role.PHYSICIAN, Role.NURSE, Role.TECHNOLOGIST, Role.SCHEDULER}
ADD_FORMS = ("team", "sedation", "device", "specimen")
PART_SERVICES: dict[str, Callable[..., Any]] = {
    "team": procedures.team_member_add,
    "sedation": procedures.sedation_agent_add,
    "device": procedures.device_add,
    "specimen": procedures.specimen_add,
}
STATUS_WORDS = {
    "arrived": "checked in",
    "in_preparation": "in preparation",
    "in_room": "in the room",
    "recovery": "in recovery",
}


# ------------------------------------------------------------------ the Today board


@login_required
def home(request):
    if request.user.role in BOARD_ROLES:
        return _board(request, greeting=True)
    return render(request, "web/home.html", {"tiles": navigation_for(request.user, "")})


def _mark_credential_flags(user, bookings: list, on) -> None:
    """Give each booking the words of its primary operator's expired or soon expiring
    certifications (a calm flag, never a block: docs/training-and-credentials.md)."""
    if not can(user, "credential.view"):
        return
    operators = {b.primary_operator_id for b in bookings if b.primary_operator_id}
    flags = credential_flags(actor=user, user_ids=operators, on=on)
    for booking in bookings:
        booking.credential_flags = [
            f"{booking.primary_operator}: {words}"
            for words in flags.get(booking.primary_operator_id, [])
        ]


def _board(request, *, greeting: bool = False, error: str = "", status: int = 200):
    """The board, or (to the page's own refresh) 304 while the board it shows still holds."""
    user = request.user
    refresh = bool(request.htmx) and request.method == "GET"
    # The marks are read before the board: a change committed while it is drawn shows at
    # the next refresh.
    base = selectors.board_tag_base(actor=user, what="fragment")
    sent = request.headers.get("If-None-Match", "")
    if refresh and sent and versions.holds(sent, base):
        response = HttpResponse(status=304)
        response["ETag"] = sent.split(",")[0].strip()
        return response
    now = timezone.localtime()
    # A refresh that draws the board again says whom it shows, as the page load does (a 304
    # shows nobody and is not logged).
    rooms = selectors.department_board(actor=user)
    tag = selectors.board_tag(base, rooms, drawn_at=now)
    today = timezone.localdate()
    _mark_credential_flags(user, [c.booking for r in rooms for c in r.cases], today)
    context = {
        "rooms": rooms,
        "etag": tag.etag,
        "today": today,
        "now": now,
        "greeting": greeting,
        "error": error,
        "can_override": can(request.user, "case.override"),
    }
    if not request.htmx:
        # The cards below the board (the fragment leaves them alone).
        background = bool(request.META.get(BACKGROUND_HEADER))
        context["due"] = followups_due(actor=user, on=today) if can(user, "followup.view") else None
        context["may"] = may_do(user)
        context["overdue"] = (
            devices_overdue(actor=user, on=today, log=not background)
            if can(user, "device.view")
            else None
        )
    template = "dayofcase/board.html#board" if request.htmx else "dayofcase/board.html"
    response = render(request, template, context, status=status)
    if refresh:
        response["ETag"] = tag.etag
    return response


@login_required
def department_board(request):
    """Today's board; the wall screen (refreshes itself)."""
    return _board(request)


def _option(page_options: list[selectors.Option], to: str) -> selectors.Option | None:
    return next((o for o in page_options if o.to == to), None)


# The moves the rules guard, asked for where the page does not offer them (a typed address,
# a stale page): the answer says why not.
GUARDED = {"in_room": ("In room", Move.IN_ROOM), "recovery": ("Complete → recovery", Move.COMPLETE)}


def _refused_option(page: selectors.ProcedurePage, to: str) -> selectors.Option | None:
    if to not in GUARDED:
        return None
    label, move = GUARDED[to]
    verdict = page.verdicts[move]
    if verdict.allowed:
        return None
    return selectors.Option(
        to=to,
        label=label,
        confirm="",
        allowed=False,
        reasons=verdict.messages,
        overridable=verdict.blocking,
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_move(request, booking_id: int):
    """Move a patient along the day. GET asks first (a move cannot be undone); POST moves.
    From the board (htmx) the board is sent back, with the refusal said on it."""
    to = request.POST.get("status") or request.GET.get("status", "")
    back = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "GET":
        page = selectors.procedure_page(actor=request.user, booking_id=booking_id)
        option = _option(page.options, to) or _refused_option(page, to)
        if option is None:
            raise Http404("This move is not offered for this patient now.")
        template = "dayofcase/_confirm.html" if request.htmx else "dayofcase/confirm.html"
        context = {"option": option, "booking": page.booking, "next": back}
        context["can_override"] = can(request.user, "case.override")
        if not request.htmx:
            context["patient"] = page.booking.patient
        return render(request, template, context, status=200 if option.allowed else 409)
    with refusals_shown(request=None if request.htmx else request) as outcome:
        booking = services.case_move(actor=request.user, booking_id=booking_id, to=to)
    error = outcome.error.message if outcome.error else ""
    if back == "board":
        if request.htmx:
            return _board(request, error=error)
        return redirect("department-board")
    if not error:
        name = f"{booking.patient.family_name.upper()}, {booking.patient.given_name}"
        messages.success(request, MSG_MOVED.format(patient=name, status=STATUS_WORDS[to]))
    return redirect("procedure-page", booking_id=booking_id)


@login_required
def chart_procedures(request, patient_id: int):
    """The patient chart's procedure cards (the chart loads them in place)."""
    procs = selectors.chart_procedures(actor=request.user, patient_id=patient_id)
    return render(request, "dayofcase/_chart.html", {"procs": procs})


# ------------------------------------------------------------------ the procedure page


def _staff():
    return User.objects.filter(
        is_active=True, role__in=["physician", "trainee", "nurse", "technologist"]
    ).order_by("last_name", "first_name")


def _group_form(group: str, record: ProcedureRecord, data=None) -> django_forms.Form:
    _, form_cls = forms.GROUP_FORMS[group]
    kwargs: dict[str, Any] = {}
    if group == "times":
        kwargs["day"] = timezone.localtime(record.booking.start).date()
        initial = forms.TimesForm.initial_for(record)
    else:
        initial = {name: getattr(record, name) for name in groups.fields_of(group)}
        if group == "contrast" and record.contrast_ml is not None:
            initial["contrast_ml"] = format(record.contrast_ml.normalize(), "f")
    if group == "outcome":
        kwargs["procedure_type"] = record.order.procedure_type
    form = form_cls(data, initial=initial, prefix=group, **kwargs)
    if group == "times" and record.in_room_at is None and record.status == RecordStatus.OPEN:
        # Keyboard-first: the page opens with the cursor on the first time to record.
        form.fields["in_room_at"].widget.attrs["autofocus"] = True
    return form


def _device_kinds(record: ProcedureRecord) -> list[tuple[str, str]]:
    placed = [p["kind"] for p in record.order.procedure_type.device_defaults.get("places", [])]
    labels = dict(DeviceKind.choices)
    first = [(k, labels.get(k, k)) for k in placed]
    return first + [(k, v) for k, v in DeviceKind.choices if k not in placed]


def device_form_options(
    user: User, record: ProcedureRecord | None = None, *, procedure_id: int = 0
) -> dict[str, Any]:
    """What the device form needs beyond its data: the device kinds (of the record, when
    given), whether the user may override an expired device, and the address that reads a
    scan as it comes."""
    return {
        "kinds": _device_kinds(record) if record is not None else (),
        "may_override": can(user, "device.expired_override"),
        "check_url": reverse(
            "procedure-device-check", args=[record.pk if record is not None else procedure_id]
        ),
    }


def _add_forms(record: ProcedureRecord, user: User) -> dict[str, django_forms.Form]:
    places = record.order.procedure_type.device_defaults.get("places", [])
    device_initial = (
        {"device_type": places[0]["name"], "implanted": True, "in_situ_kind": places[0]["kind"]}
        if places
        else {}
    )
    return {
        "team": forms.TeamForm(prefix="team", staff=_staff()),
        "sedation": forms.SedationAgentForm(prefix="sedation"),
        "device": forms.DeviceForm(
            prefix="device", initial=device_initial, **device_form_options(user, record)
        ),
        "specimen": forms.SpecimenForm(prefix="specimen"),
    }


def render_procedure_page(
    request,
    booking_id: int,
    *,
    add_forms=None,
    group_forms=None,
    open_form: str = "",
    ae_form=None,
    status=200,
):
    """The procedure page (with a form in error, when given: it keeps what was typed)."""
    page = selectors.procedure_page(actor=request.user, booking_id=booking_id)
    record = page.record
    user = request.user
    context: dict[str, Any] = {
        "page": page,
        "booking": page.booking,
        "patient": page.booking.patient,
        "record": record,
        "view": page.checklists,
        "readiness_view": page.readiness,
        "can_record": can(user, "procedure.record"),
        "can_check_in": can(user, "booking.progress"),
        "can_override": can(user, "case.override"),
        "can_review_flags": can(user, "safety_flag.review"),
        "open_form": open_form,
        "report": page.report,
        "recovery": page.recovery,
        "adverse_events": page.adverse_events,
        "overrides": list(page.case.overrides.values()),
        "flags": page.case.safety.flags,
        "move_labels": MOVE_LABELS,
        "complete_verdict": page.verdicts[Move.COMPLETE],
        "before_room": page.booking.status in BEFORE_ROOM,
    }
    if record is not None:
        editable = context["can_record"] and record.status == RecordStatus.OPEN
        context.update(
            editable=editable,
            groups=[
                (g, forms.GROUP_FORMS[g][0], (group_forms or {}).get(g) or _group_form(g, record))
                for g in forms.GROUP_FORMS
            ],
            add_forms={**_add_forms(record, user), **(add_forms or {})},
            can_report=can(user, "report.draft"),
            can_record_ae=can(user, "adverse_event.record"),
        )
        if context["can_record_ae"]:
            context["ae_form"] = ae_form or AdverseEventForm(
                prefix="ae", initial={"onset_at": timezone.localtime().replace(second=0)}
            )
    return render(request, "dayofcase/procedure.html", context, status=status)


@login_required
def procedure_page(request, booking_id: int):
    return render_procedure_page(request, booking_id)


@login_required
def procedure_by_id(request, procedure_id: int):
    booking_id = procedure_booking_id(actor=request.user, procedure_id=procedure_id)
    return redirect("procedure-page", booking_id=booking_id)


@login_required
@require_POST
def check_in(request, booking_id: int):
    with refusals_shown(request=request) as outcome:
        services.case_check_in(actor=request.user, booking_id=booking_id)
    if outcome.ok:
        messages.success(request, MSG_CHECKED_IN)
    return redirect("procedure-page", booking_id=booking_id)


def _record(request, procedure_id: int) -> ProcedureRecord:
    return procedure_get(actor=request.user, procedure_id=procedure_id, what="procedure page")


@login_required
@require_POST
def group_save(request, procedure_id: int, group: str) -> HttpResponse:
    """Autosave of one group (htmx answers with the group, showing “saved” or the errors)."""
    if group not in forms.GROUP_FORMS:
        raise Http404("No such part of the record.")
    record = _record(request, procedure_id)
    form = _group_form(group, record, request.POST)
    saved = False
    if form.is_valid():
        values = form.values() if isinstance(form, forms.TimesForm) else dict(form.cleaned_data)
        with refusals_shown(form=form) as outcome:
            record = services.case_record_update(
                actor=request.user, procedure_id=procedure_id, group=group, values=values
            )
        saved = outcome.ok
    if not request.htmx:
        if not saved:  # the page again, with what was typed and why it was not saved
            return render_procedure_page(
                request, record.booking_id, group_forms={group: form}, status=422
            )
        messages.success(request, f"{forms.GROUP_FORMS[group][0]} saved.")
        return redirect("procedure-page", booking_id=record.booking_id)
    return render(
        request,
        "procedures/_group_result.html",
        {
            "record": record,
            "group": group,
            "title": forms.GROUP_FORMS[group][0],
            "form": form,
            "saved": saved,
            "saved_at": timezone.localtime(),
            "editable": True,
        },
        status=200 if saved else 422,
    )


@login_required
@require_POST
def part_add(request, procedure_id: int, kind: str):
    """Add a team member, sedative, device (UDI scan) or specimen."""
    if kind not in ADD_FORMS:
        raise Http404("Unknown entry.")
    record = _record(request, procedure_id)
    extra: dict[str, Any] = {}
    if kind == "team":
        extra["staff"] = _staff()
    elif kind == "device":
        extra = device_form_options(request.user, record)
    form = _add_forms(record, request.user)[kind].__class__(request.POST, prefix=kind, **extra)
    if form.is_valid():
        data = form.cleaned_data
        service = PART_SERVICES[kind]
        with refusals_shown(form=form) as outcome:
            service(actor=request.user, procedure_id=procedure_id, **data)
        if outcome.ok:
            messages.success(request, "Added.")
            url = reverse("procedure-page", args=[record.booking_id])
            return redirect(f"{url}#h-{kind}")
    return render_procedure_page(
        request, record.booking_id, add_forms={kind: form}, open_form=kind, status=422
    )


@login_required
@require_POST
def part_strike(request, procedure_id: int, kind: str, part_id: int):
    record = _record(request, procedure_id)
    with refusals_shown(request=request) as outcome:
        procedures.record_part_strike(
            actor=request.user, procedure_id=procedure_id, kind=kind, part_id=part_id
        )
    if outcome.ok:
        messages.success(request, "Struck out (kept in the history).")
    return redirect("procedure-page", booking_id=record.booking_id)


@login_required
@require_POST
def complete(request, procedure_id: int):
    record = _record(request, procedure_id)
    with refusals_shown() as outcome:
        services.case_complete(actor=request.user, procedure_id=procedure_id)
    if outcome.error is None:
        messages.success(request, MSG_COMPLETED)
    else:
        errors = getattr(outcome.error, "errors", None)
        rules = getattr(outcome.error, "rules", None)
        said = list(rules.values()) if rules else []
        said += [m for msgs in (errors or {}).values() for m in msgs if m not in said]
        for message in said or [outcome.error.message]:
            messages.error(request, message)
    return redirect("procedure-page", booking_id=record.booking_id)


@login_required
@require_POST
def adverse_event_add(request, procedure_id: int):
    record = _record(request, procedure_id)
    form = AdverseEventForm(request.POST, prefix="ae")
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            adverse_event_record(actor=request.user, procedure_id=procedure_id, **form.cleaned_data)
        if outcome.ok:
            messages.success(request, "Adverse event recorded.")
            return redirect("procedure-page", booking_id=record.booking_id)
        form.shared_errors_once()
    return render_procedure_page(
        request, record.booking_id, open_form="ae", ae_form=form, status=422
    )


def _discharge_card(request, procedure_id: int, form: DischargeForm | None = None) -> dict:
    """What the discharge card shows: the rules' verdict (overrides applied), the form when
    the discharge would be accepted — home the same day only once PADSS allows it."""
    record = procedure_get(actor=request.user, procedure_id=procedure_id, what="discharge")
    case = cases_for([record.booking], discharge=True)[record.booking_id]
    found = verdict(case, Move.DISCHARGE)
    blocking = {r.rule.code for r in found.blocking}
    if form is None:
        now = timezone.localtime().replace(second=0, microsecond=0)
        form = DischargeForm(prefix="discharge", initial={"discharged_at": now})
    if "padss" in blocking:
        field = form.fields["disposition"]
        field.choices = [c for c in field.choices if c[0] != Disposition.SAME_DAY]  # type: ignore[attr-defined]
    return {
        "record": record,
        "booking": record.booking,
        "verdict": found,
        "offered": not found.invalid and "aldrete" not in blocking,
        "home_waits": "padss" in blocking,
        "form": form,
        "can_override": can(request.user, "case.override"),
        "can_record": can(request.user, "recovery.record"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def discharge(request, procedure_id: int):
    """The discharge card of the recovery page (GET, htmx), and the discharge itself."""
    if request.method == "GET":
        card = _discharge_card(request, procedure_id)
        return render(request, "dayofcase/_discharge.html", {"card": card})
    form = DischargeForm(request.POST, prefix="discharge")
    status = 422
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            services.case_discharge(
                actor=request.user, procedure_id=procedure_id, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(request, "Discharged.")
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("recovery-page", args=[procedure_id])
                return response
            return redirect("recovery-page", procedure_id=procedure_id)
        status = outcome.error.status_code if outcome.error else 422
    card = _discharge_card(request, procedure_id, form)
    if request.htmx:
        return render(request, "dayofcase/_discharge.html", {"card": card}, status=status)
    return render_recovery_page(
        request, procedure_id, discharge=form, status=status, extra={"discharge_card": card}
    )


# ------------------------------------------------------------------ overrides and flags


class OverrideForm(TextForm):
    reason = django_forms.CharField(
        max_length=500,
        widget=django_forms.Textarea(attrs={"rows": 3}),
        label="Why go ahead now",
        help_text="Kept with the record and shown on the board and the report.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def override(request, booking_id: int, rule: str):
    """A physician overrides one rule that refuses now, stating the reason."""
    declared = RULES_BY_CODE.get(rule)
    if declared is None:
        raise Http404("No such rule.")
    page = selectors.procedure_page(actor=request.user, booking_id=booking_id)
    refusal = next((r for r in page.verdicts[declared.move].refusals if r.rule.code == rule), None)
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_shown(form=form) as outcome:
            services.case_override(
                actor=request.user,
                booking_id=booking_id,
                rule=rule,
                reason=form.cleaned_data["reason"],
            )
        if outcome.ok:
            messages.warning(request, MSG_OVERRIDDEN.format(rule=declared.text))
            if declared.move == Move.DISCHARGE and page.record is not None:
                return redirect("recovery-page", procedure_id=page.record.pk)
            return redirect("procedure-page", booking_id=booking_id)
    return render(
        request,
        "dayofcase/override.html",
        {
            "booking": page.booking,
            "patient": page.booking.patient,
            "rule": declared,
            "refusal": refusal,
            "form": form,
            "move_label": MOVE_LABELS[declared.move],
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def flag_review(request, booking_id: int, flag_id: int):
    with refusals_shown(request=request) as outcome:
        safety_flag_review(
            actor=request.user,
            booking_id=booking_id,
            flag_id=flag_id,
            note=request.POST.get("note", ""),
        )
    if outcome.ok:
        messages.success(request, MSG_FLAG_REVIEWED)
    return redirect("procedure-page", booking_id=booking_id)
