"""Every forbidden edge of the referral, order and booking state machines is refused through
the services, with an InvalidTransition that names both states."""

from __future__ import annotations

import pytest
from django.db import transaction

from irflow.catalogue.models import ProcedureType
from irflow.lib.errors import InvalidTransition
from irflow.lib.states import MSG_INVALID_TRANSITION
from irflow.orders.models import ORDER_STATES, Order, OrderStatus
from irflow.orders.services import order_set_status
from irflow.referrals import services
from irflow.referrals.models import REFERRAL_STATES, Referral, ReferralStatus
from irflow.scheduling.models import BOOKING_STATES, Booking, BookingStatus
from irflow.scheduling.services import (
    MSG_ORDER_NOT_BOOKABLE,
    booking_cancel,
    booking_create,
    booking_set_status,
    order_cancel,
)
from irflow.testing.fixtures import make_order, next_weekday_at

pytestmark = pytest.mark.django_db


def refused(machine, current: str, target: str) -> str:
    return MSG_INVALID_TRANSITION.format(
        entity=machine.entity, current=machine.label(current), target=machine.label(target)
    )


def test_the_referral_machine_is_the_one_the_issue_describes():
    S = ReferralStatus
    assert REFERRAL_STATES.allowed(S.RECEIVED) == {
        S.ACCEPTED,
        S.DECLINED,
        S.MORE_INFO,
        S.BOARD,
        S.CLINIC,
        S.CANCELLED,
    }
    assert REFERRAL_STATES.terminal() == {S.DONE, S.DECLINED, S.CANCELLED}
    assert REFERRAL_STATES.can(S.ORDERED, S.SCHEDULED) and REFERRAL_STATES.can(S.SCHEDULED, S.DONE)
    assert len(REFERRAL_STATES.forbidden_edges()) == 90 - 24


def test_every_forbidden_referral_edge_is_refused(personas, make_referral, angio_room):
    attending, referrer = personas["attending"], personas["referrer"]
    referral = make_referral()
    order = make_order(attending, referral.patient)
    picc = ProcedureType.objects.get(code="PICC")
    start = next_weekday_at(9)

    def force(status: str) -> None:
        Referral.objects.filter(pk=referral.pk).update(status=status, order=order)

    def attempt(target: str) -> None:
        pk = referral.pk
        if target == ReferralStatus.RECEIVED:
            services.referral_add_information(actor=referrer, referral_id=pk, information="x")
        elif target == ReferralStatus.ACCEPTED:
            services.referral_accept(actor=attending, referral_id=pk)
        elif target == ReferralStatus.DECLINED:
            services.referral_decline(actor=attending, referral_id=pk, reason="No")
        elif target == ReferralStatus.MORE_INFO:
            services.referral_request_information(actor=attending, referral_id=pk, question="?")
        elif target == ReferralStatus.BOARD:
            services.referral_send_to_board(actor=attending, referral_id=pk)
        elif target == ReferralStatus.CLINIC:
            services.referral_clinic_first(actor=attending, referral_id=pk)
        elif target == ReferralStatus.ORDERED:
            services.referral_order_create(actor=attending, referral_id=pk, procedure_type=picc)
        elif target == ReferralStatus.SCHEDULED:
            # Booking the order of a referral that cannot be scheduled (e.g. declined).
            booking_create(actor=attending, order_id=order.pk, room=angio_room, start=start)
        elif target == ReferralStatus.DONE:
            # The procedure ends (discharged) for a referral that cannot be done.
            current = Referral.objects.get(pk=pk).status
            force(ReferralStatus.ORDERED)
            booking = booking_create(
                actor=attending, order_id=order.pk, room=angio_room, start=start
            )
            booking_set_status(actor=attending, booking_id=booking.pk, status="in_room")
            force(current)
            booking_set_status(actor=attending, booking_id=booking.pk, status="discharged")
        elif target == ReferralStatus.CANCELLED:
            services.referral_cancel(actor=attending, referral_id=pk, reason="Stop")

    checked = []
    for current, target in REFERRAL_STATES.forbidden_edges():
        with transaction.atomic():
            force(current)
            with pytest.raises(InvalidTransition) as exc:
                attempt(target)
            transaction.set_rollback(True)
        if target == ReferralStatus.RECEIVED and current != ReferralStatus.MORE_INFO:
            assert exc.value.message == services.MSG_INFO_NOT_WAITING
        else:
            assert exc.value.message == refused(REFERRAL_STATES, current, target), (
                current,
                target,
            )
        checked.append((current, target))
    assert len(checked) == 66
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


def test_booking_a_declined_referral_is_refused_with_a_clear_message(
    personas, make_referral, angio_room
):
    attending = personas["attending"]
    referral = make_referral()
    services.referral_decline(actor=attending, referral_id=referral.pk, reason="Not indicated")
    with pytest.raises(InvalidTransition) as exc:
        services.referral_accept(
            actor=attending,
            referral_id=referral.pk,
            procedure_type=ProcedureType.objects.get(code="PICC"),
        )
    assert exc.value.message == "A referral cannot go from “Declined” to “Accepted”."
    assert exc.value.status_code == 409
    # An order that belongs to a declined referral cannot be booked either.
    order = make_order(attending, referral.patient)
    Referral.objects.filter(pk=referral.pk).update(order=order)
    with pytest.raises(InvalidTransition) as exc:
        booking_create(
            actor=attending, order_id=order.pk, room=angio_room, start=next_weekday_at(9)
        )
    assert exc.value.message == "A referral cannot go from “Declined” to “Scheduled”."
    assert not Booking.objects.exists()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ORDERED


def test_every_forbidden_order_edge_is_refused(personas, patient, angio_room):
    attending = personas["attending"]
    order = make_order(attending, patient)
    checked = 0
    for current, target in ORDER_STATES.forbidden_edges():
        with transaction.atomic():
            Order.objects.filter(pk=order.pk).update(status=current)
            order.refresh_from_db()
            with pytest.raises(InvalidTransition) as exc:
                if target == OrderStatus.SCHEDULED:
                    booking_create(
                        actor=attending,
                        order_id=order.pk,
                        room=angio_room,
                        start=next_weekday_at(9),
                    )
                elif target == OrderStatus.CANCELLED:
                    order_cancel(actor=attending, order_id=order.pk, reason="Stop")
                else:
                    order_set_status(order_id=order.pk, status=target, actor=attending)
            transaction.set_rollback(True)
        if target == OrderStatus.SCHEDULED:
            label = ORDER_STATES.label(current).lower()
            assert exc.value.message == MSG_ORDER_NOT_BOOKABLE.format(status=label)
        else:
            assert exc.value.message == refused(ORDER_STATES, current, target)
        checked += 1
    assert checked == 20


def test_every_forbidden_booking_edge_is_refused(personas, patient, angio_room):
    attending = personas["attending"]
    booking = booking_create(
        actor=attending,
        order_id=make_order(attending, patient).pk,
        room=angio_room,
        start=next_weekday_at(9),
    )
    checked = 0
    for current, target in BOOKING_STATES.forbidden_edges():
        with transaction.atomic():
            Booking.objects.filter(pk=booking.pk).update(
                status=current, active=current != BookingStatus.CANCELLED
            )
            with pytest.raises(InvalidTransition) as exc:
                if target == BookingStatus.CANCELLED:
                    booking_cancel(actor=attending, booking_id=booking.pk, reason="equipment")
                else:
                    booking_set_status(actor=attending, booking_id=booking.pk, status=target)
            transaction.set_rollback(True)
        assert exc.value.message == refused(BOOKING_STATES, current, target)
        checked += 1
    assert checked == 31
