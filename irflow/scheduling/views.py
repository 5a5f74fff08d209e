"""Scheduling pages: room day and week views, the booking form and page (the day of the
procedure itself is `irflow.dayofcase`).

Thin: selectors read, services write; refusals come back as messages on the form.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from irflow.accounts.permissions import can, require
from irflow.accounts.selectors import credential_flags
from irflow.catalogue.models import Room
from irflow.orders.models import Order
from irflow.orders.selectors import BOOKABLE, order_get
from irflow.scheduling import forms, selectors, services
from irflow.scheduling.models import BookingStatus
from irflow.scheduling.selectors import room_fit
from irflow.web.forms import refusals_shown


def _day(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


def _room(code: str) -> Room:
    room = Room.objects.filter(code=code, active=True).first()
    if room is None:
        raise Http404("No such room.")
    return room


@login_required
def schedule(request):
    require(request.user, "schedule.view")
    room = Room.objects.filter(active=True).order_by("code").first()
    if room is None:
        raise Http404("No rooms are set up yet.")
    return redirect("room-day", code=room.code)


def _room_nav(request, room: Room, day: date) -> dict:
    to_book = None
    if can(request.user, "booking.manage"):
        to_book = Order.objects.filter(status__in=BOOKABLE, patient__is_active=True).count()
    return {
        "room": room,
        "rooms": Room.objects.filter(active=True).order_by("code"),
        "day": day,
        "today": timezone.localdate(),
        "orders_to_book": to_book,
    }


@login_required
def room_day(request, code: str):
    room, day = _room(code), _day(request)
    schedule = selectors.room_day(actor=request.user, room=room, day=day)
    return render(
        request,
        "scheduling/room_day.html",
        {
            **_room_nav(request, room, day),
            "schedule": schedule,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


@login_required
def room_week(request, code: str):
    room, day = _room(code), _day(request)
    days = selectors.room_week(actor=request.user, room=room, day=day)
    return render(
        request,
        "scheduling/room_week.html",
        {
            **_room_nav(request, room, day),
            "days": days,
            "previous": day - timedelta(days=7),
            "next": day + timedelta(days=7),
        },
    )


@login_required
def booking_create(request, order_id: int):
    require(request.user, "booking.manage")
    order = order_get(actor=request.user, order_id=order_id, what="booking form")
    procedure = order.procedure_type
    fitting, unfit = room_fit(procedure)
    preferred = [r for r in fitting if r.modality == procedure.default_modality]
    initial = {
        "duration_min": procedure.default_duration_min,
        "room": next(iter(preferred or fitting), None),
    }
    form = forms.BookingForm(request.POST or None, initial=initial, rooms=[r.pk for r in fitting])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusals_shown(form=form) as outcome:
            booking = services.booking_create(
                actor=request.user,
                order_id=order.pk,
                room=data["room"],
                start=data["start"],
                duration_min=data["duration_min"],
                primary_operator=data["primary_operator"],
                team=form.team(),
                short_slot_reason=data["short_slot_reason"],
                retrospective_reason=data["retrospective_reason"],
            )
        if outcome.ok:
            messages.success(request, f"Booked: {booking.room} {booking.start:%a %d %b %H:%M}.")
            return redirect("booking-detail", booking_id=booking.pk)
    return render(
        request,
        "scheduling/booking_form.html",
        {"form": form, "order": order, "patient": order.patient, "unfit": unfit},
        status=422 if form.errors else 200,
    )


def _credential_flags(user, booking) -> list[str]:
    """The team's expired or soon expiring certifications, in words: a calm flag, never a
    block (docs/training-and-credentials.md)."""
    if not can(user, "credential.view"):
        return []
    people = {m.user_id: m.user for m in booking.team.select_related("user")}
    if booking.primary_operator is not None:
        people[booking.primary_operator.pk] = booking.primary_operator
    on = timezone.localtime(booking.start).date()
    flags = credential_flags(actor=user, user_ids=people, on=on)
    return [f"{people[pk]}: {words}" for pk in people for words in flags.get(pk, [])]


def _booking_page(request, booking_id: int, **forms_in_error):
    booking = selectors.booking_get(actor=request.user, booking_id=booking_id)
    manage = can(request.user, "booking.manage")
    fitting, _ = room_fit(booking.order.procedure_type)
    reschedule = forms_in_error.get("reschedule") or forms.RescheduleForm(
        rooms=[r.pk for r in fitting],
        initial={
            "start": timezone.localtime(booking.start),
            "duration_min": booking.duration_min,
            "room": booking.room,
        },
    )
    context = {
        "booking": booking,
        "patient": booking.patient,
        "can_see_day": can(request.user, "procedure.view"),
        "can_manage": manage and booking.status == BookingStatus.BOOKED,
        "can_cancel": manage
        and booking.status
        in (BookingStatus.BOOKED, BookingStatus.ARRIVED, BookingStatus.IN_PREPARATION),
        "reschedule_form": reschedule,
        "cancel_form": forms_in_error.get("cancel") or forms.CancelForm(),
        "open_form": next(iter(forms_in_error), ""),
        "credential_flags": _credential_flags(request.user, booking),
    }
    return render(
        request, "scheduling/booking.html", context, status=422 if forms_in_error else 200
    )


@login_required
def booking_detail(request, booking_id: int):
    return _booking_page(request, booking_id)


@login_required
@require_POST
def booking_reschedule(request, booking_id: int):
    booking = _visible(request, booking_id)
    fitting, _ = room_fit(booking.order.procedure_type)
    form = forms.RescheduleForm(request.POST, rooms=[r.pk for r in fitting])
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            services.booking_reschedule(
                actor=request.user,
                booking_id=booking.pk,
                start=form.cleaned_data["start"],
                duration_min=form.cleaned_data["duration_min"],
                room=form.cleaned_data["room"],
                reason=form.cleaned_data["reason"],
                short_slot_reason=form.cleaned_data["short_slot_reason"],
                retrospective_reason=form.cleaned_data["retrospective_reason"],
            )
        if outcome.ok:
            messages.success(request, "Booking moved.")
            return redirect("booking-detail", booking_id=booking_id)
    return _booking_page(request, booking_id, reschedule=form)


@login_required
@require_POST
def booking_cancel(request, booking_id: int):
    form = forms.CancelForm(request.POST)
    if form.is_valid():
        booking = _visible(request, booking_id)
        with refusals_shown(form=form) as outcome:
            services.booking_cancel(
                actor=request.user,
                booking_id=booking.pk,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        if outcome.ok:
            messages.success(request, "Booking cancelled; the order is waiting to be booked again.")
            return redirect("booking-detail", booking_id=booking_id)
    return _booking_page(request, booking_id, cancel=form)


def _visible(request, booking_id: int):
    return selectors.booking_get(actor=request.user, booking_id=booking_id, what="change")


# ------------------------------------------------------------------ the slot finder

SLOT_DAYS_DEFAULT = 7
# The selector's argument names, as the slot finder's form calls them.
SLOT_ALIASES = {"start_day": "first_day", "end_day": "last_day", "step_min": "step"}


def _slot_question(form: forms.SlotSearchForm) -> dict:
    today = timezone.localdate()
    question = {
        "start_day": today,
        "end_day": today + timedelta(days=SLOT_DAYS_DEFAULT - 1),
        "operator_id": None,
        "step_min": 30,
    }
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        operator = data["operator"]
        question.update(
            start_day=data["first_day"],
            end_day=data["last_day"],
            operator_id=operator.pk if operator else None,
            step_min=data["step"] or question["step_min"],
        )
    return question


def _slots_page(request, order_id: int, *, refused: list[str] | None = None, status: int = 200):
    today = timezone.localdate()
    form = forms.SlotSearchForm(
        request.GET or None,
        initial={"first_day": today, "last_day": today + timedelta(days=SLOT_DAYS_DEFAULT - 1)},
    )
    with refusals_shown(form=form, aliases=SLOT_ALIASES) as outcome:
        slots = selectors.free_slots(actor=request.user, order_id=order_id, **_slot_question(form))
    if not outcome.ok:  # said beside the form; the slots shown are those of the next days
        slots = selectors.free_slots(
            actor=request.user, order_id=order_id, **_slot_question(forms.SlotSearchForm())
        )
    if form.errors and status == 200:
        status = 422
    # Offered: only those who may operate this procedure (any other would be refused).
    form.fields["operator"].queryset = selectors.operators_for(  # type: ignore[attr-defined]
        procedure=slots.procedure, on=slots.first_day
    )
    return render(
        request,
        "scheduling/booking_slots.html",
        {
            "form": form,
            "slots": slots,
            "order": slots.order,
            "patient": slots.order.patient if slots.order else None,
            "query": request.GET.urlencode(),
            "refused": refused or [],
        },
        status=status,
    )


@login_required
def booking_slots(request, order_id: int):
    return _slots_page(request, order_id)


@login_required
@require_POST
def booking_slot_book(request, order_id: int):
    """Book the slot clicked on the slot finder; a refusal comes back on the finder."""
    order = order_get(actor=request.user, order_id=order_id, what="book a free slot for")
    form = forms.SlotBookForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusals_shown(form=form) as outcome:
            booking = services.booking_create(
                actor=request.user,
                order_id=order.pk,
                room=data["room"],
                start=data["start"],
                primary_operator=data["operator"],
            )
        if outcome.ok:
            messages.success(request, f"Booked: {booking.room} {booking.start:%a %d %b %H:%M}.")
            return redirect("booking-detail", booking_id=booking.pk)
        status = outcome.error.status_code if outcome.error else 422
    else:
        status = 422
    said = [str(m) for messages_ in form.errors.values() for m in messages_]
    return _slots_page(request, order_id, refused=said, status=status)
