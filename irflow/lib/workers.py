"""What a task worker's sweep writes on a task whose worker is gone (`irflow.runtime.worker`),
so that the app that queued it can recognise the task and queue its work again."""

from __future__ import annotations


class WorkerGone(Exception):
    """The worker running this task stopped (killed, or lost the database mid-task)."""


# DBTaskResult.exception_class_path of a task failed by the sweep.
WORKER_GONE_PATH = f"{WorkerGone.__module__}.{WorkerGone.__qualname__}"

# Failures worth trying again at once rather than after a long grace: the worker went away,
# or the database did (the task's own writes were refused while it was unavailable).
RETRY_AT_ONCE_PATHS = frozenset(
    {WORKER_GONE_PATH, "django.db.utils.OperationalError", "django.db.utils.InterfaceError"}
)
