"""The task worker that outlives a database outage and sweeps up after dead workers.

django-tasks-db's worker loop, with three additions:

- **Waits out the database.** When the database cannot be reached (PostgreSQL stopped or
  restarting), the worker does not exit: it waits with backoff (1 s, doubling, at most
  `IRFLOW_WORKER_RETRY_MAX_S`), logs calmly (one line as the outage starts, one a minute
  while it lasts, one when it ends) and carries on where it was.
- **Heartbeat.** A thread rewrites this worker's `WorkerHeartbeat` row every
  `IRFLOW_WORKER_HEARTBEAT_S` seconds, also while a long task runs. `/health` shows it.
- **Sweep.** Every `IRFLOW_TASK_SWEEP_S` seconds the worker looks for tasks left RUNNING by
  a worker that is gone: its heartbeat is older than `IRFLOW_WORKER_GONE_AFTER_S`, or it is
  this very worker, whose task was cut off by the database going away. Those tasks are
  marked failed ("worker gone", `irflow.lib.workers.WorkerGone`) and each app queues its
  work again — a dose report whose reading was killed is read again within a minute,
  without waiting for new traffic or a restart. HL7 destinations whose outbox holds
  messages ready to send, and no live sender, get their delivery queued again. FHIR bulk
  exports' files past `IRFLOW_FHIR_EXPORT_KEEP_H` are deleted.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from irflow.lib.outage import DATABASE_ERRORS, CalmLog, database_unavailable
from irflow.lib.workers import WORKER_GONE_PATH
from irflow.runtime.models import WorkerHeartbeat

logger = logging.getLogger("irflow.worker")

MSG_WORKER_GONE = (
    "The worker {worker} running this task stopped sending heartbeats (killed, or it lost "
    "the database mid-task); found by worker {sweeper}'s sweep."
)


def heartbeat(worker_id: str, *, started_at) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": now,
        },
    )


def workers_alive() -> set[str]:
    cutoff = timezone.now() - timedelta(seconds=settings.IRFLOW_WORKER_GONE_AFTER_S)
    return set(
        WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).values_list("worker_id", flat=True)
    )


def tasks_abandoned(*, sweeper: str, running: str | None = None) -> int:
    """Mark failed the tasks left RUNNING by a gone worker (or by `sweeper` itself, other
    than the one it is `running`); how many."""
    alive = workers_alive()
    grace = timezone.now() - timedelta(seconds=settings.IRFLOW_WORKER_GONE_AFTER_S)
    candidates = DBTaskResult.objects.filter(status="RUNNING")
    abandoned = 0
    for task in candidates.only("id", "worker_ids", "started_at"):
        owner = task.worker_ids[-1] if task.worker_ids else ""
        if owner == sweeper:
            if str(task.id) == running:
                continue
        elif owner in alive or (task.started_at and task.started_at > grace):
            continue
        with transaction.atomic():
            row = DBTaskResult.objects.select_for_update().filter(pk=task.pk).first()
            if row is None or row.status != "RUNNING" or row.worker_ids != task.worker_ids:
                continue
            row.status = "FAILED"
            row.finished_at = timezone.now()
            row.exception_class_path = WORKER_GONE_PATH
            row.traceback = MSG_WORKER_GONE.format(worker=owner or "?", sweeper=sweeper)
            row.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
        logger.warning(
            "task %s (%s) was left running by worker %s, which is gone; marked failed",
            row.pk,
            row.task_path,
            owner or "?",
        )
        abandoned += 1
    return abandoned


def sweep(*, sweeper: str, running: str | None = None) -> tuple[int, int]:
    """Find abandoned tasks and queue their work again: (tasks abandoned, work re-queued)."""
    from irflow.dose.tasks import received_requeue
    from irflow.fhirserver.export import bulk_export_expired_delete
    from irflow.hl7server.outbox import results_missing
    from irflow.hl7server.tasks import outbox_requeue

    abandoned = tasks_abandoned(sweeper=sweeper, running=running)
    requeued = received_requeue()
    if requeued:
        logger.warning("queued the reading of %d received object(s) again", requeued)
    # Signed reports whose outbound task was lost (a process killed after the signature
    # committed, before its task was queued); then HL7 destinations with messages ready and
    # no live sender (a delivery lost with a worker).
    results_missing()
    outbox_requeue()
    bulk_export_expired_delete()  # FHIR exports' files past their time
    WorkerHeartbeat.objects.filter(
        last_seen__lt=timezone.now() - timedelta(days=1)
    ).delete()  # workers long gone
    return abandoned, requeued


class Heartbeat(threading.Thread):
    def __init__(self, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    heartbeat(self.worker_id, started_at=self.started_at)
                except DATABASE_ERRORS:
                    connection.close()  # the main loop says the database is away
                except Exception:
                    # Never let the heartbeat stop while the worker runs: silent, it would
                    # look gone, and its task would be swept up while it still runs.
                    logger.exception("task worker %s: heartbeat failed", self.worker_id)
                    connection.close()
                self.stopping.wait(settings.IRFLOW_WORKER_HEARTBEAT_S)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()


class ResilientWorker(Worker):
    """django-tasks-db's Worker with its loop rewritten to wait out database outages, beat
    and sweep (see above). Claiming and running a task are the library's own."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.outage = CalmLog(logger, f"task worker {self.worker_id}")
        self.next_sweep = 0.0
        self.current_task: str | None = None
        self.delay = 1.0  # the next wait while the database is away

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.current_task = str(db_task_result.pk)
        try:
            super().run_task(db_task_result)
        finally:
            self.current_task = None

    def _sweep_if_due(self) -> None:
        now = time.monotonic()
        if now < self.next_sweep:
            return
        sweep(sweeper=self.worker_id, running=self.current_task)
        self.next_sweep = now + settings.IRFLOW_TASK_SWEEP_S

    def _claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)  # no other worker runs it now
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                return None  # SQLite busy: try again on the next round
        return task_result

    def _wait_for_database(self, exc: BaseException) -> None:
        self.outage.away(exc)
        connection.close()
        if self.running:
            time.sleep(self.delay)
        self.delay = min(self.delay * 2, settings.IRFLOW_WORKER_RETRY_MAX_S)
        self.next_sweep = 0.0  # sweep first thing once the database is back

    def run(self) -> None:
        logger.debug("task worker %s started", self.worker_id)
        beat = Heartbeat(self.worker_id)
        beat.start()
        self.delay = 1.0
        try:
            while self.running:
                task_result = None
                try:
                    close_old_connections()
                    self._sweep_if_due()
                    task_result = self._claim()
                    self.outage.back()  # the database answered
                    self.delay = 1.0
                    empty = task_result is None
                    if task_result is not None:
                        self.run_task(task_result)
                except Exception as exc:
                    if not database_unavailable(exc):
                        raise
                    self._wait_for_database(exc)
                    continue
                if self.batch and empty:
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                if self.running and empty:
                    time.sleep(self.interval)
        finally:
            beat.stop()
