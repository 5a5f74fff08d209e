"""Reads for the registry export and the M&M review: the completed procedures of a family and
period gathered into `Case`s, their validation against the dataset, the export files, and the
cases for the morbidity and mortality meeting. Every read is access-logged."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import salted_hmac

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import require
from irflow.audit.services import access_log_record
from irflow.dose.models import LinkStatus, RadiationDoseReport
from irflow.outcomes.models import AdverseEvent
from irflow.procedures.models import DeviceUsed, ProcedureRecord, RecordStatus, Specimen
from irflow.registry import datasets
from irflow.registry.datasets import FAMILIES_BY_CODE, LINE_KINDS, Case, elements, family_of
from irflow.registry.mm import SIR_ORDER

MSG_UNKNOWN_FAMILY = "“{value}” is not a registry family (choose from: {known})."
MSG_PERIOD = "The period must end on or after the day it starts."
KEY_SALT = "irflow.registry.patient-key"


def site_key(secret: str | None = None) -> bytes:
    """The key patient keys are hashed with: derived from the site's secret key (SECRET_KEY,
    kept in the data directory and in backups) unless `secret` is given."""
    return salted_hmac(
        KEY_SALT, "registry", secret=secret or settings.SECRET_KEY, algorithm="sha256"
    ).digest()


def patient_key(patient_id: int, key: bytes) -> str:
    return hmac.new(key, f"patient:{patient_id}".encode(), hashlib.sha256).hexdigest()[:24]


def record_key(record_id: int, key: bytes) -> str:
    return hmac.new(key, f"record:{record_id}".encode(), hashlib.sha256).hexdigest()[:24]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ValueError(MSG_PERIOD)
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def _family(code: str) -> datasets.Family:
    if code not in FAMILIES_BY_CODE:
        raise ValueError(MSG_UNKNOWN_FAMILY.format(value=code, known=", ".join(FAMILIES_BY_CODE)))
    return FAMILIES_BY_CODE[code]


def _records(start: date, end: date) -> QuerySet[ProcedureRecord]:
    lo, hi = _bounds(start, end)
    return (
        ProcedureRecord.objects.annotate(
            registry_day=Coalesce("started_at", "in_room_at", "booking__start")
        )
        .filter(registry_day__gte=lo, registry_day__lt=hi)
        .select_related("order__procedure_type", "patient", "booking", "recovery")
        .prefetch_related(
            "patient__identifiers",
            Prefetch(
                "devices",
                queryset=DeviceUsed.objects.filter(entered_in_error=False).order_by("pk"),
                to_attr="registry_devices",
            ),
            Prefetch(
                "specimens",
                queryset=Specimen.objects.filter(entered_in_error=False),
                to_attr="registry_specimens",
            ),
            Prefetch(
                "adverse_events",
                queryset=AdverseEvent.objects.filter(entered_in_error=False),
                to_attr="registry_events",
            ),
        )
        .order_by("registry_day", "pk")
    )


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present), 6) if present else None


def _case(record: ProcedureRecord, key: bytes, doses: list[RadiationDoseReport]) -> Case:
    patient, order = record.patient, record.order
    ptype = order.procedure_type
    events = record.registry_events  # type: ignore[attr-defined]
    devices = record.registry_devices  # type: ignore[attr-defined]
    grades = [e.sir_grade for e in events if e.sir_grade in SIR_ORDER]
    recovery = getattr(record, "recovery", None)
    return Case(
        record_id=record.pk,
        patient_key=patient_key(patient.pk, key),
        patient_id=patient.pk,
        family_name=patient.family_name,
        given_name=patient.given_name,
        mrn=patient.mrn,
        birth_date=patient.birth_date,
        sex=patient.sex,
        procedure_day=record.procedure_day(),
        procedure_code=ptype.code,
        procedure_name=ptype.name,
        priority=order.priority,
        laterality=order.laterality,
        body_site=order.site,
        asa=record.asa_label,
        sedation=record.sedation_depth,
        access_sites=list(record.access_sites or []),
        technical_success=record.technical_success,
        clinical_success=record.clinical_success,
        contrast_ml=record.contrast_ml,
        fluoro_time_s=_sum([d.fluoro_time_counted_s for d in doses]),
        dap_gy_cm2=_sum([d.dap_counted_gy_cm2 for d in doses]),
        ka_r_mgy=_sum([d.ka_r_counted_mgy for d in doses]),
        devices=[d.device_type for d in devices],
        implanted_devices=[d.device_type for d in devices if d.implanted],
        specimens=len(record.registry_specimens),  # type: ignore[attr-defined]
        worst_sir_grade=max(grades, key=SIR_ORDER.index) if grades else "",
        adverse_events=len(events),
        admitted=(recovery.disposition == "admitted")
        if recovery is not None and recovery.disposition
        else None,
        extra={
            "line_kind": LINE_KINDS.get(ptype.code, ""),
            "case_key": record_key(record.pk, key),
        },
    )


@dataclass
class Validation:
    """A family's cases in a period, each checked against the dataset."""

    family: datasets.Family
    start: date
    end: date
    identified: bool
    cases: list[Case]
    # record id -> names of the required elements it lacks
    missing: dict[int, list[str]]
    # why cases were left out -> how many
    excluded: Counter = field(default_factory=Counter)

    @property
    def included(self) -> list[Case]:
        return [c for c in self.cases if not self.missing.get(c.record_id)]

    @property
    def incomplete(self) -> list[Case]:
        return [c for c in self.cases if self.missing.get(c.record_id)]

    def incomplete_lines(self) -> list[tuple[Case, list[str]]]:
        return [(c, self.missing[c.record_id]) for c in self.incomplete]

    def exclusions(self) -> list[tuple[str, int]]:
        reasons = Counter(self.excluded)
        if self.incomplete:
            reasons["required elements missing"] = len(self.incomplete)
        return sorted(reasons.items())

    def rows(self) -> list[dict[str, object]]:
        els = elements(self.family.code, identified=self.identified)
        return [{e.name: e.value(c) for e in els} for c in self.included]


def gather(
    *, family: str, start: date, end: date, identified: bool = False, secret: str | None = None
) -> Validation:
    """The family's procedures checked in during the period, gathered and validated (no
    permission check, no log: the callers below do both)."""
    fam = _family(family)
    key = site_key(secret)
    records = [
        r
        for r in _records(start, end)
        if family_of(r.order.procedure_type.code, r.order.procedure_type.category) is fam
    ]
    doses: dict[int, list[RadiationDoseReport]] = defaultdict(list)
    for report in RadiationDoseReport.objects.filter(
        order_id__in={r.order_id for r in records}, link_status=LinkStatus.LINKED
    ):
        doses[report.order_id].append(report)  # type: ignore[index]
    excluded: Counter = Counter()
    cases = []
    for record in records:
        if record.status != RecordStatus.COMPLETED:
            excluded["procedure not completed"] += 1
            continue
        cases.append(_case(record, key, doses[record.order_id]))
    required = [e for e in elements(fam.code, identified=identified) if e.required]
    missing = {}
    for case in cases:
        lacking = [
            e.name for e in required if e.required_for(case) and datasets.is_missing(e.value(case))
        ]
        if lacking:
            missing[case.record_id] = lacking
    return Validation(fam, start, end, identified, cases, missing, excluded)


def registry_validation(
    *,
    actor: Actor,
    family: str,
    start: date,
    end: date,
    identified: bool = False,
    secret: str | None = None,
) -> Validation:
    """The validation report before an export: which cases would go, which lack required
    elements (by record), which are left out and why. An identified one needs its own
    permission and logs every patient shown; a de-identified one logs the query."""
    require(actor, "registry.export_identified" if identified else "registry.export")
    result = gather(family=family, start=start, end=end, identified=identified, secret=secret)
    what = f"registry validation: {family} {start:%Y-%m-%d}–{end:%Y-%m-%d}"
    if identified:
        access_log_record(
            actor=actor,
            patient=None,
            what=f"identified {what}",
            shown=[(c.patient_id, f"{c.family_name}, {c.given_name}") for c in result.cases],
        )
    else:
        access_log_record(actor=actor, patient=None, what=f"de-identified {what}", shown=[])
    return result


def csv_bytes(rows: list[dict[str, object]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def validation_csv(result: Validation) -> bytes:
    """One line per case left out: its case reference, and what it lacks."""
    rows: list[dict[str, object]] = []
    for case in result.incomplete:
        rows.append(
            {
                "procedure_record": case.record_id,
                "procedure_date": case.procedure_day.isoformat(),
                "procedure_code": case.procedure_code,
                "missing_required": ";".join(result.missing[case.record_id]),
            }
        )
    return csv_bytes(
        rows, ["procedure_record", "procedure_date", "procedure_code", "missing_required"]
    )


def manifest(result: Validation) -> dict[str, object]:
    return {
        "dataset": f"irflow registry {datasets.DATASET_VERSION}",
        "family": result.family.code,
        "period": [result.start.isoformat(), result.end.isoformat()],
        "identified": result.identified,
        "cases_exported": len(result.included),
        "cases_excluded": dict(result.exclusions()),
        "columns": [e.name for e in elements(result.family.code, identified=result.identified)],
    }


def manifest_json(result: Validation) -> bytes:
    return json.dumps(manifest(result), indent=2, ensure_ascii=False).encode("utf-8")
