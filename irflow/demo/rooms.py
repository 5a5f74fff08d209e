"""The demo department's rooms."""

from __future__ import annotations

from datetime import time

from irflow.catalogue.models import Room

DEMO_ROOMS = [
    ("ANGIO1", "Angio suite 1", "angio", "XA", "ANGIO1"),
    ("ANGIO2", "Angio suite 2 (biplane)", "angio", "XA", "ANGIO2"),
    ("CT1", "IR CT room", "ct", "CT", "CTIR1"),
    ("US1", "IR ultrasound room", "us", "US", "USIR1"),
]


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
                "opens_at": time(8, 0),
                "closes_at": time(18, 0),
                "open_weekdays": [1, 2, 3, 4, 5],
            },
        )
        rooms.append(room)
    return rooms
