"""`irflow worker`: the background task worker (django-tasks-db). Run several on PostgreSQL."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import Command as DbWorker


class TaskWorker(DbWorker):
    """django-tasks-db's worker, logging at the levels of settings.LOGGING.

    Its own command sets the task loggers to INFO (a line per task) whatever the settings
    say; irflow's are WARNING unless IRFLOW_TASK_LOG_LEVEL says otherwise.
    """

    def configure_logging(self, verbosity: int) -> None:
        pass


class Command(BaseCommand):
    help = "Run the background task worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")

    def handle(self, *, interval: float, batch: bool, **options) -> None:
        call_command(
            TaskWorker(),
            queue_name="*",
            interval=interval,
            batch=batch,
            reload=False,
            verbosity=options.get("verbosity", 1),
        )
