"""Background delivery of the HL7 outbox (django-tasks; the worker of `irflow up` runs it).

A message is queued as a row first (irflow.hl7server.outbox); a delivery task per
destination is enqueued once that row is committed. The task sends what the destination
holds (irflow.hl7server.sender), enqueues itself for later (`run_after`) when the queue's head
must wait for its next attempt, and, once it has released the lease, looks for messages that
arrived meanwhile. The worker's sweep (`outbox_requeue`) finds destinations with messages
ready and no live sender — a task lost with a killed worker — and enqueues their delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Q
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from irflow.hl7server import sender
from irflow.hl7server.models import Destination, OutboundMessage
from irflow.lib.origin import origin

ASAP = datetime.min.replace(tzinfo=UTC)


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
    """Queue a delivery for the destination: now, or at `at` (when the backend can defer).

    A later delivery is not queued when one already waits that runs no later: that one
    sends, or queues the next itself."""
    backend = deliver_task.get_backend()
    if at is None or at <= timezone.now():
        deliver_task.enqueue(destination_id)
    elif backend.supports_defer:
        queued = _deliveries_queued().get(destination_id)
        if queued is None or queued > at:
            deliver_task.using(run_after=at).enqueue(destination_id)


def delivery_on_commit(destination_id: int) -> None:
    """Queue a delivery once the transaction that queued a message has committed."""
    transaction.on_commit(lambda: delivery_enqueue(destination_id))


def outbox_requeue() -> int:
    """Queue a delivery for every destination whose next message is ready to send, with no
    live sender (its lease free or expired) and no delivery waiting to run: a delivery lost
    with a killed worker, or a row committed by a process killed before it queued one. How
    many were queued."""
    now = timezone.now()
    candidates = Destination.objects.filter(
        active=True,
        pk__in=OutboundMessage.objects.filter(status__in=sender.QUEUED).values("destination_id"),
    ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    queued = _deliveries_queued()
    lost = [
        pk
        for pk in candidates.order_by("pk").values_list("pk", flat=True)
        if sender.ready(pk) and not (pk in queued and queued[pk] <= now)
    ]
    for destination_id in lost:
        delivery_enqueue(destination_id)
    return len(lost)


def _deliveries_queued() -> dict[int, datetime]:
    """Destination -> when its earliest waiting delivery runs (ASAP: as soon as a worker is
    free); database backend only."""
    if not isinstance(deliver_task.get_backend(), DatabaseBackend):
        return {}
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=deliver_task.module_path
    ).values_list("args_kwargs", "run_after")
    earliest: dict[int, datetime] = {}
    for args_kwargs, run_after in waiting:
        args = args_kwargs.get("args") if isinstance(args_kwargs, dict) else None
        if not args:
            continue
        at = ASAP if run_after == get_date_max() else run_after
        earliest[args[0]] = min(at, earliest.get(args[0], at))
    return earliest
