"""Received objects: record them, read them into dose reports, quarantine what cannot be read.

Every object is first stored raw (``irflow.dose.storage``) and recorded here; reading it is
a separate step — a background task for DICOM, immediate for file imports — so that nothing
acknowledged is lost when reading fails or a process dies. Reading is idempotent: an object
already read is never read twice, so a task may safely be queued again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from irflow.accounts.actors import SYSTEM, Actor, person
from irflow.accounts.permissions import require
from irflow.dicom import rdsr
from irflow.dose import storage
from irflow.dose.models import (
    RECEIVED_STATES,
    RadiationDoseReport,
    ReceivedChannel,
    ReceivedObject,
    ReceivedStatus,
)
from irflow.dose.services.alerts import dose_alerts_refresh
from irflow.dose.services.linking import report_auto_link
from irflow.dose.services.storing import report_store
from irflow.lib.db import violates
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.workers import RETRY_AT_ONCE_PATHS

logger = logging.getLogger("irflow.dose")

MSG_SAME_FILE = "The same file was already read (received object {pk})."
MSG_SAME_REPORT = "Dose report {sop} was already received (received object {pk}); nothing added."
MSG_FILE_MISSING = "The stored file {path} cannot be read ({error})."
MSG_UNEXPECTED = "Reading failed unexpectedly ({error}); the file is kept for re-processing."
MSG_NOT_QUARANTINED = "Only quarantined objects can be re-processed; this one is {status}."
MSG_RECEIVED_NOT_FOUND = "No such received object."

# What `irflow import-rdsr` reports for each status.
IMPORT_STATUS = {
    ReceivedStatus.PROCESSED: "imported",
    ReceivedStatus.DUPLICATE: "duplicate",
    ReceivedStatus.QUARANTINED: "rejected",
    ReceivedStatus.RECEIVED: "pending",
}


@dataclass(frozen=True)
class Outcome:
    """What became of one received object."""

    received: ReceivedObject
    report: RadiationDoseReport | None
    # Set when a file import found the same bytes already read: nothing new was recorded.
    duplicate_of: ReceivedObject | None = None

    @property
    def status(self) -> str:
        if self.duplicate_of is not None:
            return "duplicate"
        return IMPORT_STATUS[ReceivedStatus(self.received.status)]

    @property
    def reason(self) -> str:
        if self.duplicate_of is not None:
            return MSG_SAME_FILE.format(pk=self.duplicate_of.pk)
        return self.received.reason


def received_record(
    *,
    stored: storage.StoredFile,
    channel: str,
    sop_instance_uid: str = "",
    sop_class_uid: str = "",
    transfer_syntax_uid: str = "",
    calling_ae_title: str = "",
    remote_address: str = "",
    source_name: str = "",
) -> ReceivedObject:
    """Record a durably stored object (the DICOM listener also queues its reading in the same
    commit: `irflow.dose.tasks.received_record_queued`)."""
    with transaction.atomic():
        received = ReceivedObject.objects.create(
            channel=channel,
            sop_instance_uid=sop_instance_uid[:64],
            sop_class_uid=sop_class_uid[:64],
            transfer_syntax_uid=transfer_syntax_uid[:64],
            calling_ae_title=calling_ae_title[:16],
            remote_address=remote_address[:64],
            source_name=source_name[:500],
            file_path=stored.relative_path,
            size_bytes=stored.size_bytes,
            sha256=stored.sha256,
        )
    return received


def received_queued(*, received_id: int, task_id: str) -> ReceivedObject:
    """Remember the task that reads object `received_id` (queued in the caller's transaction)."""
    received = ReceivedObject.objects.select_for_update().get(pk=received_id)
    received.task_id = task_id
    received.queued_at = timezone.now()
    received.save(update_fields=["task_id", "queued_at"])
    return received


def _derived_uid(sha256: str) -> str:
    # A report without a SOP Instance UID still needs a stable key: one derived from its bytes.
    return f"2.25.{int(sha256[:30], 16)}"


def _finish(
    received_id: int,
    status: str,
    *,
    reason: str = "",
    report: RadiationDoseReport | None = None,
    extracted: rdsr.DoseReport | None = None,
) -> Outcome:
    with transaction.atomic():
        received = ReceivedObject.objects.select_for_update().get(pk=received_id)
        if received.status != ReceivedStatus.RECEIVED:
            return Outcome(received, received.dose_report)
        _mark(received, status, reason=reason, report=report, extracted=extracted)
        return Outcome(received, report)


def _mark(
    received: ReceivedObject,
    status: str,
    *,
    reason: str,
    report: RadiationDoseReport | None,
    extracted: rdsr.DoseReport | None,
) -> None:
    RECEIVED_STATES.check(received.status, status)
    received.status = status
    received.reason = reason
    received.dose_report = report
    received.attempts += 1
    received.processed_at = timezone.now()
    if extracted is not None:
        received.sop_instance_uid = received.sop_instance_uid or (extracted.sop_instance_uid or "")
        received.sop_class_uid = received.sop_class_uid or extracted.sop_class_uid
    received.save(
        update_fields=[
            "status",
            "reason",
            "dose_report",
            "attempts",
            "processed_at",
            "sop_instance_uid",
            "sop_class_uid",
        ]
    )


def _store(received_id: int, extracted: rdsr.DoseReport, actor: Actor) -> Outcome:
    with transaction.atomic():
        received = ReceivedObject.objects.select_for_update().get(pk=received_id)
        if received.status != ReceivedStatus.RECEIVED:
            return Outcome(received, received.dose_report)
        sop = extracted.sop_instance_uid or received.sop_instance_uid
        sop = sop or _derived_uid(received.sha256)
        existing = RadiationDoseReport.objects.filter(sop_instance_uid=sop).first()
        if existing is not None:
            first = existing.received_objects.order_by("pk").first()
            reason = MSG_SAME_REPORT.format(sop=sop, pk=first.pk if first else "?")
            _mark(
                received,
                ReceivedStatus.DUPLICATE,
                reason=reason,
                report=existing,
                extracted=extracted,
            )
            return Outcome(received, existing)
        if not extracted.sop_instance_uid:
            received.sop_instance_uid = sop
        report = report_store(
            extracted=extracted, sop_instance_uid=sop, received_at=received.received_at
        )
        report = report_auto_link(actor=actor, report_id=report.pk)
        if report.order_id is not None:
            dose_alerts_refresh(actor=actor, order_id=report.order_id, report_id=report.pk)
        _mark(received, ReceivedStatus.PROCESSED, reason="", report=report, extracted=extracted)
        return Outcome(received, report)


def received_process(*, actor: Actor, received_id: int) -> Outcome:
    """Read one received object: store its dose report, link it, raise alerts — or
    quarantine it with the reason. Extraction runs outside the transaction (it is pure);
    everything the object changes in the database is written in one transaction. The
    system's work (the worker, imports, re-reading), whoever asked for it."""
    received = ReceivedObject.objects.filter(pk=received_id).first()
    if received is None:
        raise NotFound(MSG_RECEIVED_NOT_FOUND)
    if received.status != ReceivedStatus.RECEIVED:
        return Outcome(received, received.dose_report)
    earlier = (
        ReceivedObject.objects.filter(sha256=received.sha256, dose_report__isnull=False)
        .exclude(pk=received.pk)
        .select_related("dose_report")
        .order_by("pk")
        .first()
    )
    if earlier is not None:
        return _finish(
            received.pk,
            ReceivedStatus.DUPLICATE,
            reason=MSG_SAME_FILE.format(pk=earlier.pk),
            report=earlier.dose_report,
        )
    try:
        data = storage.read_stored(received.file_path)
    except OSError as exc:
        reason = MSG_FILE_MISSING.format(path=received.file_path, error=exc.strerror or exc)
        return _finish(received.pk, ReceivedStatus.QUARANTINED, reason=reason)
    try:
        extracted = rdsr.extract(data)
    except rdsr.RdsrError as exc:
        return _finish(received.pk, ReceivedStatus.QUARANTINED, reason=exc.message)
    except Exception as exc:  # an extractor bug must not leave the object stuck
        logger.exception("reading received object %s failed", received.pk)
        reason = MSG_UNEXPECTED.format(error=f"{type(exc).__name__}: {exc}"[:300])
        return _finish(received.pk, ReceivedStatus.QUARANTINED, reason=reason)
    try:
        return _store(received.pk, extracted, actor)
    except IntegrityError as exc:
        # Another worker stored the same report or one of its events at the same moment:
        # read again, now that they are known.
        if not violates(exc, unique=[("sop_instance_uid",), ("event_uid",)]):
            raise
        return _store(received.pk, extracted, actor)


def rdsr_import_file(*, actor: Actor, path: Path) -> Outcome:
    """Import one file (`irflow import-rdsr`): store it, record it and read it now.

    The same bytes imported again are not recorded twice: an earlier result is returned
    (a quarantined one is read again, in case the reader has learnt since)."""
    data = path.read_bytes()
    stored = storage.store_durably(data)
    earlier = ReceivedObject.objects.filter(sha256=stored.sha256).order_by("pk")
    done = earlier.filter(dose_report__isnull=False).select_related("dose_report").first()
    if done is not None:
        return Outcome(done, done.dose_report, duplicate_of=done)
    previous = earlier.first()
    if previous is not None:
        if previous.status == ReceivedStatus.QUARANTINED:
            _requeue(previous, actor=actor)
        return received_process(actor=actor, received_id=previous.pk)
    received = received_record(
        stored=stored,
        channel=ReceivedChannel.IMPORT,
        source_name=str(path),
    )
    return received_process(actor=actor, received_id=received.pk)


def _requeue(received: ReceivedObject, *, actor: Actor) -> None:
    RECEIVED_STATES.check(received.status, ReceivedStatus.RECEIVED)
    received.status = ReceivedStatus.RECEIVED
    received.reprocessed_by = person(actor)
    with history_actor(actor):
        received.save(update_fields=["status", "reprocessed_by"])


def received_reprocess(*, actor: Actor, received_id: int) -> Outcome:
    """Read a quarantined object again (after a fix, or a reader update); audited."""
    require(actor, "dose.reconcile")
    with transaction.atomic():
        received = ReceivedObject.objects.select_for_update().filter(pk=received_id).first()
        if received is None:
            raise NotFound(MSG_RECEIVED_NOT_FOUND)
        if received.status != ReceivedStatus.QUARANTINED:
            raise ValidationFailed(
                {"status": MSG_NOT_QUARANTINED.format(status=received.get_status_display())}
            )
        _requeue(received, actor=actor)
    # Reading (linking, alerts and their follow-up) is the system's work, as on arrival.
    return received_process(actor=SYSTEM, received_id=received_id)


def _live_tasks(task_ids: list[str], *, started_after: datetime) -> set[str]:
    """Tasks still waiting, or running since `started_after` (a worker on it right now)."""
    if not task_ids:
        return set()
    from django_tasks_db.models import DBTaskResult

    live = DBTaskResult.objects.filter(id__in=task_ids).filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gt=started_after)
    )
    return {str(pk) for pk in live.values_list("id", flat=True)}


def _abandoned_tasks(task_ids: list[str]) -> set[str]:
    """Tasks a worker's sweep found without their worker (killed mid-task), or that failed
    because the database was away: their objects are queued again at once, whatever
    `older_than` says."""
    if not task_ids:
        return set()
    from django_tasks_db.models import DBTaskResult

    gone = DBTaskResult.objects.filter(
        id__in=task_ids, status="FAILED", exception_class_path__in=RETRY_AT_ONCE_PATHS
    )
    return {str(pk) for pk in gone.values_list("id", flat=True)}


def received_unread_lost(*, older_than: timedelta = timedelta(minutes=10)) -> list[ReceivedObject]:
    """Objects still unread whose task was abandoned by its worker (found by the workers'
    sweep, `irflow.runtime.worker`), or is gone, failed, or has been running longer than
    `older_than` — e.g. a worker killed while reading (`irflow.dose.tasks` queues them
    again). Objects whose task still waits in the queue are left alone."""
    cutoff = timezone.now() - older_than
    unread = ReceivedObject.objects.filter(status=ReceivedStatus.RECEIVED).order_by("pk")
    old = list(unread.filter(Q(queued_at__isnull=True) | Q(queued_at__lte=cutoff))[:1000])
    recent = list(unread.filter(queued_at__gt=cutoff)[:1000])
    abandoned = _abandoned_tasks([r.task_id for r in recent if r.task_id])
    live = _live_tasks([r.task_id for r in old if r.task_id], started_after=cutoff)
    lost = [r for r in old if r.task_id not in live]
    lost += [r for r in recent if r.task_id in abandoned]
    return sorted(lost, key=lambda r: r.pk)


def received_recover(*, actor: Actor) -> list[Outcome]:
    """Read everything stored but not read: unread objects, and files on disk whose record
    was never committed (the listener died between writing and recording, so the sender
    got no success and will also resend). Used by `irflow import-rdsr --recover`."""
    storage.remove_stale_temporaries()
    known = set(ReceivedObject.objects.values_list("file_path", flat=True))
    for relative in storage.stored_files():
        if relative in known:
            continue
        data = storage.read_stored(relative)
        received_record(
            stored=storage.StoredFile(
                relative_path=relative,
                sha256=Path(relative).stem,
                size_bytes=len(data),
            ),
            channel=ReceivedChannel.IMPORT,
            source_name=f"recovered {relative}",
        )
    pending = ReceivedObject.objects.filter(status=ReceivedStatus.RECEIVED).order_by("pk")
    return [
        received_process(actor=actor, received_id=pk) for pk in pending.values_list("pk", flat=True)
    ]
