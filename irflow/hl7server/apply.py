"""Applying a received message through irflow's services."""

from __future__ import annotations

from dataclasses import dataclass

from irflow.hl7.parse import Message, rejected
from irflow.hl7server.models import Inbound, InboundMessage


@dataclass(frozen=True)
class Applied:
    status: str  # Inbound.APPLIED or Inbound.IGNORED
    outcome: str  # what was done, in words
    patient_id: int | None = None


def apply(message: InboundMessage, parsed: Message) -> Applied:
    """Apply one stored message; raises HL7Error (AE/AR) and then nothing of it is applied.

    Called inside the transaction that stores the message; the caller sets the status."""
    code = parsed.header.message_code
    if code in ("ADT", "ORM", "OMI", "OMG"):
        return Applied(Inbound.IGNORED, f"{parsed.header.message_type}: not applied yet")
    raise rejected(f"Message type {code or '(empty)'} is not supported.", location="MSH-9")
