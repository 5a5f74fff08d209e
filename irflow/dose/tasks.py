"""Background work of the dose app (django-tasks; `irflow worker` runs it). Thin wrappers."""

from __future__ import annotations

from django.tasks import task

from irflow.lib.origin import origin


@task()
def received_process_task(received_id: int) -> str:
    """Read a received dose object into its report (or quarantine it); returns the status."""
    from irflow.dose.services import received_process, received_requeue

    with origin("task"):
        outcome = received_process(received_id=received_id)
        # Objects whose reading was lost (a worker killed mid-task) are picked up here too.
        received_requeue()
    return outcome.status


@task()
def received_requeue_task() -> int:
    """Queue reading again for objects received but still unread (after a restart)."""
    from datetime import timedelta

    from irflow.dose.services import received_requeue

    return received_requeue(older_than=timedelta(0))
