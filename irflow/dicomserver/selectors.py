"""Reads for the DICOM listener and the reconciliation pages.

The worklist is read by modalities, not people: a trusted system component with no user.
Which modality read which patient is still written to the access log, one row per patient
per query, with the calling AE title and its address.
"""

from __future__ import annotations

import socket
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.audit.models import Channel
from irflow.audit.services import access_log_record, access_log_record_machine
from irflow.dicom.charset import RESPONSE_CHARSETS
from irflow.dicom.worklist import WorklistItem, WorklistQuery
from irflow.dicomserver.models import RemoteAE
from irflow.dicomserver.worklist.filters import ON_WORKLIST, with_mrn, worklist_filter
from irflow.dicomserver.worklist.items import ITEM_FIELDS, patient_label, worklist_item
from irflow.lib.errors import NotFound
from irflow.patients.models import Allergy, Condition, ConditionCode
from irflow.procedures.models import PerformedProcedureStep
from irflow.scheduling.models import Booking

MSG_STEP_NOT_FOUND = "No such performed procedure step."
MSG_NO_REMOTE = "This remote AE does not exist (any more)."


@dataclass(frozen=True)
class Requestor:
    """Who asks over DICOM: the calling AE title and the address it called from."""

    ae_title: str
    address: str = ""


# Worklist


def worklist_queryset() -> QuerySet[Booking]:
    """Every step on the worklist, in start order, annotated with the patient's MRN."""
    return with_mrn(Booking.objects.filter(active=True, status__in=ON_WORKLIST)).order_by(
        "start", "sps_id"
    )


def _requests(query: WorklistQuery, keyword: str) -> bool:
    return any(key.keyword == keyword for key in query.return_keys)


def _by_patient(rows: Iterable[tuple[int, str]]) -> dict[int, tuple[str, ...]]:
    grouped: dict[int, list[str]] = defaultdict(list)
    for patient_id, text in rows:
        grouped[patient_id].append(text)
    return {patient_id: tuple(texts) for patient_id, texts in grouped.items()}


def worklist_items(rows: list[dict], *, allergies: bool, alerts: bool) -> list[WorklistItem]:
    """Items for booking rows; active allergies and conditions only when asked for."""
    return list(_worklist_items(rows, allergies=allergies, alerts=alerts))


def _worklist_items(rows: list[dict], *, allergies: bool, alerts: bool) -> Iterator[WorklistItem]:
    """The items of `rows`, each built as it is taken; two queries at most, now."""
    patient_ids = {row["patient_id"] for row in rows}
    by_allergy = (
        _by_patient(
            Allergy.objects.filter(patient_id__in=patient_ids, is_active=True)
            .order_by("pk")
            .values_list("patient_id", "agent")
        )
        if allergies and rows
        else {}
    )
    by_alert: dict[int, tuple[str, ...]] = {}
    if alerts and rows:
        labels = dict(ConditionCode.choices)
        codes = _by_patient(
            Condition.objects.filter(patient_id__in=patient_ids, active=True)
            .order_by("pk")
            .values_list("patient_id", "code")
        )
        by_alert = {p: tuple(labels.get(c, c) for c in cs) for p, cs in codes.items()}
    return (
        worklist_item(
            row,
            allergies=by_allergy.get(row["patient_id"], ()),
            medical_alerts=by_alert.get(row["patient_id"], ()),
        )
        for row in rows
    )


def worklist_answer(*, query: WorklistQuery, requestor: Requestor) -> Iterator[WorklistItem]:
    """The scheduled procedure steps matching `query`, in start order, for the C-FIND handler.

    The database work happens now, in a number of queries that does not grow with the
    answer: the matching bookings, the allergies and alerts when requested, and one insert
    into the access log (who read whom, before anything is sent). Each item is built only as
    it is taken, so the handler sends the first while the rest are still rows."""
    rows = list(worklist_queryset().filter(worklist_filter(query)).values(*ITEM_FIELDS))
    _log_worklist_read(rows, requestor)
    return _worklist_items(
        rows,
        allergies=_requests(query, "Allergies"),
        alerts=_requests(query, "MedicalAlerts"),
    )


def worklist_find(*, query: WorklistQuery, requestor: Requestor) -> list[WorklistItem]:
    """The scheduled procedure steps matching `query`, in start order; logs who read whom."""
    return list(worklist_answer(query=query, requestor=requestor))


def _log_worklist_read(rows: list[dict], requestor: Requestor) -> None:
    patients = {row["patient_id"]: patient_label(row) for row in rows}
    if not patients:
        return
    access_log_record_machine(
        calling=requestor.ae_title,
        address=requestor.address,
        patients=patients,
        what="Modality worklist (DICOM C-FIND)",
        channel=Channel.DICOM,
    )


# Remote AEs


def remote_ae_get(*, ae_title: str) -> RemoteAE | None:
    """The active configuration of a calling AE title, or None when it is unknown."""
    return (
        RemoteAE.objects.filter(ae_title=ae_title.strip(" "), active=True)
        .select_related("room")
        .first()
    )


def remote_aes_configured() -> bool:
    """True when at least one calling AE is configured and active (the listener may then
    listen beyond loopback)."""
    return RemoteAE.objects.filter(active=True).exists()


def _addresses(host: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return set()


def remote_ae_for_call(*, ae_title: str, address: str) -> RemoteAE | None:
    """The configuration of a calling AE title if it is configured, active, and calls from
    its configured host; else None."""
    remote = remote_ae_get(ae_title=ae_title)
    if remote is None:
        return None
    host = remote.host.strip()
    if not host or host == address or address in _addresses(host):
        return remote
    return None


def response_charset(*, remote: RemoteAE | None, query: WorklistQuery) -> str:
    """The character set to answer in: the AE's configured one; for an unknown AE, the
    query's own when irflow can write it, else the site default."""
    if remote is not None:
        return remote.charset
    if len(query.charset) == 1 and query.charset[0] in RESPONSE_CHARSETS:
        return query.charset[0]
    return str(settings.IRFLOW_DICOM_DEFAULT_CHARSET)


# Performed procedure steps


def mpps_get(*, sop_instance_uid: str) -> PerformedProcedureStep | None:
    """The step with this SOP Instance UID, for the listener (no user, no access log)."""
    return PerformedProcedureStep.objects.filter(sop_instance_uid=sop_instance_uid).first()


def mpps_unreconciled(*, actor: Actor) -> list[PerformedProcedureStep]:
    """Steps no booking claims (emergencies, unknown steps), newest first."""
    require(actor, "mpps.view")
    steps = list(
        PerformedProcedureStep.objects.filter(booking__isnull=True, reconciled_at__isnull=True)
        .select_related("room", "patient", "order__procedure_type")
        .order_by("-created_at")[:200]
    )
    access_log_record(
        actor=actor,
        patient=None,
        what="MPPS reconciliation list",
        shown=[s.patient for s in steps],
    )
    return steps


def mpps_recently_reconciled(*, actor: Actor, days: int = 2) -> list[PerformedProcedureStep]:
    """Steps linked by hand in the last `days` days, newest first."""
    require(actor, "mpps.view")
    since = timezone.now() - timedelta(days=days)
    steps = list(
        PerformedProcedureStep.objects.filter(reconciled_at__gte=since)
        .select_related("booking__room", "patient", "reconciled_by")
        .order_by("-reconciled_at")[:50]
    )
    access_log_record(
        actor=actor,
        patient=None,
        what=f"MPPS recently reconciled ({len(steps)})",
        shown=[s.patient for s in steps],
    )
    return steps


def mpps_detail(*, actor: Actor, step_id: int) -> PerformedProcedureStep:
    """One step for the reconciliation page (access-logged when it names a patient)."""
    require(actor, "mpps.view")
    step = (
        PerformedProcedureStep.objects.select_related(
            "room", "patient", "order__procedure_type", "booking__room"
        )
        .filter(pk=step_id)
        .first()
    )
    if step is None:
        raise NotFound(MSG_STEP_NOT_FOUND)
    access_log_record(actor=actor, patient=step.patient, what="MPPS reconciliation")
    return step


def mpps_candidate_bookings(*, actor: Actor, step: PerformedProcedureStep) -> list[Booking]:
    """Bookings the step may belong to: active, around its start, its room's first."""
    require(actor, "booking.view")
    moment = step.started_at or step.created_at
    qs = (
        Booking.objects.filter(
            active=True,
            start__gte=moment - timedelta(hours=12),
            start__lte=moment + timedelta(hours=12),
        )
        .select_related("patient", "room", "order__procedure_type")
        .order_by("start")
    )
    bookings = list(qs[:60])
    if step.room_id is not None:
        bookings.sort(key=lambda b: b.room_id != step.room_id)
    access_log_record(
        actor=actor,
        patient=None,
        what="MPPS reconciliation: bookings",
        shown=[b.patient for b in bookings],
    )
    return bookings


def remote_aes(*, actor: Actor) -> QuerySet[RemoteAE]:
    """Every remote AE (active or not) with its room, for the administrator."""
    require(actor, "dicom.configure")
    return RemoteAE.objects.select_related("room").order_by("ae_title")


def remote_ae_for_edit(*, actor: Actor, remote_id: int) -> RemoteAE:
    """One remote AE, for the administrator who changes it."""
    require(actor, "dicom.configure")
    remote = RemoteAE.objects.select_related("room").filter(pk=remote_id).first()
    if remote is None:
        raise NotFound(MSG_NO_REMOTE)
    return remote
