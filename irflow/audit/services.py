"""Writing the audit trail."""

from __future__ import annotations

from django.db.models import Model

from irflow.accounts.actors import Actor, person
from irflow.audit.models import AccessLog
from irflow.lib.origin import current_origin


def access_log_record_machine(
    *, calling: str, address: str, patients: dict[int, str], what: str, channel: str
) -> None:
    """Append one access-log row per patient a machine read (a modality's worklist query):
    who is the calling AE title, from `address`."""
    where = current_origin()
    AccessLog.objects.bulk_create(
        AccessLog(
            username=calling[:150],
            patient_id=patient_id,
            patient_label=label[:200],
            what=what[:200],
            channel=channel,
            remote_addr=address[:64],
            path=where.path,
        )
        for patient_id, label in patients.items()
    )


def access_log_record(*, actor: Actor, patient: Model | None, what: str) -> AccessLog:
    """Append an access-log row: `actor` read `patient` (None for a search)."""
    where = current_origin()
    user = person(actor)
    return AccessLog.objects.create(
        user=user,
        username=user.username if user is not None else "",
        role=actor.role or "",
        patient_id=patient.pk if patient is not None else None,
        patient_label=str(patient)[:200] if patient is not None else "",
        what=what[:200],
        channel=where.channel,
        remote_addr=where.remote_addr,
        path=where.path,
    )
