"""Organization: the department (one; its names, address and phone from the letterhead)."""

from __future__ import annotations

from irflow.fhir.base import ORGANIZATION_ID, Resource, Site, coding, concept, resource
from irflow.fhir.systems import ORGANIZATION_TYPE


def organization_resource(site: Site) -> Resource:
    return resource(
        "Organization",
        ORGANIZATION_ID,
        None,
        active=True,
        type=[concept(coding(ORGANIZATION_TYPE, "dept", "Hospital Department"))],
        name=site.organization_name,
        alias=[site.hospital_name] if site.hospital_name else [],
        telecom=[{"system": "phone", "value": site.phone}] if site.phone else [],
        address=[{"text": site.address}] if site.address else [],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "organization_resource": {
        "active": "always true",
        "type": "`dept` (organization-type)",
        "name": "department name (letterhead)",
        "alias": "hospital name (letterhead)",
        "telecom": "department phone (letterhead)",
        "address": "department address (letterhead)",
    },
}
