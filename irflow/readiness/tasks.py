"""Background work: re-evaluate a booking's readiness after something it depends on changed."""

from __future__ import annotations

from django.tasks import task


@task()
def readiness_refresh_task(booking_id: int) -> str:
    """Bring the booking's stored readiness up to date (thin wrapper over the service)."""
    from irflow.readiness.services import readiness_refresh

    snapshots = readiness_refresh(booking_ids=[booking_id])
    snapshot = snapshots.get(booking_id)
    return snapshot.effective_state if snapshot else "gone"
