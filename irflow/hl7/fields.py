"""How irflow's HL7 code describes itself, for docs/hl7-interface.md (generated, test-checked)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldUse:
    """One field irflow reads or writes."""

    messages: str  # e.g. "ADT A01/A04/A05/A08/A31" or "ORU^R01"
    field: str  # e.g. "PID-3"
    meaning: str  # the standard's name, e.g. "Patient identifier list"
    irflow: str  # what irflow does with it / where the value comes from


@dataclass(frozen=True)
class EventUse:
    """One message type and trigger irflow receives or sends."""

    message_type: str  # e.g. "ADT^A40"
    versions: str  # e.g. "2.3.1, 2.5.1"
    irflow: str  # what irflow does on receipt / when it sends it
