"""Background work of reports (django-tasks; `irflow worker` runs it). Thin wrappers."""

from __future__ import annotations

from django.tasks import task

from irflow.lib.origin import origin


@task()
def report_outbound_task(report_id: int, event: str, addendum_id: int | None = None) -> list[str]:
    """Hand a signed report (or addendum) to the registered outbound interfaces."""
    from irflow.reports.outbound import OutboundEvent, outbound_dispatch

    with origin("task"):
        return outbound_dispatch(
            OutboundEvent(report_id=report_id, event=event, addendum_id=addendum_id)
        )
