"""Writing the audit trail."""

from __future__ import annotations

from irflow.audit.models import AccessLog
from irflow.lib.origin import current_origin


def access_log_record(*, actor, patient, what: str) -> AccessLog:
    """Append an access-log row: `actor` read `patient` (None for a search)."""
    where = current_origin()
    return AccessLog.objects.create(
        user=actor if actor is not None and actor.is_authenticated else None,
        username=getattr(actor, "username", "") or "",
        role=getattr(actor, "role", "") or "",
        patient_id=patient.pk if patient is not None else None,
        patient_label=str(patient)[:200] if patient is not None else "",
        what=what[:200],
        channel=where.channel,
        remote_addr=where.remote_addr,
        path=where.path,
    )
