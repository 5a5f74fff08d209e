"""A referral from another system, sent as a FHIR ServiceRequest: what irflow takes from it.

The patient is `subject`: a Patient irflow serves (`Patient/<id>`), or a Patient contained in
the request (`#<id>`) with the MRN (identifier of the site's MRN issuer), name, birth date
and sex — found by MRN or registered, as a referral typed on the form. Every problem names the
element it is in (`ServiceRequest.reasonCode`, `Patient.birthDate`, …)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from irflow.fhir.base import Site

# http://hl7.org/fhir/R4/valueset-request-priority.html -> irflow urgency
URGENCY = {"stat": "emergent", "asap": "emergent", "urgent": "urgent", "routine": "routine"}
SEX = {"female": "F", "male": "M", "other": "O", "unknown": "U"}
INTENTS = frozenset({"proposal", "plan", "order", "original-order"})

MSG_TYPE = "Send a ServiceRequest."
MSG_STATUS = "A referral is sent as “active”."
MSG_INTENT = "intent must be one of: proposal, plan, order, original-order."
MSG_SUBJECT = "Give the patient: Patient/<id>, or #<id> of a Patient contained in the request."
MSG_NO_CONTAINED = "No contained Patient has the id “{id}”."
MSG_QUESTION = "Give the clinical question as reasonCode text."
MSG_PRIORITY = "priority must be one of: routine, urgent, asap, stat."
MSG_MRN = "Give the patient's MRN as an identifier with the system {system}."
MSG_NAME = "Give the family name and a given name."
MSG_BIRTH = "Give the birth date (YYYY-MM-DD)."
MSG_GENDER = "Give the gender: female, male, other or unknown."


class ResourceInvalid(ValueError):
    """The request cannot become a referral; `errors` maps each element to its problem."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ReferralIn:
    clinical_question: str
    urgency: str
    patient_id: int | None = None
    new_patient: dict[str, str] | None = None
    procedure_code: str = ""
    requested_procedure_text: str = ""
    site: str = ""
    relevant_history: str = ""
    referring_clinician: str = ""


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"]).strip()
    for c in concept.get("coding") or []:
        if isinstance(c, dict) and c.get("display"):
            return str(c["display"]).strip()
    return ""


def _contained_patient(sr: dict, ref: str, site: Site, errors: dict[str, str]) -> dict[str, str]:
    wanted = ref.removeprefix("#")
    patient = next(
        (
            c
            for c in sr.get("contained") or []
            if isinstance(c, dict) and c.get("resourceType") == "Patient" and c.get("id") == wanted
        ),
        None,
    )
    if patient is None:
        errors["ServiceRequest.subject"] = MSG_NO_CONTAINED.format(id=wanted)
        return {}
    system = site.issuer_system(site.mrn_issuer)
    mrn = next(
        (
            str(i.get("value", "")).strip()
            for i in patient.get("identifier") or []
            if isinstance(i, dict) and i.get("system") == system
        ),
        "",
    )
    if not mrn:
        errors["Patient.identifier"] = MSG_MRN.format(system=system)
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    family = str(names[0].get("family", "")).strip() if names else ""
    given = " ".join(str(g) for g in names[0].get("given") or []).strip() if names else ""
    if not family or not given:
        errors["Patient.name"] = MSG_NAME
    if not patient.get("birthDate"):
        errors["Patient.birthDate"] = MSG_BIRTH
    if patient.get("gender") not in SEX:
        errors["Patient.gender"] = MSG_GENDER
    return {
        "mrn": mrn,
        "family_name": family,
        "given_name": given,
        "birth_date": str(patient.get("birthDate", "")),
        "sex": SEX.get(str(patient.get("gender")), ""),
    }


def referral_in(sr: dict, site: Site) -> ReferralIn:
    """What irflow takes from a ServiceRequest sent as a referral (structure already checked
    against R4); ResourceInvalid names every element it cannot use."""
    errors: dict[str, str] = {}
    if sr.get("resourceType") != "ServiceRequest":
        raise ResourceInvalid({"resourceType": MSG_TYPE})
    if sr.get("status") != "active":
        errors["ServiceRequest.status"] = MSG_STATUS
    if sr.get("intent") not in INTENTS:
        errors["ServiceRequest.intent"] = MSG_INTENT
    ref = str((sr.get("subject") or {}).get("reference", ""))
    patient_id, new_patient = None, None
    if ref.startswith("Patient/") and ref[8:].isdigit():
        patient_id = int(ref[8:])
    elif ref.startswith("#"):
        new_patient = _contained_patient(sr, ref, site, errors)
    else:
        errors["ServiceRequest.subject"] = MSG_SUBJECT
    question = "\n".join(t for t in (_text(c) for c in sr.get("reasonCode") or []) if t)
    if not question:
        errors["ServiceRequest.reasonCode"] = MSG_QUESTION
    priority = sr.get("priority", "routine")
    if priority not in URGENCY:
        errors["ServiceRequest.priority"] = MSG_PRIORITY
    if errors:
        raise ResourceInvalid(errors)
    code = sr.get("code") or {}
    local = site.code_system("procedure")
    procedure_code = next(
        (
            str(c.get("code", ""))
            for c in code.get("coding") or []
            if isinstance(c, dict) and c.get("system") == local
        ),
        "",
    )
    return ReferralIn(
        clinical_question=question,
        urgency=URGENCY[priority],
        patient_id=patient_id,
        new_patient=new_patient,
        procedure_code=procedure_code,
        requested_procedure_text="" if procedure_code else _text(code),
        site=" ".join(t for t in (_text(b) for b in sr.get("bodySite") or []) if t),
        relevant_history="\n".join(
            str(n.get("text", "")) for n in sr.get("note") or [] if isinstance(n, dict)
        ).strip(),
        referring_clinician=str((sr.get("requester") or {}).get("display", "")).strip(),
    )
