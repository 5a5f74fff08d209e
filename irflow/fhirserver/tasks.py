"""Background work of the FHIR server (django-tasks; `irflow worker` runs it): bulk exports."""

from __future__ import annotations

from django.tasks import task

from irflow.fhirserver.export import bulk_export_run
from irflow.lib.origin import origin


@task()
def bulk_export_task(export_id: str) -> str:
    """Write a Bulk Data export's ndjson files; returns its status."""
    with origin("task"):
        return bulk_export_run(export_id)
