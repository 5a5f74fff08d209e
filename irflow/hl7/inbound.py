"""What ADT and order messages say, read into plain data (no Django)."""

from __future__ import annotations

from irflow.hl7.fields import EventUse, FieldUse

EVENTS: list[EventUse] = []
FIELDS: list[FieldUse] = []
