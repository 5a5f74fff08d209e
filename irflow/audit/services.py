"""Writing the audit trail.

Every read of patient data is one call here, from the selector that reads it: one row for a
record opened, one row per patient a list or search showed (written in one statement), one row
for a refused attempt. Entry points need not log anything themselves; a refusal that escaped
the selectors (a permission refused before any record was looked up) is logged by the
request's middleware.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
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


def _who(actor: Actor) -> dict[str, object]:
    """Who reads and from where, once per call: a request's user is a lazy object, and
    resolving it for each of a list's hundreds of rows cost more than the query that
    read them."""
    where = current_origin()
    user = person(actor)
    return {
        "user_id": user.pk if user is not None else None,
        "username": user.username if user is not None else "",
        "role": actor.role or "",
        "channel": where.channel,
        "remote_addr": where.remote_addr,
        "path": where.path,
    }


def _row(
    actor: Actor,
    patient_id: int | None,
    label: str,
    what: str,
    refused: bool,
    who: dict[str, object] | None = None,
) -> AccessLog:
    return AccessLog(
        **(who if who is not None else _who(actor)),
        patient_id=patient_id,
        patient_label=label[:200],
        what=what[:200],
        refused=refused,
    )


def access_log_record(
    *,
    actor: Actor,
    patient: Model | None,
    what: str,
    shown: Iterable[Model | tuple[int, str] | None] | None = None,
) -> None:
    """Append to the access log that `actor` read `patient`.

    A list or search passes `patient=None` and the patients it `shown` (patients, or
    (patient id, label) pairs): one row per patient, each once, in the order shown, written
    in one statement; a list that showed nobody still leaves one row, so the query itself is
    on record."""
    if shown is None:
        label = str(patient) if patient is not None else ""
        _row(actor, patient.pk if patient is not None else None, label, what, False).save()
        return
    seen: dict[int, str] = {}
    if patient is not None:
        seen[patient.pk] = str(patient)
    for item in shown:
        if isinstance(item, tuple):
            if item[0] is not None:
                seen.setdefault(item[0], item[1])
        elif item is not None and item.pk is not None and item.pk not in seen:
            seen[item.pk] = str(item)
    who = _who(actor)
    rows = [_row(actor, pk, label, what, False, who) for pk, label in seen.items()]
    AccessLog.objects.bulk_create(rows or [_row(actor, None, "", what, False, who)])


def access_log_refused(
    *, actor: Actor, what: str, patient_id: int | None = None, label: str = ""
) -> None:
    """Append a refused read: `actor` asked for `what` (of patient `patient_id`, when the
    request named one) and was refused, by the permission matrix or because the record is
    outside what they may see. Refusals come as exceptions that roll back the transaction
    they happen in: inside one, the row waits for the entry point to write it (an HTTP
    request's middleware, after the answer)."""
    row = _row(actor, patient_id, label, what, True)
    where = current_origin()
    if where.refusals is None or not connection.in_atomic_block:
        row.save()
    if where.refusals is not None:
        where.refusals.append(row)


def refusals_write_pending() -> int:
    """Write the refused reads of the current piece of work that a rolled-back transaction
    may have taken with it; the number of refusals it logged in all."""
    refusals = current_origin().refusals or []
    for row in refusals:
        if isinstance(row, AccessLog) and (
            row.pk is None or not AccessLog.objects.filter(pk=row.pk).exists()
        ):
            row.pk = None
            row.save(force_insert=True)
    return len(refusals)
