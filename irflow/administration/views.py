"""The administration pages (thin: the services and selectors check permissions and values)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from irflow.accounts.permissions import can, require
from irflow.administration import selectors, services
from irflow.administration.forms import (
    ClosureForm,
    DepartmentForm,
    FirstAdministratorForm,
    ProcedureTypeForm,
    RemoteAEForm,
    RoomForm,
    UrgencyTargetsForm,
)
from irflow.catalogue import selectors as catalogue_selectors
from irflow.catalogue import services as catalogue_services
from irflow.catalogue.models import CATEGORY_CHOICES, Room
from irflow.dicomserver import selectors as dicom_selectors
from irflow.dicomserver import services as dicom_services
from irflow.readiness.logo import logo_data_uri
from irflow.readiness.policy import policy_settings
from irflow.readiness.services import LETTERHEAD_FIELDS, department_update
from irflow.referrals.targets import urgency_targets_list, urgency_targets_set
from irflow.scheduling.models import Booking
from irflow.scheduling.selectors import booking_misfit
from irflow.web.forms import refusals_shown

MSG_SAVED = "Saved: {name}."
MSG_CLOSED = "{room} is closed from {start} to {end}."
MSG_CLOSED_WITH_BOOKINGS = (
    "{room} is closed from {start} to {end}. {count} booking(s) already in that time must be "
    "moved: open the room's schedule."
)
MSG_REOPENED = "The closure was removed: {room} can be booked then again."
MSG_DEPARTMENT_SAVED = "The department's details are saved; letters print them from now on."
MSG_TARGETS_SAVED = "The urgency targets are saved."
MSG_REMOTE_REMOVED = "{ae} is forgotten: its calls are refused as unknown from now on."
MSG_WELCOME = "Welcome, {name}. Set up the department, its rooms and the team's accounts."


DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _days(numbers: list[int]) -> str:
    return ", ".join(DAY_NAMES[d - 1] for d in sorted(numbers or []) if 1 <= d <= 7)


def _fmt(dt) -> str:
    return timezone.localtime(dt).strftime("%a %d %b %Y %H:%M")


# ------------------------------------------------------------------ first run and the hub


@require_http_methods(["GET", "POST"])
def first_run(request):
    """Create the first administrator; gone (404) once an administrator exists."""
    if services.administrator_exists():
        raise Http404("irflow is set up.")
    form = FirstAdministratorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusals_shown(form=form) as outcome:
            user = services.first_administrator_create(
                username=data["username"],
                password=data["password"],
                display_name=data["display_name"],
                email=data["email"],
            )
        if outcome.ok:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, MSG_WELCOME.format(name=user))
            return redirect("admin-hub")
    return render(
        request,
        "administration/first_run.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@login_required
def hub(request):
    """The administration sections and, until it is done, the set-up path."""
    steps = selectors.setup_steps(actor=request.user)
    return render(
        request,
        "administration/hub.html",
        {
            "sections": selectors.admin_sections(actor=request.user),
            "steps": steps,
            "next_step": next((s for s in steps if not s.done), None),
        },
    )


# ------------------------------------------------------------------ rooms


@login_required
def rooms(request):
    """The rooms, in use or not, with their next closure (administrators)."""
    require(request.user, "room.manage")
    room_list = catalogue_selectors.rooms(actor=request.user, active_only=False)
    now = timezone.now()
    closures = {
        r.pk: catalogue_selectors.room_closures(actor=request.user, room_id=r.pk, since=now).first()
        for r in room_list
    }
    return render(
        request,
        "administration/rooms.html",
        {
            "rows": [(r, closures[r.pk], _days(r.open_weekdays)) for r in room_list],
            "can_manage": can(request.user, "room.manage"),
        },
    )


def _room_initial(room: Room) -> dict:
    fields = (
        "name",
        "code",
        "kind",
        "modality",
        "modalities",
        "capabilities",
        "station_ae_title",
        "opens_at",
        "closes_at",
        "open_weekdays",
        "active",
    )
    return {f: getattr(room, f) for f in fields}


@login_required
@require_http_methods(["GET", "POST"])
def room_edit(request, room_id: int | None = None):
    """Create a room, or change one and its closures."""
    room = None
    if room_id is not None:
        room = catalogue_selectors.room_for_edit(actor=request.user, room_id=room_id)
    else:
        require(request.user, "room.manage")
    initial = _room_initial(room) if room is not None else None
    form = RoomForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusals_shown(form=form) as outcome:
            saved = catalogue_services.room_save(
                actor=request.user, room_id=room_id, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(request, MSG_SAVED.format(name=saved.name))
            return redirect("admin-rooms")
    return _room_page(request, room, form, ClosureForm(), status=422 if form.errors else 200)


def _room_page(request, room, form, closure_form, status=200):
    closures: Any = []
    if room is not None:
        closures = catalogue_selectors.room_closures(
            actor=request.user, room_id=room.pk, since=timezone.now()
        )
    return render(
        request,
        "administration/room_form.html",
        {"room": room, "form": form, "closure_form": closure_form, "closures": closures},
        status=status,
    )


@login_required
@require_POST
def closure_add(request, room_id: int):
    room = catalogue_selectors.room_for_edit(actor=request.user, room_id=room_id)
    form = ClosureForm(request.POST)
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            closure = catalogue_services.room_closure_add(
                actor=request.user, room_id=room.pk, **form.cleaned_data
            )
        if outcome.ok:
            booked = Booking.objects.filter(
                room=room, active=True, start__lt=closure.ends_at, end__gt=closure.starts_at
            ).count()
            words = {"room": room, "start": _fmt(closure.starts_at), "end": _fmt(closure.ends_at)}
            if booked:
                messages.warning(request, MSG_CLOSED_WITH_BOOKINGS.format(count=booked, **words))
            else:
                messages.success(request, MSG_CLOSED.format(**words))
            return redirect("admin-room", room_id=room.pk)
    return _room_page(request, room, RoomForm(initial=_room_initial(room)), form, status=422)


@login_required
@require_POST
def closure_remove(request, room_id: int, closure_id: int):
    room = catalogue_selectors.room_for_edit(actor=request.user, room_id=room_id)
    catalogue_services.room_closure_remove(actor=request.user, closure_id=closure_id)
    messages.success(request, MSG_REOPENED.format(room=room))
    return redirect("admin-room", room_id=room.pk)


# ------------------------------------------------------------------ the procedure catalogue


@login_required
def procedures(request):
    """The catalogue, offered or withdrawn, with the rooms that can host each (administrators)."""
    require(request.user, "catalogue.manage")
    category = request.GET.get("category", "")
    if category not in dict(CATEGORY_CHOICES):
        category = ""
    procedure_list = list(
        catalogue_selectors.procedure_types(
            actor=request.user, category=category, active_only=False
        )
    )
    room_list = list(catalogue_selectors.rooms(actor=request.user))
    rows = [
        (p, [r for r in room_list if not booking_misfit(room=r, procedure=p)])
        for p in procedure_list
    ]
    return render(
        request,
        "administration/procedures.html",
        {
            "rows": rows,
            "can_manage": can(request.user, "catalogue.manage"),
            "categories": CATEGORY_CHOICES,
            "category": category,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def procedure_edit(request, procedure_id: int | None = None):
    """Create a procedure of the catalogue, or change one."""
    procedure = None
    if procedure_id is not None:
        procedure = catalogue_selectors.procedure_type_for_edit(
            actor=request.user, procedure_id=procedure_id
        )
    else:
        require(request.user, "catalogue.manage")
    initial = ProcedureTypeForm.initial_from(procedure) if procedure is not None else None
    form = ProcedureTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusals_shown(form=form, aliases={"modalities": "modality"}) as outcome:
            saved = catalogue_services.procedure_type_save(
                actor=request.user, procedure_id=procedure_id, **form.service_values()
            )
        if outcome.ok:
            messages.success(request, MSG_SAVED.format(name=saved.name))
            return redirect("admin-procedures")
    return render(
        request,
        "administration/procedure_form.html",
        {"procedure": procedure, "form": form},
        status=422 if form.errors else 200,
    )


# ------------------------------------------------------------------ the department


def _targets_initial() -> dict:
    initial = {}
    for t in urgency_targets_list():
        initial[f"{t.urgency}_triage"] = t.triage_within_hours
        initial[f"{t.urgency}_procedure"] = t.procedure_within_hours
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def department(request):
    """The department's letterhead and logo, and the urgency targets."""
    require(request.user, "department.manage")
    row = policy_settings()
    form = DepartmentForm(initial={f: getattr(row, f) for f in LETTERHEAD_FIELDS})
    targets = UrgencyTargetsForm(initial=_targets_initial())
    if request.method == "POST" and "save_targets" in request.POST:
        targets = UrgencyTargetsForm(request.POST)
        if targets.is_valid():
            with refusals_shown(form=targets, aliases=targets.aliases()) as outcome:
                urgency_targets_set(actor=request.user, targets=targets.targets())
            if outcome.ok:
                messages.success(request, MSG_TARGETS_SAVED)
                return redirect("admin-department")
    elif request.method == "POST":
        form = DepartmentForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            with refusals_shown(form=form) as outcome:
                department_update(
                    actor=request.user,
                    letterhead={f: data[f] for f in LETTERHEAD_FIELDS},
                    logo=data.get("logo") or None,
                    remove_logo=data.get("remove_logo", False),
                )
            if outcome.ok:
                messages.success(request, MSG_DEPARTMENT_SAVED)
                return redirect("admin-department")
    return render(
        request,
        "administration/department.html",
        {
            "form": form,
            "targets": targets,
            "logo_uri": logo_data_uri(row),
            "can_policy": can(request.user, "policy.manage"),
        },
        status=422 if (form.errors or targets.errors) else 200,
    )


# ------------------------------------------------------------------ remote DICOM AEs


@login_required
def remote_aes(request):
    return render(
        request,
        "administration/remote_aes.html",
        {"remotes": dicom_selectors.remote_aes(actor=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def remote_ae_edit(request, remote_id: int | None = None):
    remote = None
    if remote_id is not None:
        remote = dicom_selectors.remote_ae_for_edit(actor=request.user, remote_id=remote_id)
    else:
        require(request.user, "dicom.configure")
    room_choices = catalogue_selectors.rooms(actor=request.user, active_only=False)
    initial = None
    if remote is not None:
        initial = {
            f: getattr(remote, f)
            for f in (
                "ae_title",
                "room",
                "host",
                "charset",
                "description",
                "active",
                "may_query_worklist",
                "may_report_steps",
                "may_send_dose_reports",
            )
        }
    form = RemoteAEForm(request.POST or None, initial=initial, rooms=room_choices)
    if request.method == "POST" and form.is_valid():
        with refusals_shown(form=form) as outcome:
            saved = dicom_services.remote_ae_save(
                actor=request.user, remote_id=remote_id, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(request, MSG_SAVED.format(name=saved.ae_title))
            return redirect("admin-remote-aes")
    return render(
        request,
        "administration/remote_ae_form.html",
        {"remote": remote, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def remote_ae_remove(request, remote_id: int):
    remote = dicom_selectors.remote_ae_for_edit(actor=request.user, remote_id=remote_id)
    dicom_services.remote_ae_delete(actor=request.user, remote_id=remote.pk)
    messages.success(request, MSG_REMOTE_REMOVED.format(ae=remote.ae_title))
    return redirect("admin-remote-aes")
