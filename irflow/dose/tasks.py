"""Background work of the dose app (django-tasks; `irflow worker` runs it): reading what was
received, and queueing it. Thin wrappers over the services (which know nothing of tasks)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.tasks import task

from irflow.accounts.actors import SYSTEM
from irflow.dose import storage
from irflow.dose.models import ReceivedObject
from irflow.dose.services import (
    received_process,
    received_queued,
    received_record,
    received_unread_lost,
)
from irflow.lib.origin import origin


@task()
def received_process_task(received_id: int) -> str:
    """Read a received dose object into its report (or quarantine it); returns the status."""
    with origin("task"):
        outcome = received_process(actor=SYSTEM, received_id=received_id)
        # Objects whose reading was lost (a worker killed mid-task) are picked up here too.
        received_requeue()
    return outcome.status


@task()
def received_requeue_task() -> int:
    """Queue reading again for objects received but still unread (after a restart)."""
    return received_requeue(older_than=timedelta(0))


def received_queue(received: ReceivedObject) -> ReceivedObject:
    """Queue the reading of `received`, in the caller's transaction, and remember the task."""
    result = received_process_task.enqueue(received.pk)
    return received_queued(received_id=received.pk, task_id=str(result.id))


def received_record_queued(*, stored: storage.StoredFile, **details: str) -> ReceivedObject:
    """Record a durably stored object and queue its reading, in one commit (the listener
    answers success only after this)."""
    with transaction.atomic():
        received = received_queue(received_record(stored=stored, **details))
    return received


def received_requeue(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Queue reading again for objects whose reading was lost; how many were queued."""
    lost = received_unread_lost(older_than=older_than)
    for received in lost:
        with transaction.atomic():
            received_queue(received)
    return len(lost)
