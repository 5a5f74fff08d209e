"""Patient: identifiers with their systems, name, sex, birth date, contact, language; a merged
record links to the record it was merged into (`replaced-by`), the survivor back (`replaces`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from irflow.fhir.base import Resource, Site, coding, concept, day, ref, resource, v2_type
from irflow.fhir.systems import BCP47

GENDER = {"F": "female", "M": "male", "O": "other", "U": "unknown"}
# irflow's identifier kinds -> HL7 v2 table 0203
IDENTIFIER_TYPE = {
    "MR": ("MR", "Medical record number"),
    "NI": ("NI", "National unique individual identifier"),
}


@dataclass(frozen=True)
class PatientIdentifierData:
    kind: str
    issuer: str
    value: str


@dataclass(frozen=True)
class PatientData:
    id: int
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    active: bool
    updated_at: datetime | None = None
    identifiers: tuple[PatientIdentifierData, ...] = ()
    phone: str = ""
    address: str = ""
    language: str = ""
    merged_into_id: int | None = None
    merged_from_ids: tuple[int, ...] = field(default=())


def patient_resource(p: PatientData, site: Site) -> Resource:
    identifiers = []
    for ident in p.identifiers:
        item: dict = {"system": site.issuer_system(ident.issuer), "value": ident.value}
        if ident.kind in IDENTIFIER_TYPE:
            item["type"] = v2_type(*IDENTIFIER_TYPE[ident.kind])
        if ident.kind == "MR" and ident.issuer == site.mrn_issuer:
            item["use"] = "usual"
        identifiers.append(item)
    links = []
    if p.merged_into_id is not None:
        links.append({"other": ref("Patient", p.merged_into_id), "type": "replaced-by"})
    links += [{"other": ref("Patient", source), "type": "replaces"} for source in p.merged_from_ids]
    return resource(
        "Patient",
        p.id,
        p.updated_at,
        identifier=identifiers,
        active=p.active,
        name=[{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        telecom=[{"system": "phone", "value": p.phone}] if p.phone else [],
        gender=GENDER.get(p.sex, "unknown"),
        birthDate=day(p.birth_date),
        address=[{"text": p.address}] if p.address else [],
        communication=[{"language": concept(coding(BCP47, p.language))}] if p.language else [],
        link=links,
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "patient_resource": {
        "identifier": (
            "every identifier of the patient: system from the issuer (site setting), type MR "
            "/ NI (v2-0203); the MRN of `IRFLOW_MRN_ISSUER` has use `usual`"
        ),
        "active": "`is_active` (a merged duplicate is inactive)",
        "name": "family and given name (official)",
        "telecom": "phone",
        "gender": "sex: F female, M male, O other, U unknown",
        "birthDate": "date of birth",
        "address": "address (as text)",
        "communication": "preferred language (BCP 47)",
        "link": (
            "merged duplicate → `replaced-by` the surviving record; the survivor → `replaces`"
            " each duplicate"
        ),
    },
}
