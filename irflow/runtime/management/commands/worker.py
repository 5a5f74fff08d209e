"""`irflow worker`: the background task worker (django-tasks-db). Run several on PostgreSQL.

It waits out database outages, writes a heartbeat and sweeps up tasks left running by a
worker that died (`irflow.runtime.worker`).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS

from irflow.runtime.worker import ResilientWorker


class Command(BaseCommand):
    help = "Run the background task worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")

    def handle(self, *, interval: float, batch: bool, **options) -> None:
        # Logging follows settings.LOGGING (task lines at IRFLOW_TASK_LOG_LEVEL), not
        # django-tasks-db's own command, which would set its loggers to INFO.
        worker = ResilientWorker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
