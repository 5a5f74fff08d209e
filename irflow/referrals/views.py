"""Referral pages: submit, follow, triage; the triage queue; notifications; files.

Thin: selectors read, services decide; their refusals appear beside the form fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can, require
from irflow.lib.errors import ServiceError, ValidationFailed
from irflow.orders.services import procedure_by_code
from irflow.patients.models import Sex
from irflow.patients.selectors import patient_get
from irflow.referrals import forms, selectors, services
from irflow.referrals.models import REFERRAL_STATES, Referral, ReferralStatus
from irflow.referrals.stash import KeptUpload, Stash, stash_keep, stash_spend, stash_uploads
from irflow.referrals.waiting import format_hours
from irflow.scheduling.models import Booking
from irflow.web.forms import add_service_error, refusals_shown

TRIAGEABLE = (ReferralStatus.RECEIVED, ReferralStatus.CLINIC)
# Outcomes that act on the patient: not offered while IR has not confirmed who it is.
ON_PATIENT = ("board", "clinic")
OUTCOMES: dict[str, tuple[Callable[..., Referral], str, str, bool, str]] = {
    # outcome -> (service, form label, required, success message)
    "decline": (services.referral_decline, "reason", "Reason for declining", True, "Declined."),
    "information": (
        services.referral_request_information,
        "question",
        "What information is needed?",
        True,
        "The referrer has been asked for more information.",
    ),
    "board": (
        services.referral_send_to_board,
        "note",
        "Note for the board",
        False,
        "Sent to the multidisciplinary board.",
    ),
    "clinic": (
        services.referral_clinic_first,
        "note",
        "Note",
        False,
        "The patient will be seen in clinic first.",
    ),
}


def _targets_text() -> dict[str, str]:
    return {u: format_hours(t[1]) for u, t in selectors.urgency_targets().items()}


@login_required
def referral_list(request):
    status = request.GET.get("status", "")
    if status not in ReferralStatus.values:
        status = ""
    referrals = selectors.referral_list(actor=request.user, status=status)
    return render(
        request,
        "referrals/list.html",
        {
            "referrals": referrals,
            "status": status,
            "statuses": ReferralStatus.choices,
            "can_create": can(request.user, "referral.create"),
        },
    )


@login_required
def referral_create(request):
    require(request.user, "referral.create")
    patient = None
    patient_id = request.GET.get("patient") or request.POST.get("patient_id")
    if patient_id and str(patient_id).isdigit():
        patient = patient_get(actor=request.user, patient_id=int(patient_id), what="referral")
    form = forms.ReferralForm(
        request.POST or None,
        request.FILES or None,
        initial={"patient_id": patient.pk if patient else None},
        targets=_targets_text(),
        patient_chosen=patient is not None,
    )
    if request.method != "POST":
        return render(
            request,
            "referrals/form.html",
            {"form": form, "patient": patient, "chosen_patient": patient, "stash": Stash()},
        )
    token = request.POST.get("stash_token", "")
    kept = _kept_uploads(request, form, token)
    if form.is_valid() and kept is not None:
        data = form.cleaned_data
        aliases = {"procedure_type": "procedure_code", "patient": "mrn"}
        with refusals_shown(form=form, aliases=aliases) as outcome:
            referral = services.referral_create(
                actor=request.user,
                patient_id=patient.pk if patient else None,
                new_patient=None if patient else form.new_patient(),
                clinical_question=data["clinical_question"],
                urgency=data["urgency"],
                procedure_type=procedure_by_code(data["procedure_code"], field="procedure_code")
                if data["procedure_code"]
                else None,
                requested_procedure_text=data["requested_procedure_text"],
                laterality=data["laterality"],
                site=data["site"],
                relevant_history=data["relevant_history"],
                medications=data["medications"],
                allergies=data["allergies"],
                attachments=[*kept, *data["attachments"]],
            )
        if outcome.ok:
            stash_spend(session=request.session, token=token)
            messages.success(request, "Referral sent. You will be notified of every change.")
            return redirect("referral-detail", referral_id=referral.pk)
    stash = _keep_files(request, form, kept or [], token)
    return render(
        request,
        "referrals/form.html",
        {"form": form, "patient": patient, "chosen_patient": patient, "stash": stash},
        status=422,
    )


def _kept_uploads(request, form, token: str) -> list[KeptUpload] | None:
    """The files kept from the previous try, less those ticked to remove; None (and the
    reason on the form) when the token is not this session's or has expired."""
    try:
        return stash_uploads(
            session=request.session,
            user=request.user,
            token=token,
            remove=request.POST.getlist("stash_remove"),
        )
    except ValidationFailed as exc:
        form.is_valid()  # every other message too, at once
        add_service_error(form, exc)
        return None


def _keep_files(request, form, kept: list[KeptUpload], token: str) -> Stash:
    """Keep the files that were fine for the next try, and say what was wrong with the
    others (unless the service already did)."""
    stash = stash_keep(
        session=request.session,
        user=request.user,
        kept=kept,
        uploads=request.FILES.getlist("attachments"),
        replaces=token,
    )
    said = set(form.errors.get("attachments", []))
    for problem in stash.problems:
        if problem not in said:
            form.add_error("attachments", problem)
    return stash


def _detail(
    request,
    referral_id: int,
    *,
    error_forms: dict | None = None,
    stash: Stash | None = None,
    http_status: int = 422,
):
    referral = selectors.referral_get(actor=request.user, referral_id=referral_id)
    error_forms = error_forms or {}
    user = request.user
    triage = can(user, "referral.triage")
    status = referral.status
    typed = referral.submitted_patient
    patient_refusal = services.referral_patient_refusal(referral) if triage else ""
    context = {
        "referral": referral,
        # Until IR confirms the patient, the referrer sees what they typed, not the record.
        "patient": None if getattr(referral, "patient_hidden", False) else referral.patient,
        "typed_patient": typed,
        "typed_born": _day(typed.get("birth_date", "")),
        "confirm_patient": triage and referral.match_pending,
        "match_rows": _match_rows(referral) if triage and referral.match_pending else [],
        "reattach_form": error_forms.get("reattach")
        or forms.ReattachForm(
            initial={k: typed.get(k, "") for k in ("family_name", "given_name", "sex")}
            | {"birth_date": typed.get("birth_date", "")}
        ),
        "targets": selectors.urgency_targets(),
        "can_triage": triage and status in TRIAGEABLE,
        "can_order": triage and status == ReferralStatus.ACCEPTED,
        "patient_refusal": patient_refusal,
        "can_add_info": can(user, "referral.create")
        and status in (ReferralStatus.RECEIVED, ReferralStatus.MORE_INFO),
        "can_cancel": can(user, "referral.cancel")
        and REFERRAL_STATES.can(status, ReferralStatus.CANCELLED)
        and (referral.order_id is None or user.role != "referrer"),
        "bookings": list(
            Booking.objects.filter(order_id=referral.order_id)
            .select_related("room")
            .order_by("-start")
        )
        if referral.order_id
        else [],
        "accept_form": error_forms.get("accept")
        or forms.AcceptForm(
            ordering=status == ReferralStatus.ACCEPTED,
            initial={
                "procedure_code": referral.procedure_type.code if referral.procedure_type else "",
                "priority": referral.urgency,
                "laterality": referral.laterality,
                "site": referral.site,
            },
        ),
        "outcome_forms": {
            name: error_forms.get(name)
            or forms.ReasonForm(prefix=name, label=label, required=required)
            for name, (_, _, label, required, _) in OUTCOMES.items()
            if not (patient_refusal and name in ON_PATIENT)
        },
        "info_form": error_forms.get("information_added") or forms.InformationForm(),
        "cancel_form": error_forms.get("cancel")
        or forms.ReasonForm(prefix="cancel", label="Reason for cancelling"),
        "open_form": next(iter(error_forms), ""),
        "stash": stash or Stash(),
    }
    return render(
        request, "referrals/detail.html", context, status=http_status if error_forms else 200
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _match_rows(referral: Referral) -> list[tuple[str, str, str, bool]]:
    """(label, as the referral says, as on record, differ?) for the "same patient?" check."""
    typed, patient = referral.submitted_patient, referral.patient
    sexes = dict(Sex.choices)
    born = patient.birth_date.isoformat() if patient.birth_date else ""
    pairs = [
        ("MRN", typed.get("mrn", ""), patient.mrn or ""),
        ("Family name", typed.get("family_name", ""), patient.family_name),
        ("Given name", typed.get("given_name", ""), patient.given_name),
        ("Date of birth", typed.get("birth_date", ""), born),
        ("Sex", sexes.get(typed.get("sex", ""), ""), patient.get_sex_display()),
    ]
    return [(label, a, b, a.strip().casefold() != b.strip().casefold()) for label, a, b in pairs]


def _refused(
    request, referral_id: int, exc: ServiceError, form, name: str, aliases=None, stash=None
):
    """Show why a service refused what `form` (`name` on the referral's page) asked, on the
    page again with what was typed: field messages beside the fields, a refusal that is not
    about a field (e.g. the referral moved on) as the page's message (the form may no
    longer be offered)."""
    if isinstance(exc, ValidationFailed):
        add_service_error(form, exc, aliases)
    else:
        messages.error(request, exc.message)
    return _detail(
        request,
        referral_id,
        error_forms={name: form},
        stash=stash,
        http_status=exc.status_code,
    )


@login_required
def referral_detail(request, referral_id: int):
    return _detail(request, referral_id)


@login_required
@require_POST
def referral_accept(request, referral_id: int):
    ordering = selectors.referrals_visible(actor=request.user).filter(
        pk=referral_id, status=ReferralStatus.ACCEPTED
    )
    form = forms.AcceptForm(request.POST, ordering=ordering.exists())
    if form.is_valid():
        data = form.cleaned_data
        with refusals_shown() as outcome:
            procedure = (
                procedure_by_code(data["procedure_code"]) if data["procedure_code"] else None
            )
            referral = services.referral_accept(
                actor=request.user,
                referral_id=referral_id,
                procedure_type=procedure,
                priority=data["priority"],
                laterality=data["laterality"],
                site=data["site"],
                note=data["note"],
            )
        if outcome.error is None:
            if referral.order_id:
                messages.success(request, f"Accepted and ordered ({referral.order}).")
            else:
                messages.success(request, "Accepted. Choose the procedure to order it.")
            return redirect("referral-detail", referral_id=referral_id)
        aliases = {"procedure_type": "procedure_code"}
        return _refused(request, referral_id, outcome.error, form, "accept", aliases)
    return _detail(request, referral_id, error_forms={"accept": form})


@login_required
@require_POST
def referral_triage(request, referral_id: int, outcome: str):
    if outcome not in OUTCOMES:
        raise Http404("No such triage outcome.")
    service, argument, label, required, done = OUTCOMES[outcome]
    form = forms.ReasonForm(request.POST, prefix=outcome, label=label, required=required)
    if form.is_valid():
        with refusals_shown() as call:
            service(
                actor=request.user, referral_id=referral_id, **{argument: form.cleaned_data["text"]}
            )
        if call.error is None:
            messages.success(request, done)
            return redirect("referral-triage")
        return _refused(request, referral_id, call.error, form, outcome, {argument: "text"})
    return _detail(request, referral_id, error_forms={outcome: form})


@login_required
@require_POST
def referral_add_information(request, referral_id: int):
    form = forms.InformationForm(request.POST, request.FILES)
    token = request.POST.get("stash_token", "")
    kept = _kept_uploads(request, form, token)
    if form.is_valid() and kept is not None:
        with refusals_shown() as outcome:
            services.referral_add_information(
                actor=request.user,
                referral_id=referral_id,
                information=form.cleaned_data["information"],
                attachments=[*kept, *form.cleaned_data["attachments"]],
            )
        if outcome.error is None:
            stash_spend(session=request.session, token=token)
            messages.success(request, "Information added.")
            return redirect("referral-detail", referral_id=referral_id)
        stash = _keep_files(request, form, kept, token)
        return _refused(request, referral_id, outcome.error, form, "information_added", stash=stash)
    stash = _keep_files(request, form, kept or [], token)
    return _detail(request, referral_id, error_forms={"information_added": form}, stash=stash)


@login_required
@require_POST
def referral_cancel(request, referral_id: int):
    form = forms.ReasonForm(request.POST, prefix="cancel", label="Reason for cancelling")
    if form.is_valid():
        with refusals_shown() as outcome:
            services.referral_cancel(
                actor=request.user, referral_id=referral_id, reason=form.cleaned_data["text"]
            )
        if outcome.error is None:
            messages.success(request, "Referral cancelled.")
            return redirect("referral-detail", referral_id=referral_id)
        return _refused(request, referral_id, outcome.error, form, "cancel", {"reason": "text"})
    return _detail(request, referral_id, error_forms={"cancel": form})


@login_required
@require_POST
def referral_patient_confirm(request, referral_id: int):
    """ "This is the same patient"."""
    with refusals_shown(request=request) as outcome:
        services.referral_patient_confirm(actor=request.user, referral_id=referral_id)
    if outcome.error is None:
        messages.success(request, "Patient confirmed: the referrer now follows this patient.")
    return redirect("referral-detail", referral_id=referral_id)


@login_required
@require_POST
def referral_patient_reattach(request, referral_id: int):
    """ "Not the same patient": attach the referral to the right or a new patient."""
    form = forms.ReattachForm(request.POST)
    if form.is_valid():
        with refusals_shown() as outcome:
            services.referral_patient_reattach(
                actor=request.user,
                referral_id=referral_id,
                patient_id=form.cleaned_data["patient_id"],
                new_patient=form.new_patient(),
            )
        if outcome.error is None:
            messages.success(request, "The referral is now attached to the right patient.")
            return redirect("referral-detail", referral_id=referral_id)
        return _refused(request, referral_id, outcome.error, form, "reattach")
    return _detail(request, referral_id, error_forms={"reattach": form})


@login_required
def attachment_download(request, attachment_id: int):
    """Serve a referral's file to those who may see the referral (the read is logged)."""
    attachment, path = selectors.attachment_get(actor=request.user, attachment_id=attachment_id)
    response = FileResponse(
        path.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=attachment.content_type == "application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def triage_queue(request):
    queue = selectors.triage_queue(actor=request.user)
    figures = (
        selectors.waiting_times(actor=request.user)
        if can(request.user, "waiting_times.view")
        else None
    )
    return render(
        request,
        "referrals/triage.html",
        {"queue": queue, "waiting": figures, "now": timezone.now()},
    )


@login_required
def notifications(request):
    items = selectors.notifications_for(actor=request.user)
    response = render(request, "referrals/notifications.html", {"items": items})
    services.notifications_mark_read(actor=request.user, ids=[n.pk for n in items])
    return response
