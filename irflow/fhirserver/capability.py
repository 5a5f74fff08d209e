"""The CapabilityStatement (`/fhir/metadata`), generated from the sources: what irflow serves is
what the code can do, never a hand-kept list."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from django.conf import settings
from django.utils import timezone

from irflow.fhir.base import Resource
from irflow.fhirserver.gather import RESOURCE_TYPES, sources_of

FHIR_VERSION = "4.0.1"
# Types irflow takes by `create` (irflow.fhirserver.services).
CREATE = frozenset({"ServiceRequest"})
PARAMETER_DOCS = {
    "_id": ("token", "The resource's id"),
    "_lastUpdated": ("date", "When the resource last changed (prefixes eq, ne, ge, le, gt, lt)"),
    "patient": ("reference", "The patient the resource is about (Patient/<id> or <id>)"),
    "subject": ("reference", "Same as patient"),
    "identifier": ("token", "An identifier, as system|value or value"),
    "date": ("date", "The resource's main date (prefixes eq, ne, ge, le, gt, lt)"),
    "status": ("token", "The resource's status (comma-separated: any of them)"),
    "code": ("token", "A code, as system|code or code (comma-separated: any of them)"),
}


def _version() -> str:
    try:
        return version("irflow")
    except PackageNotFoundError:
        return "unknown"


def search_parameters(resource_type: str) -> list[str]:
    """The search parameters irflow supports for `resource_type`, in a stable order."""
    sources = sources_of(resource_type)
    names = ["_id"]
    if any(s.updated for s in sources):
        names.append("_lastUpdated")
    if any(s.patient not in (None, "pk") for s in sources):
        names += ["patient", "subject"]
    if any(s.identifier for s in sources):
        names.append("identifier")
    if any(s.date for s in sources):
        names.append("date")
    if any(s.status for s in sources):
        names.append("status")
    if any(s.code for s in sources):
        names.append("code")
    return names


def includes(resource_type: str) -> list[str]:
    if any(s.patient not in (None, "pk") for s in sources_of(resource_type)):
        return [f"{resource_type}:patient", f"{resource_type}:subject"]
    return []


# FHIR Bulk Data Access IG v2 (irflow.fhirserver.export).
SYSTEM_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
PATIENT_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"


def capability_statement(base_url: str) -> Resource:
    resources = []
    for resource_type in sorted(RESOURCE_TYPES):
        resources.append(
            {
                "type": resource_type,
                "interaction": [{"code": "read"}, {"code": "search-type"}]
                + ([{"code": "create"}] if resource_type in CREATE else []),
                "searchInclude": includes(resource_type),
                "searchParam": [
                    {
                        "name": name,
                        "type": PARAMETER_DOCS[name][0],
                        "documentation": PARAMETER_DOCS[name][1],
                    }
                    for name in search_parameters(resource_type)
                ],
            }
        )
        if not resources[-1]["searchInclude"]:
            del resources[-1]["searchInclude"]
        if resource_type == "Patient":
            resources[-1]["operation"] = [{"name": "export", "definition": PATIENT_EXPORT}]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": settings.IRFLOW_SITE_NAME,
        "kind": "instance",
        "software": {"name": "irflow", "version": _version()},
        "implementation": {"description": "irflow FHIR R4 endpoint", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read and search; _count pages the searchset (next links). "
                "A ServiceRequest created here is a referral: it lands in triage. "
                "Bulk Data $export (system and Patient level; docs/fhir.md).",
                "security": {
                    "cors": False,
                    "description": "A signed-in session, or an API token as "
                    "'Authorization: Bearer <token>'; the permission matrix of the REST API.",
                },
                "resource": resources,
                "operation": [{"name": "export", "definition": SYSTEM_EXPORT}],
            }
        ],
    }
