"""Background work of the FHIR server (django-tasks; `irflow worker` runs it): bulk exports."""

from __future__ import annotations

from django.db import transaction
from django.tasks import task

from irflow.accounts.actors import Actor
from irflow.fhirserver.export import bulk_export_create, bulk_export_run
from irflow.fhirserver.models import BulkExport
from irflow.lib.origin import origin


@task()
def bulk_export_task(export_id: str) -> str:
    """Write a Bulk Data export's ndjson files; returns its status."""
    with origin("task"):
        return str(bulk_export_run(export_id))


def bulk_export_start(
    *, actor: Actor, level: str, params: list[tuple[str, str]], request_url: str
) -> BulkExport:
    """Kick off an export: record it and queue its task, in one commit."""
    with transaction.atomic():
        export = bulk_export_create(
            actor=actor, level=level, params=params, request_url=request_url
        )
        export.task_id = str(bulk_export_task.enqueue(str(export.pk)).id)
        export.save(update_fields=["task_id"])
    return export
