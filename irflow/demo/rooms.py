"""The demo department's rooms: open every day, 07:30–19:00, so that the demo has a full
day (and a worklist for every modality) whatever day it is shown on."""

from __future__ import annotations

from datetime import time

from irflow.catalogue.models import Room

DEMO_ROOMS = [
    ("ANGIO1", "Angio suite 1", "angio", "XA", "ANGIO1"),
    ("ANGIO2", "Angio suite 2 (biplane)", "angio", "XA", "ANGIO2"),
    ("CT1", "IR CT room", "ct", "CT", "CTIR1"),
    ("US1", "IR ultrasound room", "us", "US", "USIR1"),
]


OPENS, CLOSES, EVERY_DAY = time(7, 30), time(19, 0), [1, 2, 3, 4, 5, 6, 7]


def demo_rooms_create() -> list[Room]:
    rooms = []
    for code, name, kind, modality, ae in DEMO_ROOMS:
        room, _ = Room.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "modality": modality,
                "station_ae_title": ae,
                "opens_at": OPENS,
                "closes_at": CLOSES,
                "open_weekdays": EVERY_DAY,
            },
        )
        rooms.append(room)
    return rooms
