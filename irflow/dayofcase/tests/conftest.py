"""Cases of the day in known states, in a room open every day (the tests run any day)."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.utils import timezone

from irflow.catalogue.models import Room
from irflow.testing.cases import booked


@pytest.fixture
def room(db) -> Room:
    return Room.objects.create(
        code="DAY1",
        name="Angio suite 1",
        kind="angio",
        modality="XA",
        station_ae_title="DAY1",
        opens_at=time(0, 0),
        closes_at=time(23, 59),
        open_weekdays=[*range(1, 8)],
    )


def today_at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(
        timezone.localdate(), time(hour, minute), timezone.get_current_timezone()
    )


@pytest.fixture
def booking(attending, patient, room):
    """An IVC filter booked today at 09:00 in `room`, the attending operating."""
    return booked(attending, patient, room, start=today_at(9))
