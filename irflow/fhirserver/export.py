"""FHIR Bulk Data export (Bulk Data Access IG v2, `$export`): the kick-off records a
`BulkExport` and queues its task; the worker writes one ndjson file per resource type under
`IRFLOW_DATA_DIR/fhir-export/<id>/`; the requester (and only they) polls the status and
downloads the files until `IRFLOW_FHIR_EXPORT_KEEP_H` hours after it finished, when the
worker's sweep deletes them. `DELETE` on the status URL cancels a running export or deletes a
finished one's files.

Who may export (irflow.accounts.permissions): `fhir.export` (identified data) and
`fhir.export_deidentified` (de-identified only: a QI lead). An export covers the whole
department (or, at Patient level, every patient's compartment): the export action is what
allows it, not the requester's read scope, so a referrer — who holds neither — never exports.

The access log gets one entry per patient whose data went into the export (what: the export
and its resource count), written when the files are complete: an auditor asks "whose record
left, when, by whom", and a de-identified export is named as such."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from irflow.accounts.actors import Actor, person_only
from irflow.accounts.permissions import require, scope
from irflow.audit.services import access_log_record
from irflow.fhir.deidentify import Deidentifier
from irflow.fhir.organization import organization_resource
from irflow.fhirserver.gather import RESOURCE_TYPES, SOURCES, Source, fhir_site
from irflow.fhirserver.models import BulkExport
from irflow.lib.errors import Forbidden, NotFound, ValidationFailed
from irflow.patients.models import Patient

MSG_TYPE = "irflow exports no resource type “{type}” (it exports {allowed})."
MSG_SINCE = "_since must be an instant (YYYY-MM-DDThh:mm:ss+zz:zz) or a date."
MSG_FORMAT = "_outputFormat must be application/fhir+ndjson (or ndjson)."
MSG_DEID = "_deidentify must be true or false."
MSG_DEID_ONLY = "Your role may export de-identified data only: ask with _deidentify=true."
MSG_PARAMETER = "irflow's $export does not support the parameter “{name}”."
MSG_NOT_FOUND = "No export with this id, or not yours."
FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
EXPORT_DIR = "fhir-export"
LIVE = ("queued", "running", "done", "failed")  # the statuses its requester still sees


def export_dir(export_id: uuid.UUID | str) -> Path:
    return Path(settings.DATA_DIR) / EXPORT_DIR / str(export_id)


def _parse(level: str, params: list[tuple[str, str]]) -> tuple[list[str], datetime | None, bool]:
    types: list[str] = []
    since: datetime | None = None
    deidentify = False
    allowed = _types(level)
    for name, value in params:
        if name == "_type":
            for t in (v.strip() for v in value.split(",")):
                if t not in allowed:
                    raise ValidationFailed(
                        {name: MSG_TYPE.format(type=t, allowed=", ".join(allowed))}
                    )
                if t not in types:
                    types.append(t)
        elif name == "_since":
            moment = parse_datetime(value) if "T" in value else None
            day = parse_date(value) if "T" not in value else None
            if day is not None:
                moment = datetime.combine(day, datetime.min.time())
            if moment is None:
                raise ValidationFailed({name: MSG_SINCE})
            since = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        elif name == "_outputFormat":
            if value not in FORMATS:
                raise ValidationFailed({name: MSG_FORMAT})
        elif name in ("_deidentify", "_irflow-deid"):
            if value not in ("true", "false"):
                raise ValidationFailed({name: MSG_DEID})
            deidentify = value == "true"
        else:
            raise ValidationFailed({name: MSG_PARAMETER.format(name=name)})
    return types, since, deidentify


def _types(level: str) -> list[str]:
    """The resource types of a system export, or of the Patient compartment."""
    if level == "system":
        return list(RESOURCE_TYPES)
    return [t for t in RESOURCE_TYPES if any(s.patient for s in SOURCES if s.resource_type == t)]


def bulk_export_create(
    *, actor: Actor, level: str, params: list[tuple[str, str]], request_url: str
) -> BulkExport:
    """Record an export asked for (`level` "system" or "patient"), once the parameters and the
    permission are checked; `irflow.fhirserver.tasks.bulk_export_start` queues its work."""
    user = person_only(actor)
    types, since, deidentify = _parse(level, params)
    if scope(actor, "fhir.export") is None:
        require(actor, "fhir.export_deidentified")
        if not deidentify:
            raise Forbidden(MSG_DEID_ONLY, code="forbidden")
    return BulkExport.objects.create(
        requested_by=user,
        level=level,
        types=types,
        since=since,
        deidentified=deidentify,
        request_url=request_url,
        transaction_time=timezone.now(),
    )


def bulk_export_get(*, actor: Actor, export_id: str) -> BulkExport:
    """The requester's own export (anyone else: not found); deleted and expired ones are gone."""
    try:
        key = uuid.UUID(export_id)
    except ValueError:
        raise NotFound(MSG_NOT_FOUND) from None
    export = BulkExport.objects.filter(
        pk=key,
        requested_by=person_only(actor),
        status__in=LIVE,
    ).first()
    if export is None:
        raise NotFound(MSG_NOT_FOUND)
    return export


def bulk_export_file(*, actor: Actor, export_id: str, name: str) -> Path:
    """The path of one of the requester's finished export's files."""
    export = bulk_export_get(actor=actor, export_id=export_id)
    files = {o["file"] for o in export.output}
    if export.status != BulkExport.Status.DONE or name not in files:
        raise NotFound(MSG_NOT_FOUND)
    return export_dir(export.pk) / name


def bulk_export_delete(*, actor: Actor, export_id: str) -> None:
    """Cancel the requester's export (a running task stops at its next type) or delete its
    files."""
    export = bulk_export_get(actor=actor, export_id=export_id)
    BulkExport.objects.filter(pk=export.pk).update(
        status=BulkExport.Status.DELETED, finished_at=timezone.now(), output=[]
    )
    shutil.rmtree(export_dir(export.pk), ignore_errors=True)


def bulk_export_expired_delete(now: datetime | None = None) -> int:
    """Delete the files of finished exports past their time (the worker's sweep); how many."""
    now = now or timezone.now()
    expired = list(
        BulkExport.objects.filter(
            status__in=[BulkExport.Status.DONE, BulkExport.Status.FAILED], expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    for pk in expired:
        shutil.rmtree(export_dir(pk), ignore_errors=True)
        BulkExport.objects.filter(pk=pk).update(status=BulkExport.Status.EXPIRED, output=[])
    return len(expired)


def _patient_of(resource: dict) -> int | None:
    """The patient a resource belongs to: itself, or the first patient it refers to."""
    if resource["resourceType"] == "Patient":
        return int(resource["id"])
    stack: list = [resource]
    while stack:
        value = stack.pop(0)
        if isinstance(value, dict):
            ref = value.get("reference")
            if isinstance(ref, str) and ref.startswith("Patient/") and ref[8:].isdigit():
                return int(ref[8:])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None


def _rows(source: Source, export: BulkExport):
    qs = source.queryset()
    if source.patient not in (None, "pk"):
        qs = qs.filter(**{f"{source.patient}__is_active": True})  # as every selector
    if export.since is not None and source.updated is not None:
        qs = qs.filter(**{f"{source.updated}__gt": export.since})
    return qs.iterator(chunk_size=500)


def _still_wanted(export: BulkExport) -> bool:
    status = BulkExport.objects.filter(pk=export.pk).values_list("status", flat=True).first()
    return status == BulkExport.Status.RUNNING


def bulk_export_run(export_id: str) -> str:
    """Write the export's files (the worker's task); returns its status."""
    export = BulkExport.objects.select_related("requested_by").get(pk=export_id)
    if export.status != BulkExport.Status.QUEUED:
        return export.status
    BulkExport.objects.filter(pk=export.pk).update(status=BulkExport.Status.RUNNING)
    site = fhir_site()
    deid = Deidentifier() if export.deidentified else None
    types = export.types or _types(export.level)
    folder = export_dir(export.pk)
    folder.mkdir(parents=True, exist_ok=True)
    output: list[dict] = []
    patients: dict[int, None] = {}
    try:
        for n, resource_type in enumerate(types):
            if not _still_wanted(export):
                shutil.rmtree(folder, ignore_errors=True)
                return BulkExport.Status.DELETED
            BulkExport.objects.filter(pk=export.pk).update(
                progress=f"{n} of {len(types)} types written; writing {resource_type}"
            )
            count = 0
            name = f"{resource_type}.ndjson"
            with (folder / name).open("w", encoding="utf-8") as f:
                if resource_type == "Organization":
                    resources = iter([organization_resource(site)])
                else:
                    sources = [
                        s
                        for s in SOURCES
                        if s.resource_type == resource_type
                        and (export.level == "system" or s.patient is not None)
                    ]
                    resources = (s.resource(row, site) for s in sources for row in _rows(s, export))
                for resource in resources:
                    owner = _patient_of(resource)
                    if owner is not None:
                        patients[owner] = None
                    if deid is not None:
                        resource = deid.resource(resource, None if owner is None else str(owner))
                    f.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
                    f.write("\n")
                    count += 1
            if count:
                output.append({"type": resource_type, "file": name, "count": count})
            else:
                (folder / name).unlink()
    except Exception as exc:
        shutil.rmtree(folder, ignore_errors=True)
        BulkExport.objects.filter(pk=export.pk).update(
            status=BulkExport.Status.FAILED,
            finished_at=timezone.now(),
            expires_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    with transaction.atomic():
        finished = timezone.now()
        done = BulkExport.objects.filter(pk=export.pk, status=BulkExport.Status.RUNNING).update(
            status=BulkExport.Status.DONE,
            progress="",
            output=output,
            finished_at=finished,
            expires_at=finished + timedelta(hours=settings.IRFLOW_FHIR_EXPORT_KEEP_H),
        )
        if not done:  # cancelled while the last type was written
            shutil.rmtree(folder, ignore_errors=True)
            return BulkExport.Status.DELETED
        total = sum(o["count"] for o in output)
        kind = "de-identified " if export.deidentified else ""
        labels = dict(
            (pk, f"{family.upper()}, {given}")
            for pk, family, given in Patient.objects.filter(pk__in=list(patients)).values_list(
                "pk", "family_name", "given_name"
            )
        )
        access_log_record(
            actor=export.requested_by,
            patient=None,
            what=f"FHIR {kind}bulk export {export.pk} ({total} resources)"[:200],
            shown=[(pk, labels.get(pk, "")) for pk in patients],
        )
    return BulkExport.Status.DONE


def manifest(export: BulkExport, file_url) -> dict:
    """The Bulk Data manifest of a finished export; `file_url(name)` is a file's URL."""
    return {
        "transactionTime": export.transaction_time.isoformat(),
        "request": export.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": o["type"], "url": file_url(o["file"]), "count": o["count"]}
            for o in export.output
        ],
        "error": [],
    }
