"""Makes the trainees' logbook entries when a procedure record completes."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from irflow.accounts.actors import SYSTEM
from irflow.procedures.signals import procedure_completed
from irflow.training.services import logbook_entries_make


@receiver(procedure_completed, dispatch_uid="training-logbook-entries")
def _on_completed(sender: Any, record: Any, **kwargs: Any) -> None:
    logbook_entries_make(actor=SYSTEM, procedure_id=record.pk)
