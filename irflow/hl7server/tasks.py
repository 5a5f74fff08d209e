"""Background delivery of the HL7 outbox (django-tasks; the worker of `irflow up` runs it).

A message is queued as a row first (irflow.hl7server.outbox); a delivery task per
destination is enqueued once that row is committed. The task sends what the destination
holds (irflow.hl7server.sender), enqueues itself for later (`run_after`) when the queue's head
must wait for its next attempt, and, once it has released the lease, looks for messages that
arrived meanwhile. The worker's sweep (`outbox_requeue`) finds destinations with messages
ready and no live sender — a task lost with a killed worker — and enqueues their delivery.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from irflow.hl7server import sender
from irflow.hl7server.models import Destination, OutboundMessage
from irflow.lib.origin import origin


@task()
def deliver_task(destination_id: int) -> str:
    """Send the destination's waiting messages in order; returns what was done."""
    with origin("task"):
        result = sender.deliver(destination_id)
        if result.retry_at is not None:
            delivery_enqueue(destination_id, at=result.retry_at)
        elif not result.busy and sender.ready(destination_id):
            delivery_enqueue(destination_id)  # arrived while the lease was held
    return str(result)


def delivery_enqueue(destination_id: int, *, at: datetime | None = None) -> None:
    """Queue a delivery for the destination (at `at`, when the backend can defer)."""
    defers = deliver_task.get_backend().supports_defer
    if at is not None and at > timezone.now() and defers:
        deliver_task.using(run_after=at).enqueue(destination_id)
    elif at is None or defers:
        deliver_task.enqueue(destination_id)


def delivery_on_commit(destination_id: int) -> None:
    """Queue a delivery once the transaction that queued a message has committed."""
    transaction.on_commit(lambda: delivery_enqueue(destination_id))


def outbox_requeue() -> int:
    """Queue a delivery for every destination with a message ready to send and no live
    sender (its lease free or expired); how many were queued."""
    now = timezone.now()
    ready = OutboundMessage.objects.filter(
        status__in=sender.QUEUED, destination__active=True
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    idle = Destination.objects.filter(pk__in=ready.values("destination_id"), active=True).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    ids = set(idle.values_list("pk", flat=True)) - _deliveries_queued()
    for destination_id in sorted(ids):
        delivery_enqueue(destination_id)
    return len(ids)


def _deliveries_queued() -> set[int]:
    """Destinations whose delivery already waits in the database queue (none to add)."""
    if not isinstance(deliver_task.get_backend(), DatabaseBackend):
        return set()
    queued = DBTaskResult.objects.ready().filter(task_path=deliver_task.module_path)
    return {
        row["args"][0]
        for row in queued.values_list("args_kwargs", flat=True)
        if isinstance(row, dict) and row.get("args")
    }
