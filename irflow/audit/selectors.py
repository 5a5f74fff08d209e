"""Searching the audit trails: the access log (reads) and change history (writes)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from auditlog.models import LogEntry
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.audit.models import AccessLog
from irflow.audit.services import access_log_record

ACTIONS = {0: "create", 1: "update", 2: "delete", 3: "access"}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def access_log_search(
    *,
    actor: Actor,
    username: str = "",
    patient_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 200,
) -> list[AccessLog]:
    """Reads of patient data, newest first."""
    require(actor, "audit.view")
    qs = AccessLog.objects.all()
    if username:
        qs = qs.filter(username__iexact=username)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if since:
        qs = qs.filter(at__gte=_day_start(since))
    if until:
        qs = qs.filter(at__lt=_day_start(until + timedelta(days=1)))
    rows = list(qs[:limit])
    access_log_record(
        actor=actor,
        patient=None,
        what=_search_what("access log search", len(rows), username, patient_id, since, until),
        shown=[(r.patient_id, r.patient_label) for r in rows if r.patient_id is not None],
    )
    return rows


def history_search(
    *,
    actor: Actor,
    username: str = "",
    patient_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 200,
) -> list[dict]:
    """Changes to clinical data, newest first, with the fields that changed."""
    require(actor, "audit.view")
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    if username:
        qs = qs.filter(actor__username__iexact=username)
    if patient_id is not None:
        qs = qs.filter(additional_data__patient_id=patient_id)
    if since:
        qs = qs.filter(timestamp__gte=_day_start(since))
    if until:
        qs = qs.filter(timestamp__lt=_day_start(until + timedelta(days=1)))
    entries = list(qs[:limit])
    access_log_record(
        actor=actor,
        patient=None,
        what=_search_what("history search", len(entries), username, patient_id, since, until),
        shown=[
            (pid, e.object_repr if e.content_type and e.content_type.model == "patient" else "")
            for e in entries
            if isinstance(pid := (e.additional_data or {}).get("patient_id"), int)
        ],
    )
    return [
        {
            "at": e.timestamp,
            "actor": e.actor.username if e.actor else "system",
            "action": ACTIONS.get(e.action, str(e.action)),
            "object_type": e.content_type.model if e.content_type else "",
            "object_id": e.object_pk,
            "object_repr": e.object_repr,
            "changes": e.changes_dict if isinstance(e.changes_dict, dict) else {},
            "change_rows": _change_rows(e.changes_dict),
        }
        for e in entries
    ]


def _search_what(
    name: str,
    found: int,
    username: str,
    patient_id: int | None,
    since: date | None,
    until: date | None,
) -> str:
    """The auditor's search as the access log names it: the filters and how many it found."""
    filters = [
        f"{label}={value}"
        for label, value in (
            ("user", username),
            ("patient", patient_id),
            ("from", since),
            ("to", until),
        )
        if value not in (None, "")
    ]
    return f"{name} {' '.join(filters) or 'all'} ({found})"


def _change_rows(changes: object) -> list[tuple[str, str, str]]:
    """(field, before, after) of one change, in field order. A list, not the dict: a model's
    field may be called "items" or "keys" (a checklist's items), which a template would take
    for the dict's method."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for name, values in sorted(changes.items()):
        before, after = [*values, "", ""][:2] if isinstance(values, list | tuple) else ("", values)
        rows.append(
            (str(name), "" if before is None else str(before), "" if after is None else str(after))
        )
    return rows
