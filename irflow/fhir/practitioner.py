"""Practitioner (a person on the staff or a referring clinician) and PractitionerRole (their
role in the department, their specialty)."""

from __future__ import annotations

from dataclasses import dataclass

from irflow.fhir.base import ORGANIZATION_ID, Resource, Site, coding, concept, ref, resource


@dataclass(frozen=True)
class PractitionerData:
    id: int
    username: str
    display_name: str
    family_name: str
    given_name: str
    role: str
    role_label: str
    active: bool
    registration_number: str = ""
    specialty: str = ""
    qualification: str = ""


def practitioner_resource(p: PractitionerData, site: Site) -> Resource:
    name: dict = {"text": p.display_name or f"{p.given_name} {p.family_name}".strip() or p.username}
    if p.family_name:
        name["family"] = p.family_name
    if p.given_name:
        name["given"] = [p.given_name]
    identifiers = [{"system": site.identifier_system("user"), "value": p.username}]
    if p.registration_number:
        identifiers.append(
            {"system": site.identifier_system("registration"), "value": p.registration_number}
        )
    return resource(
        "Practitioner",
        p.id,
        None,
        identifier=identifiers,
        active=p.active,
        name=[name],
        qualification=[{"code": {"text": p.qualification}}] if p.qualification else [],
    )


def practitioner_role_resource(p: PractitionerData, site: Site) -> Resource:
    return resource(
        "PractitionerRole",
        p.id,
        None,
        active=p.active,
        practitioner=ref("Practitioner", p.id, p.display_name),
        organization=ref("Organization", ORGANIZATION_ID),
        code=[concept(coding(site.code_system("role"), p.role, p.role_label), text=p.role_label)],
        specialty=[{"text": p.specialty}] if p.specialty else [],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "practitioner_resource": {
        "identifier": "username; professional registration number (staff profile)",
        "active": "the account is active",
        "name": "display name, family and given name",
        "qualification": "degree (staff profile)",
    },
    "practitioner_role_resource": {
        "active": "the account is active",
        "practitioner": "the Practitioner (same id)",
        "organization": "the department",
        "code": "role (physician, trainee, nurse, technologist, scheduler, referrer, QI lead)",
        "specialty": "specialty (staff profile)",
    },
}
