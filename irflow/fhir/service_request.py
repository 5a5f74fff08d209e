"""ServiceRequest: a referral (the referrer asks IR; id `referral-<n>`) and an order (what IR
will do; id `order-<n>`, based on its referral). Priority from the urgency, status from the
referral's or order's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irflow.fhir.base import Resource, Site, coding, concept, instant, ref, resource, v2_type

# irflow urgency -> http://hl7.org/fhir/R4/valueset-request-priority.html
PRIORITY = {"emergent": "stat", "urgent": "urgent", "routine": "routine"}
# referral status -> http://hl7.org/fhir/R4/valueset-request-status.html
REFERRAL_STATUS = {
    "received": "active",
    "accepted": "active",
    "more_info": "on-hold",
    "board": "active",
    "clinic": "active",
    "ordered": "active",
    "scheduled": "active",
    "done": "completed",
    "declined": "revoked",
    "cancelled": "revoked",
}
ORDER_STATUS = {
    "ordered": "active",
    "scheduled": "active",
    "in_progress": "active",
    "completed": "completed",
    "discontinued": "on-hold",
    "cancelled": "revoked",
}


def referral_id(pk: int) -> str:
    return f"referral-{pk}"


def order_id(pk: int) -> str:
    return f"order-{pk}"


@dataclass(frozen=True)
class ProcedureCode:
    """A catalogue entry: the local code and its name."""

    code: str
    name: str


def procedure_concept(site: Site, code: ProcedureCode | None, text: str = "") -> dict:
    if code is None:
        return concept(text=text)
    return concept(coding(site.code_system("procedure"), code.code, code.name), text=code.name)


@dataclass(frozen=True)
class ReferralData:
    id: int
    patient_id: int
    status: str
    status_label: str
    urgency: str
    received_at: datetime
    referrer_id: int
    referring_clinician: str
    clinical_question: str
    procedure: ProcedureCode | None = None
    requested_procedure_text: str = ""
    site: str = ""
    laterality: str = ""
    relevant_history: str = ""
    updated_at: datetime | None = None


def referral_resource(r: ReferralData, site: Site) -> Resource:
    body_site = " ".join(x for x in (r.laterality, r.site) if x)
    return resource(
        "ServiceRequest",
        referral_id(r.id),
        r.updated_at,
        identifier=[{"system": site.identifier_system("referral"), "value": str(r.id)}],
        status=REFERRAL_STATUS.get(r.status, "unknown"),
        intent="proposal",
        category=[concept(coding(site.code_system("request-kind"), "referral", "Referral"))],
        priority=PRIORITY.get(r.urgency, "routine"),
        code=procedure_concept(site, r.procedure, r.requested_procedure_text),
        subject=ref("Patient", r.patient_id),
        authoredOn=instant(r.received_at),
        requester=ref("Practitioner", r.referrer_id, r.referring_clinician),
        performer=[ref("Organization", "department")],
        reasonCode=[{"text": r.clinical_question}],
        bodySite=[{"text": body_site}] if body_site else [],
        # Where the referral stands in irflow's own words (triage, the board, …).
        note=[{"text": f"irflow: {r.status_label}"}]
        + ([{"text": r.relevant_history}] if r.relevant_history else []),
    )


@dataclass(frozen=True)
class OrderData:
    id: int
    patient_id: int
    status: str
    priority: str
    procedure: ProcedureCode
    accession_number: str
    requested_procedure_id: str
    created_at: datetime
    placer_order_number: str = ""
    clinical_indication: str = ""
    site: str = ""
    laterality: str = ""
    referral_id: int | None = None
    requester_id: int | None = None
    updated_at: datetime | None = None


def order_resource(o: OrderData, site: Site) -> Resource:
    identifiers = [
        {
            "type": v2_type("ACSN", "Accession ID"),
            "system": site.identifier_system("accession"),
            "value": o.accession_number,
        },
        {
            "type": v2_type("FILL", "Filler Identifier"),
            "system": site.identifier_system("requested-procedure"),
            "value": o.requested_procedure_id,
        },
    ]
    if o.placer_order_number:
        identifiers.append(
            {
                "type": v2_type("PLAC", "Placer Identifier"),
                "system": site.identifier_system("placer-order"),
                "value": o.placer_order_number,
            }
        )
    body_site = " ".join(x for x in (o.laterality, o.site) if x)
    return resource(
        "ServiceRequest",
        order_id(o.id),
        o.updated_at,
        identifier=identifiers,
        basedOn=[ref("ServiceRequest", referral_id(o.referral_id))] if o.referral_id else [],
        requisition={"system": site.identifier_system("accession"), "value": o.accession_number},
        status=ORDER_STATUS.get(o.status, "unknown"),
        intent="order",
        category=[concept(coding(site.code_system("request-kind"), "order", "Order"))],
        priority=PRIORITY.get(o.priority, "routine"),
        code=procedure_concept(site, o.procedure),
        subject=ref("Patient", o.patient_id),
        authoredOn=instant(o.created_at),
        requester=ref("Practitioner", o.requester_id) if o.requester_id else None,
        performer=[ref("Organization", "department")],
        reasonCode=[{"text": o.clinical_indication}] if o.clinical_indication else [],
        bodySite=[{"text": body_site}] if body_site else [],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "referral_resource": {
        "identifier": "referral number",
        "status": (
            "referral status: received, accepted, board, clinic, ordered, scheduled → active;"
            " more information → on-hold; done → completed; declined, cancelled → revoked"
        ),
        "intent": "`proposal`",
        "category": "`referral`",
        "priority": "urgency: emergent → stat, urgent → urgent, routine → routine",
        "code": "requested procedure (catalogue code) or the referrer's words",
        "subject": "the patient",
        "authoredOn": "received at",
        "requester": "the referrer (Practitioner) and the referring clinician's name",
        "performer": "the department",
        "reasonCode": "clinical question",
        "bodySite": "laterality and site",
        "note": "irflow's status in words; relevant history",
    },
    "order_resource": {
        "identifier": (
            "accession number (ACSN), requested procedure ID (FILL), placer order number (PLAC)"
        ),
        "basedOn": "the referral it came from",
        "requisition": "accession number",
        "status": (
            "order status: ordered, scheduled, in progress → active; completed → completed; "
            "discontinued → on-hold; cancelled → revoked"
        ),
        "intent": "`order`",
        "category": "`order`",
        "priority": "priority: emergent → stat, urgent → urgent, routine → routine",
        "code": "procedure (catalogue code and name)",
        "subject": "the patient",
        "authoredOn": "created at",
        "requester": "who created the order",
        "performer": "the department",
        "reasonCode": "clinical indication",
        "bodySite": "laterality and site",
    },
}
