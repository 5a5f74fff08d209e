"""The patient chart's procedure cards, which draw on the records, their reports and their
adverse events: `{% include "dayofcase/_chart.html" %}` (the chart is the patients app's page;
this layer composes the record apps for it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from irflow.accounts.permissions import can
from irflow.outcomes.selectors import adverse_events_for_chart
from irflow.procedures.selectors import procedures_for_patient
from irflow.reports.selectors import reports_for_patient

register = template.Library()


@dataclass
class ChartProcedures:
    records: list[dict[str, Any]]
    reports: list[Any]
    adverse_events: list[Any] | None


@register.simple_tag(takes_context=True)
def patient_procedures(context, patient) -> ChartProcedures | None:
    """The reader's view of a patient's procedures, reports and adverse events (None when
    they may see none of them; referrers see final reports only)."""
    user = context["request"].user
    if not (can(user, "procedure.view") or can(user, "report.view")):
        return None
    reports = reports_for_patient(actor=user, patient_id=patient.pk)
    records = []
    if can(user, "procedure.view"):
        by_record = {r.record_id: r for r in reports}
        records = [
            {"record": r, "report": by_record.get(r.pk)}
            for r in procedures_for_patient(actor=user, patient_id=patient.pk)
        ]
    return ChartProcedures(
        records=records,
        reports=reports,
        adverse_events=adverse_events_for_chart(actor=user, patient_id=patient.pk),
    )
