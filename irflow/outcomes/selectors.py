"""Reads of outcomes: a procedure's or a patient's adverse events, with their grades in words."""

from __future__ import annotations

from dataclasses import dataclass

from irflow.accounts.actors import Actor
from irflow.accounts.permissions import can, require
from irflow.audit.services import access_log_record
from irflow.clinical import grade
from irflow.clinical.grading import FACTS, UNKNOWN
from irflow.lib.errors import NotFound
from irflow.outcomes.models import AdverseEvent
from irflow.patients.models import Patient
from irflow.procedures.models import ProcedureRecord

SIR_TAGS = {
    "mild": "tag-info",
    "moderate": "tag-warn",
    "severe": "tag-bad",
    "life_threatening": "tag-bad",
    "death": "tag-bad",
}


@dataclass(frozen=True)
class EventLine:
    event: AdverseEvent
    sir_label: str
    sir_css: str
    legacy_label: str
    legacy_class: str
    cirse_label: str
    facts: str  # the recorded facts in words; "" for an event recorded before them


def _facts_words(event: AdverseEvent) -> str:
    parts = []
    for fact in FACTS:
        value = getattr(event, fact.name)
        if value and value != UNKNOWN:
            parts.append(f"{fact.short}: {fact.label_of(value).lower()}")
        elif value == UNKNOWN:
            parts.append(f"{fact.short}: not known yet")
    return " · ".join(parts)


def _line(event: AdverseEvent) -> EventLine:
    legacy = grade("sir-legacy", event.legacy_sir_class) if event.legacy_sir_class else None
    return EventLine(
        event=event,
        sir_label=grade("sir-2017", event.sir_grade).label,
        sir_css=SIR_TAGS.get(event.sir_grade, "tag-info"),
        legacy_label=legacy.label if legacy else "",
        legacy_class=(legacy.grade_class or "") if legacy else "",
        cirse_label=grade("cirse-2017", event.cirse_grade).label if event.cirse_grade else "",
        facts=_facts_words(event),
    )


def adverse_events_for_procedure(
    *, actor: Actor, record: ProcedureRecord
) -> list[EventLine] | None:
    """A procedure's adverse events (the caller read the procedure); None if not allowed."""
    if not can(actor, "adverse_event.view"):
        return None
    qs = AdverseEvent.objects.filter(record=record, entered_in_error=False)
    return [_line(e) for e in qs.select_related("recorded_by")]


def adverse_events_for_patient(
    *, actor: Actor, patient_id: int, log: bool = True
) -> list[EventLine]:
    """Every adverse event of one patient, newest first (QI leads read these without the
    rest of the chart)."""

    require(actor, "adverse_event.view")
    patient = Patient.objects.filter(pk=patient_id, is_active=True).first()
    if patient is None:
        raise NotFound("No such patient.")
    if log:
        access_log_record(actor=actor, patient=patient, what="adverse events")
    qs = AdverseEvent.objects.filter(patient_id=patient_id, entered_in_error=False)
    return [_line(e) for e in qs.select_related("recorded_by", "record__order__procedure_type")]


def adverse_events_for_chart(*, actor: Actor, patient_id: int) -> list[EventLine] | None:
    if not can(actor, "adverse_event.view"):
        return None
    return adverse_events_for_patient(actor=actor, patient_id=patient_id, log=False)
