"""The HL7 interface pages: messages received and sent (search, raw text, re-process, resend,
cancel), destinations and code mappings.

Thin: the selectors check `hl7.view` and write the access log, the services `hl7.manage`.
Re-processing and resending run in the listener's and the outbox's own modules, imported when
a button is pressed.
"""

from __future__ import annotations

from importlib import import_module

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from irflow.accounts.permissions import can, require
from irflow.catalogue.models import ProcedureType
from irflow.hl7server import selectors, services
from irflow.hl7server.forms import (
    CancelForm,
    CodeMappingForm,
    DestinationForm,
    InboundFilterForm,
    OutboundFilterForm,
)
from irflow.hl7server.models import Destination
from irflow.web.forms import refusals_shown

MSG_SAVED = "Saved: {name}."
MSG_DEACTIVATED = "{name} is inactive: nothing is sent to it until it is made active again."
MSG_MAPPED = "{code} now means {procedure}."
MSG_UNMAPPED = "The mapping of {code} is removed: orders with this code go to triage again."
MSG_REPROCESSED = "Re-processed: {status}."
MSG_TRY_NOW = "{control_id} is tried again now."
MSG_RESENT = "Queued again as a new message, {control_id}: it is sent after those waiting."
MSG_CANCELLED = "{control_id} is cancelled: it will not be sent."


def _cursor(request) -> int | None:
    value = request.GET.get("older", "")
    return int(value) if value.isdigit() else None


def _query(request, **changes) -> str:
    """The page's query string with `changes` (None removes a key)."""
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = value
    return params.urlencode()


# ------------------------------------------------------------------ received


@login_required
def inbound_list(request):
    """Messages received, newest first, by status, patient or control id; 50 a page."""
    form = InboundFilterForm(request.GET or None)
    status, q = "", ""
    if form.is_bound and form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"]
    page = selectors.inbound_messages(
        actor=request.user, status=status, q=q, older_than=_cursor(request)
    )
    return render(
        request,
        "hl7server/inbound_list.html",
        {
            "tab": "received",
            "form": form,
            "page": page,
            "older_query": _query(request, older=page.older) if page.older else "",
            "paged": _cursor(request) is not None,
            "newest_query": _query(request, older=None),
            "needs_attention": selectors.stuck_count(request.user),
            "can_manage": can(request.user, "hl7.manage"),
        },
        status=422 if form.errors else 200,
    )


@login_required
def inbound_detail(request, message_id: int):
    """One message received: its header, raw text, ACK, error and outcome."""
    detail = selectors.inbound_message(actor=request.user, message_id=message_id)
    return render(
        request,
        "hl7server/inbound_detail.html",
        {
            "tab": "received",
            "detail": detail,
            "item": detail.message,
            "can_manage": can(request.user, "hl7.manage"),
            "can_view_patients": can(request.user, "patient.view"),
        },
    )


@login_required
@require_POST
def inbound_reprocess(request, message_id: int):
    """Apply a stored message again (one that failed, or that a crash left unapplied)."""
    receive = import_module("irflow.hl7server.receive")  # the listener's module

    with refusals_shown(request=request) as outcome:
        message = receive.reprocess(actor=request.user, message_id=message_id)
    if outcome.ok:
        messages.success(request, MSG_REPROCESSED.format(status=message.get_status_display()))
    return redirect("hl7-message", message_id=message_id)


# ------------------------------------------------------------------ sent


@login_required
def outbound_list(request):
    """Each destination's outbox at a glance, then its messages, newest first; 50 a page."""
    summaries = selectors.destination_summaries(actor=request.user)
    form = OutboundFilterForm(request.GET or None, destinations=[s.destination for s in summaries])
    destination_id, status, q = None, "", ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        destination_id, status, q = data["destination"], data["status"], data["q"]
    page = selectors.outbound_messages(
        actor=request.user,
        destination_id=destination_id,
        status=status,
        q=q,
        older_than=_cursor(request),
    )
    return render(
        request,
        "hl7server/outbound_list.html",
        {
            "tab": "sent",
            "form": form,
            "summaries": summaries,
            "page": page,
            "older_query": _query(request, older=page.older) if page.older else "",
            "paged": _cursor(request) is not None,
            "newest_query": _query(request, older=None),
            "can_manage": can(request.user, "hl7.manage"),
        },
        status=422 if form.errors else 200,
    )


def _outbound_page(request, outbound_id: int, cancel_form: CancelForm, status: int = 200):
    detail = selectors.outbound_message(actor=request.user, message_id=outbound_id)
    return render(
        request,
        "hl7server/outbound_detail.html",
        {
            "tab": "sent",
            "detail": detail,
            "item": detail.message,
            "cancel_form": cancel_form,
            "can_manage": can(request.user, "hl7.manage"),
            "can_view_patients": can(request.user, "patient.view"),
        },
        status=status,
    )


@login_required
def outbound_detail(request, outbound_id: int):
    """One message of an outbox: its state, tries, last error, text and the answer."""
    return _outbound_page(request, outbound_id, CancelForm())


@login_required
@require_POST
def outbound_resend(request, outbound_id: int):
    outbox = import_module("irflow.hl7server.outbox")  # the outbox's module

    with refusals_shown(request=request) as outcome:
        message = outbox.resend(actor=request.user, message_id=outbound_id)
    if outcome.ok:
        if message.pk == outbound_id:
            messages.success(request, MSG_TRY_NOW.format(control_id=message.control_id))
        else:
            messages.success(request, MSG_RESENT.format(control_id=message.control_id))
        return redirect("hl7-outbound", outbound_id=message.pk)
    return redirect("hl7-outbound", outbound_id=outbound_id)


@login_required
@require_POST
def outbound_cancel(request, outbound_id: int):
    outbox = import_module("irflow.hl7server.outbox")  # the outbox's module

    form = CancelForm(request.POST)
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            message = outbox.cancel(
                actor=request.user, message_id=outbound_id, reason=form.cleaned_data["reason"]
            )
        if outcome.ok:
            messages.success(request, MSG_CANCELLED.format(control_id=message.control_id))
            return redirect("hl7-outbound", outbound_id=outbound_id)
    return _outbound_page(request, outbound_id, form, status=422)


# ------------------------------------------------------------------ destinations


@login_required
def destination_list(request):
    return render(
        request,
        "hl7server/destinations.html",
        {
            "tab": "destinations",
            "destinations": selectors.destinations(actor=request.user),
            "can_manage": True,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def destination_edit(request, destination_id: int | None = None):
    """Add a destination, or change one."""
    destination: Destination | None = None
    if destination_id is not None:
        destination = selectors.destination_for_edit(
            actor=request.user, destination_id=destination_id
        )
    else:
        require(request.user, "hl7.manage")
    initial = DestinationForm.initial_from(destination) if destination is not None else None
    form = DestinationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusals_shown(form=form) as outcome:
            saved = services.destination_save(
                actor=request.user, destination_id=destination_id, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(request, MSG_SAVED.format(name=saved.name))
            return redirect("hl7-destinations")
    return render(
        request,
        "hl7server/destination_form.html",
        {"tab": "destinations", "destination": destination, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def destination_deactivate(request, destination_id: int):
    destination = selectors.destination_for_edit(actor=request.user, destination_id=destination_id)
    services.destination_deactivate(actor=request.user, destination_id=destination.pk)
    messages.success(request, MSG_DEACTIVATED.format(name=destination.name))
    return redirect("hl7-destinations")


# ------------------------------------------------------------------ code mappings


@login_required
def mapping_list(request):
    """The mappings, and the codes senders used that none covers."""
    return render(
        request,
        "hl7server/mappings.html",
        {
            "tab": "mappings",
            "mappings": selectors.code_mappings(actor=request.user),
            "unmapped": selectors.unmapped_codes(actor=request.user),
            "scan": selectors.UNMAPPED_SCAN,
        },
    )


def _mapping_initial_from_query(request) -> dict:
    """A code offered on the list ("Map it") comes with what the sender said."""
    keys = {
        "code": "code",
        "text": "text",
        "system": "coding_system",
        "sender": "sending_application",
    }
    return {field: request.GET[key][:200] for key, field in keys.items() if key in request.GET}


@login_required
@require_http_methods(["GET", "POST"])
def mapping_edit(request, mapping_id: int | None = None):
    """Map a sender's code to the catalogue, or change a mapping."""
    mapping = None
    if mapping_id is not None:
        mapping = selectors.code_mapping_for_edit(actor=request.user, mapping_id=mapping_id)
        initial = {
            f: getattr(mapping, f) for f in ("code", "text", "coding_system", "sending_application")
        }
        initial["procedure_type"] = mapping.procedure_type_id
    else:
        require(request.user, "hl7.manage")
        initial = _mapping_initial_from_query(request)
    form = CodeMappingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusals_shown(form=form, aliases={"procedure_type_id": "procedure_type"}) as outcome:
            saved = services.code_mapping_save(
                actor=request.user, mapping_id=mapping_id, **form.service_values()
            )
        if outcome.ok:
            procedure = ProcedureType.objects.get(pk=saved.procedure_type_id)
            messages.success(request, MSG_MAPPED.format(code=saved.code, procedure=procedure.name))
            return redirect("hl7-mappings")
    return render(
        request,
        "hl7server/mapping_form.html",
        {"tab": "mappings", "mapping": mapping, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def mapping_delete(request, mapping_id: int):
    mapping = selectors.code_mapping_for_edit(actor=request.user, mapping_id=mapping_id)
    services.code_mapping_delete(actor=request.user, mapping_id=mapping.pk)
    messages.success(request, MSG_UNMAPPED.format(code=mapping.code))
    return redirect("hl7-mappings")
