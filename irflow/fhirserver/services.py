"""Writes through FHIR: a referral from another system, sent as a ServiceRequest, lands in
triage as any referral does (irflow.referrals.services.referral_create: the same permission,
the same checks, the patient found by MRN or registered)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from irflow.accounts.actors import Actor
from irflow.catalogue.models import ProcedureType
from irflow.fhir.base import Resource
from irflow.fhir.referral_in import ResourceInvalid, referral_in
from irflow.fhir.service_request import referral_resource
from irflow.fhirserver.gather import fhir_site, referral_data
from irflow.lib.errors import NotFound, ValidationFailed
from irflow.referrals.services import referral_create

MSG_UNKNOWN_PROCEDURE = "No procedure in use in the catalogue has the code “{code}”."
# referral_create's fields -> the element of the request they came from
ELEMENT = {
    "clinical_question": "ServiceRequest.reasonCode",
    "urgency": "ServiceRequest.priority",
    "procedure_type": "ServiceRequest.code",
    "requested_procedure_text": "ServiceRequest.code",
    "laterality": "ServiceRequest.bodySite",
    "site": "ServiceRequest.bodySite",
    "patient": "ServiceRequest.subject",
    "patient_id": "ServiceRequest.subject",
    "mrn": "Patient.identifier",
    "family_name": "Patient.name",
    "given_name": "Patient.name",
    "birth_date": "Patient.birthDate",
    "sex": "Patient.gender",
}


class StructureInvalid(ValidationFailed):
    """The body is not a valid R4 ServiceRequest (400, not 422)."""

    status_code = 400
    code = "structure"


def _structure(body: Any) -> None:
    if not isinstance(body, dict) or body.get("resourceType") != "ServiceRequest":
        raise StructureInvalid({"resourceType": "Send a ServiceRequest resource (JSON object)."})
    try:
        ServiceRequest.model_validate(body)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
            errors.setdefault(f"ServiceRequest.{where}" if where else "ServiceRequest", []).append(
                error["msg"]
            )
        raise StructureInvalid(errors) from exc


def fhir_referral_create(*, actor: Actor, body: Any) -> Resource:
    """Take a referral sent as a FHIR ServiceRequest; the referral as irflow now serves it."""
    _structure(body)
    site = fhir_site()
    try:
        wanted = referral_in(body, site)
    except ResourceInvalid as exc:
        raise ValidationFailed(exc.errors) from exc
    procedure = None
    if wanted.procedure_code:
        procedure = ProcedureType.objects.filter(code=wanted.procedure_code, active=True).first()
        if procedure is None:
            raise ValidationFailed(
                {"ServiceRequest.code": MSG_UNKNOWN_PROCEDURE.format(code=wanted.procedure_code)}
            )
    try:
        referral = referral_create(
            actor=actor,
            clinical_question=wanted.clinical_question,
            urgency=wanted.urgency,
            patient_id=wanted.patient_id,
            new_patient=wanted.new_patient,
            procedure_type=procedure,
            requested_procedure_text=wanted.requested_procedure_text,
            site=wanted.site,
            relevant_history=wanted.relevant_history,
            referring_clinician=wanted.referring_clinician,
        )
    except NotFound as exc:  # a Patient/<id> the sender may not see, or none
        raise ValidationFailed({"ServiceRequest.subject": exc.message}) from exc
    except ValidationFailed as exc:
        errors: dict[str, list[str]] = {}
        for name, messages in exc.errors.items():
            errors.setdefault(ELEMENT.get(name, f"ServiceRequest ({name})"), []).extend(messages)
        raise ValidationFailed(errors) from exc
    return referral_resource(referral_data(referral), site)
