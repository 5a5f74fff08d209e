"""The demo department's rooms: open every day, 07:30–19:00, so that the demo has a full
day (and a worklist for every modality) whatever day it is shown on."""

from __future__ import annotations

from datetime import time

from irflow.catalogue.models import Room

# Code, name, kind, main modality, AE title, other modalities, capabilities (what a booking
# needs of a room: scheduling/fit.py). Every room has a portable ultrasound at hand.
DEMO_ROOMS = [
    ("ANGIO1", "Angio suite 1", "angio", "XA", "ANGIO1", ["US"], ["anaesthesia"]),
    (
        "ANGIO2",
        "Angio suite 2 (biplane)",
        "angio",
        "XA",
        "ANGIO2",
        ["US"],
        ["biplane", "anaesthesia", "cone_beam_ct"],
    ),
    ("CT1", "IR CT room", "ct", "CT", "CTIR1", ["US"], ["anaesthesia"]),
    ("US1", "IR ultrasound room", "us", "US", "USIR1", [], []),
]


OPENS, CLOSES, EVERY_DAY = time(7, 30), time(19, 0), [1, 2, 3, 4, 5, 6, 7]


def demo_rooms_create() -> list[Room]:
    rooms = []
    for code, name, kind, modality, ae, others, capabilities in DEMO_ROOMS:
        room, _ = Room.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "modality": modality,
                "modalities": others,
                "capabilities": capabilities,
                "station_ae_title": ae,
                "opens_at": OPENS,
                "closes_at": CLOSES,
                "open_weekdays": EVERY_DAY,
            },
        )
        rooms.append(room)
    return rooms
