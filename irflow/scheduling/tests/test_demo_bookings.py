"""The demo department: every room booked today and for two weeks (weekends too), patients at
every stage today, a worklist for every room, referrals in every state, board decisions."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from irflow.board.models import BoardCase, BoardMeeting
from irflow.demo.generator import demo_create
from irflow.referrals.models import Notification, Referral, ReferralStatus
from irflow.scheduling.models import Booking

pytestmark = pytest.mark.django_db


def test_the_demo_fills_every_room_every_day_from_a_saturday():
    today = timezone.localdate()
    saturday = today + timedelta(days=(6 - today.isoweekday()) % 7)
    ctx = demo_create(patients=40, seed=5, today=saturday)
    tz = timezone.get_current_timezone()
    for offset in range(15):
        day = saturday + timedelta(days=offset)
        start = datetime.combine(day, time(0), tz)
        for room in ctx.rooms:
            assert Booking.objects.filter(
                room=room, active=True, start__gte=start, start__lt=start + timedelta(days=1)
            ).exists(), (room.code, day)
    today = Booking.objects.filter(
        start__gte=datetime.combine(saturday, time(0), tz),
        start__lt=datetime.combine(saturday + timedelta(days=1), time(0), tz),
    )
    statuses = set(today.values_list("status", flat=True))
    assert {"arrived", "in_room", "recovery", "discharged", "booked"} <= statuses
    for room in ctx.rooms:
        # A modality asking for its worklist today finds scheduled steps.
        on_worklist = [b for b in today.filter(room=room) if b.sps_status == "SCHEDULED"]
        assert len(on_worklist) >= 2, room.code

    referrers = [u for u in ctx.users.values() if u.role == "referrer"]
    states = set(Referral.objects.filter(referrer__in=referrers).values_list("status", flat=True))
    assert states == set(ReferralStatus.values)
    done = Referral.objects.filter(status=ReferralStatus.DONE)
    assert all(r.procedure_at and r.received_at < r.procedure_at for r in done)
    assert Notification.objects.filter(recipient__in=referrers).exists()
    assert BoardMeeting.objects.count() == 2
    assert set(BoardCase.objects.exclude(decision="").values_list("decision", flat=True)) == {
        "ir_treatment",
        "other_treatment",
    }
    assert BoardCase.objects.filter(decision="").count() >= 1
