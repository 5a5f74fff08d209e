"""Reads of reports. Referring clinicians read only FINAL reports of patients in their care."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from irflow.accounts.permissions import OWN, can, require
from irflow.audit.services import access_log_record
from irflow.lib.errors import NotFound
from irflow.reports import structure
from irflow.reports.models import Report, ReportStatus

MSG_REPORT_NOT_FOUND = "No such report, or you may not see it."


def reports_visible(*, actor, action: str = "report.view") -> QuerySet[Report]:
    """Reports `actor` may read: all, or the final reports of their own patients (referrers)."""
    scope = require(actor, action)
    qs = Report.objects.filter(record__patient__is_active=True)
    if scope is OWN:
        qs = qs.filter(status=ReportStatus.FINAL, record__patient__care_relations__clinician=actor)
    return qs.select_related(
        "record__order__procedure_type",
        "record__patient",
        "record__booking__room",
        "author",
        "signed_by",
        "returned_by",
    )


def report_get(
    *, actor, report_id: int, action: str = "report.view", what: str = "report"
) -> Report:
    """One report, if `actor` may read (or act on) it; the read is access-logged."""
    report = reports_visible(actor=actor, action=action).filter(pk=report_id).first()
    if report is None:
        raise NotFound(MSG_REPORT_NOT_FOUND)
    access_log_record(actor=actor, patient=report.record.patient, what=f"{what} {report.pk}")
    return report


@dataclass(frozen=True)
class FieldLine:
    key: str
    label: str
    value: Any
    display: str
    spec: dict


@dataclass(frozen=True)
class SectionLine:
    key: str
    label: str
    text: str
    required: bool


@dataclass
class ReportView:
    report: Report
    fields: list[FieldLine]
    sections: list[SectionLine]
    addenda: list[Any]

    @property
    def signed_addenda(self) -> list[Any]:
        return [a for a in self.addenda if a.is_signed]


def report_view(report: Report) -> ReportView:
    """The report laid out by its template: fields then sections, and its addenda."""
    spec = structure.normalised(report.template)
    fields = [
        FieldLine(
            key=f["key"],
            label=f["label"],
            value=report.fields.get(f["key"], ""),
            display=structure.display_value(f, report.fields.get(f["key"], "")),
            spec=f,
        )
        for f in spec["fields"]
    ]
    sections = [
        SectionLine(
            key=s["key"],
            label=s["label"],
            text=report.sections.get(s["key"], ""),
            required=bool(s.get("required")),
        )
        for s in spec["sections"]
    ]
    addenda = list(report.addenda.select_related("author", "signed_by"))
    return ReportView(report=report, fields=fields, sections=sections, addenda=addenda)


def report_for_procedure(*, actor, record) -> Report | None:
    """The report of a procedure the caller may see, or None (none yet, or not readable)."""
    if not can(actor, "report.view"):
        return None
    return reports_visible(actor=actor).filter(record=record).first()


def reports_for_patient(*, actor, patient_id: int) -> list[Report]:
    """The chart's list of a patient's reports (the chart logged the read)."""
    if not can(actor, "report.view"):
        return []
    return list(
        reports_visible(actor=actor)
        .filter(record__patient_id=patient_id)
        .order_by("-record__checked_in_at")
    )
