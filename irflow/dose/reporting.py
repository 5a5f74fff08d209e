"""Dose across procedures: the dashboard against site DRLs, and CSV/XLSX exports.

Exports are de-identified unless the reader asks for identities and may see patient
records: names, MRN, dates of birth, accession numbers and UIDs are left out, the patient is
a keyed pseudonym (stable within this installation, so repeat procedures can be grouped),
and age at the procedure replaces the date of birth.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import statistics
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources

from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from irflow.accounts.models import User
from irflow.accounts.permissions import can, require
from irflow.audit.services import access_log_record
from irflow.clinical import drl_for
from irflow.dose.models import RadiationDoseReport
from irflow.dose.policy import site_policy


@cache
def drl_groups() -> dict[str, str]:
    """Catalogue code -> DRL procedure group (data/drl_groups.toml)."""
    text = resources.files("irflow.dose").joinpath("data/drl_groups.toml").read_text()
    return dict(tomllib.loads(text)["groups"])


def _day_range(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, zone),
        datetime.combine(end + timedelta(days=1), time.min, zone),
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Group:
    key: str
    label: str
    values: list[float]
    drl_gy_cm2: float | None = None
    drl_rule: str = ""

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p75(self) -> float:
        return _percentile(self.values, 0.75)

    @property
    def above_drl(self) -> bool:
        # ICRP 135: a facility compares the median of its distribution with the DRL.
        return self.drl_gy_cm2 is not None and self.median > self.drl_gy_cm2


@dataclass
class Dashboard:
    start: date
    end: date
    procedures: int
    by_procedure: list[Group]
    by_room: list[Group]
    by_operator: list[Group]

    def chart_data(self) -> dict:
        def traces(groups: list[Group]) -> list[dict]:
            return [{"name": g.label, "y": g.values} for g in groups]

        return {
            "unit": "Gy·cm²",
            "by_procedure": traces(self.by_procedure),
            "drl": [
                {"name": g.label, "drl": g.drl_gy_cm2}
                for g in self.by_procedure
                if g.drl_gy_cm2 is not None
            ],
            "by_room": traces(self.by_room),
            "by_operator": traces(self.by_operator),
        }


def _per_procedure(start: date, end: date):
    """One row per procedure (order) performed in the range, with its summed counted dose."""
    since, until = _day_range(start, end)
    return list(
        RadiationDoseReport.objects.filter(
            order__isnull=False, performed_at__gte=since, performed_at__lt=until
        )
        .values("order_id")
        .annotate(
            dap=Sum("dap_counted_gy_cm2"),
            ka_r=Sum("ka_r_counted_mgy"),
            code=Max("order__procedure_type__code"),
            name=Max("order__procedure_type__name"),
            room=Max("booking__room__name"),
            operator_id=Max("booking__primary_operator_id"),
        )
        .order_by("order_id")
    )


def dose_dashboard(*, actor: User, start: date, end: date) -> Dashboard:
    """DAP per procedure by procedure type (against its DRL), room and operator."""
    require(actor, "dose.view")
    rows = [r for r in _per_procedure(start, end) if r["dap"] is not None]
    operators = {u.pk: str(u) for u in User.objects.filter(pk__in={r["operator_id"] for r in rows})}
    policy = site_policy()
    mapping = drl_groups()

    def group(key_of, label_of) -> list[Group]:
        groups: dict[str, Group] = {}
        for row in rows:
            key = key_of(row)
            groups.setdefault(key, Group(key=key, label=label_of(row), values=[]))
            groups[key].values.append(round(row["dap"], 3))
        return sorted(groups.values(), key=lambda g: g.label)

    by_procedure = group(lambda r: r["code"], lambda r: r["name"])
    for g in by_procedure:
        drl_group = mapping.get(g.key)
        drl = drl_for(drl_group, policy) if drl_group else None
        if drl is not None:
            g.drl_gy_cm2, g.drl_rule = drl.kap_gy_cm2, drl.rule_id
    access_log_record(actor=actor, patient=None, what=f"dose dashboard {start}–{end}")
    return Dashboard(
        start=start,
        end=end,
        procedures=len(rows),
        by_procedure=by_procedure,
        by_room=group(lambda r: r["room"] or "", lambda r: r["room"] or "No room recorded"),
        by_operator=group(
            lambda r: str(r["operator_id"] or ""),
            lambda r: operators.get(r["operator_id"], "No operator recorded"),
        ),
    )


EXPORT_COLUMNS = [
    "report_id",
    "performed_on",
    "procedure_code",
    "procedure",
    "room",
    "operator",
    "device",
    "station",
    "template",
    "events",
    "dap_total_gy_cm2",
    "ka_r_total_mgy",
    "fluoro_time_total_s",
    "dlp_total_mgy_cm",
    "dap_counted_gy_cm2",
    "ka_r_counted_mgy",
    "link_status",
]
DEIDENTIFIED_COLUMNS = ["patient_key", "age_years", "sex"]
IDENTIFIED_COLUMNS = ["mrn", "patient_name", "birth_date", "sex", "accession_number"]


def _pseudonym(patient_id: int | None) -> str:
    if patient_id is None:
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"patient:{patient_id}".encode(), hashlib.sha256).hexdigest()[:12]


def dose_export_rows(
    *, actor: User, start: date, end: date, identified: bool = False
) -> tuple[list[str], list[list]]:
    """Rows of every dose report performed in the range; identities only when asked for
    and the reader may see patient records."""
    require(actor, "dose.export")
    identified = identified and can(actor, "patient.view")
    since, until = _day_range(start, end)
    reports = (
        RadiationDoseReport.objects.filter(performed_at__gte=since, performed_at__lt=until)
        .select_related(
            "order__procedure_type", "booking__room", "booking__primary_operator", "patient"
        )
        .prefetch_related("patient__identifiers")
        .order_by("performed_at", "pk")
    )
    columns = EXPORT_COLUMNS + (IDENTIFIED_COLUMNS if identified else DEIDENTIFIED_COLUMNS)
    rows = []
    for r in reports:
        performed = timezone.localtime(r.performed_at).date()
        row = [
            r.pk,
            performed.isoformat(),
            r.order.procedure_type.code if r.order else "",
            r.order.procedure_type.name if r.order else "",
            r.booking.room.name if r.booking else "",
            str(r.booking.primary_operator) if r.booking and r.booking.primary_operator else "",
            f"{r.manufacturer} {r.model_name}".strip(),
            r.station_name,
            r.template,
            r.event_count,
            r.dap_total_gy_cm2,
            r.ka_r_total_mgy,
            r.fluoro_time_total_s,
            r.dlp_total_mgy_cm,
            r.dap_counted_gy_cm2,
            r.ka_r_counted_mgy,
            r.link_status,
        ]
        patient = r.patient
        if identified:
            row += [
                patient.mrn if patient else r.dicom_patient_id,
                str(patient) if patient else r.dicom_patient_name,
                patient.birth_date.isoformat() if patient else r.dicom_patient_birth_date,
                patient.sex if patient else r.dicom_patient_sex,
                r.order.accession_number if r.order else r.accession_number,
            ]
        else:
            row += [
                _pseudonym(r.patient_id),
                patient.age_on(performed) if patient else "",
                patient.sex if patient else r.dicom_patient_sex,
            ]
        rows.append(row)
    access_log_record(
        actor=actor,
        patient=None,
        what=f"dose export {start}–{end} ({len(rows)}, "
        f"{'identified' if identified else 'de-identified'})",
        shown=[r.patient for r in reports],
    )
    return columns, rows


def _cell(value):
    """Text from a modality (protocol, station names) must not become a spreadsheet formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(columns: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


def as_xlsx(columns: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Dose")
    sheet.append(columns)
    for row in rows:
        sheet.append([_cell(v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
