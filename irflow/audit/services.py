"""Writing the audit trail."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from auditlog.context import set_actor

from irflow.audit.context import current_origin
from irflow.audit.models import AccessLog


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


@contextlib.contextmanager
def history_actor(actor) -> Iterator[None]:
    """Attribute django-auditlog history written inside the block to `actor`."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        yield
        return
    with set_actor(actor, remote_addr=current_origin().remote_addr or None):
        yield
