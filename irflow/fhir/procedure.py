"""Procedure: the procedure record — the catalogue's code, the performed period, the team with
their function, the body site and access, the outcome, complications (adverse events), and the
devices implanted or explanted (`focalDevice`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irflow.fhir.appointment import TeamMemberData
from irflow.fhir.base import Resource, Site, coding, concept, period, ref, resource
from irflow.fhir.service_request import ProcedureCode, order_id, procedure_concept
from irflow.fhir.systems import DEVICE_ACTION, SNOMED, SNOMED_OUTCOME

# record status -> http://hl7.org/fhir/R4/valueset-event-status.html
STATUS = {"open": "in-progress", "completed": "completed"}


@dataclass(frozen=True)
class FocalDeviceData:
    device_id: str  # the Device resource's id
    action: str  # implanted | explanted | manipulated
    display: str


@dataclass(frozen=True)
class ComplicationData:
    description: str
    adverse_event_id: int


@dataclass(frozen=True)
class ProcedureData:
    id: int
    patient_id: int
    order_id: int
    booking_id: int
    room_id: int
    status: str
    procedure: ProcedureCode
    category_code: str
    category_label: str
    checked_in_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    site: str = ""
    laterality: str = ""
    access_sites: tuple[tuple[str, str], ...] = ()  # (code, label)
    access_note: str = ""
    technical_success: str = ""
    technical_success_note: str = ""
    clinical_success: str = ""
    findings: str = ""
    team: tuple[TeamMemberData, ...] = ()
    complications: tuple[ComplicationData, ...] = ()
    devices: tuple[FocalDeviceData, ...] = ()
    report_id: int | None = None
    updated_at: datetime | None = None


def _outcome(p: ProcedureData) -> dict | None:
    if p.technical_success not in SNOMED_OUTCOME:
        return None
    code, display = SNOMED_OUTCOME[p.technical_success]
    text = f"Technical success: {display.lower()}"
    if p.technical_success_note:
        text += f" — {p.technical_success_note}"
    return concept(coding(SNOMED, code, display), text=text)


def procedure_resource(p: ProcedureData, site: Site) -> Resource:
    body_sites = []
    target = " ".join(x for x in (p.laterality, p.site) if x)
    if target:
        body_sites.append({"text": target})
    for code, label in p.access_sites:
        if code != "none":
            body_sites.append(
                concept(coding(site.code_system("access-site"), code, label), text=label)
            )
    performers = [
        {
            "function": concept(
                coding(site.code_system("team-role"), m.role, m.role_label), text=m.role_label
            ),
            "actor": ref("Practitioner", m.user_id, m.display),
            "onBehalfOf": ref("Organization", "department"),
        }
        for m in p.team
    ]
    return resource(
        "Procedure",
        p.id,
        p.updated_at,
        identifier=[{"system": site.identifier_system("procedure-record"), "value": str(p.id)}],
        basedOn=[ref("ServiceRequest", order_id(p.order_id))],
        status=STATUS.get(p.status, "unknown"),
        category=concept(
            coding(site.code_system("procedure-category"), p.category_code, p.category_label)
        ),
        code=procedure_concept(site, p.procedure),
        subject=ref("Patient", p.patient_id),
        performedPeriod=period(p.started_at or p.checked_in_at, p.ended_at),
        performer=performers,
        location=ref("Location", p.room_id),
        bodySite=body_sites,
        outcome=_outcome(p),
        report=[ref("DiagnosticReport", p.report_id)] if p.report_id else [],
        complication=[concept(text=c.description) for c in p.complications],
        note=[{"text": p.access_note}] if p.access_note else [],
        focalDevice=[
            {
                "action": concept(coding(DEVICE_ACTION, d.action, d.action.capitalize())),
                "manipulated": ref("Device", d.device_id, d.display),
            }
            for d in p.devices
        ],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "procedure_resource": {
        "identifier": "procedure record number",
        "basedOn": "the order",
        "status": "record status: open → in-progress, completed → completed",
        "category": "catalogue category",
        "code": "catalogue code and name",
        "subject": "the patient",
        "performedPeriod": "started (else checked in) to ended",
        "performer": (
            "the team, `function` the role: primary operator, supervising physician, "
            "assistant, trainee, nurse, technologist, anaesthesia"
        ),
        "location": "the room",
        "bodySite": "laterality and site of the order; each access site",
        "outcome": (
            "technical success: SNOMED 385669000 successful, 385670004 partially, 385671000 "
            "unsuccessful, with the note"
        ),
        "report": "the signed report (DiagnosticReport)",
        "complication": "adverse events of the procedure (description)",
        "note": "access note",
        "focalDevice": (
            "devices implanted (devices used that stay in the patient) and explanted (devices"
            " in situ this procedure removed), `action` from device-action"
        ),
    },
}
