"""What every mapper shares: the site's own systems (`Site`), references, codings and times."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from irflow.fhir.systems import UCUM, V2_0203

Resource = dict[str, Any]


@dataclass(frozen=True)
class Site:
    """The site's own identifier and code systems, from the settings (never hard-coded here).

    `system_base` is a URI the site controls; irflow's local code systems (team roles, access
    sites, grade systems…) and identifier systems (accession, placer numbers…) hang under it.
    `issuer_systems` names the identifier system of each patient-identifier issuer (the MRN
    issuer and others); an issuer not listed gets `<system_base>/sid/patient/<issuer>`.
    `base_url` is where the FHIR endpoint is served (absolute links such as a report's PDF)."""

    system_base: str
    mrn_issuer: str
    issuer_systems: Mapping[str, str] = field(default_factory=dict)
    base_url: str = ""
    organization_name: str = "Interventional radiology"
    hospital_name: str = ""
    phone: str = ""
    address: str = ""

    def issuer_system(self, issuer: str) -> str:
        return self.issuer_systems.get(issuer) or f"{self.system_base}/sid/patient/{issuer}"

    def identifier_system(self, name: str) -> str:
        return f"{self.system_base}/sid/{name}"

    def code_system(self, name: str) -> str:
        return f"{self.system_base}/CodeSystem/{name}"

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"


# The department is one Organization; its id is fixed.
ORGANIZATION_ID = "department"


def ref(resource_type: str, resource_id: object, display: str = "") -> dict[str, str]:
    reference = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        reference["display"] = display
    return reference


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return c


def concept(*codings: dict[str, str], text: str = "") -> dict[str, Any]:
    cc: dict[str, Any] = {}
    if codings:
        cc["coding"] = list(codings)
    if text:
        cc["text"] = text
    return cc


def text_concept(text: str) -> dict[str, str]:
    return {"text": text}


def v2_type(code: str, display: str) -> dict[str, Any]:
    return concept(coding(V2_0203, code, display))


def instant(moment: datetime) -> str:
    """An aware datetime as FHIR dateTime / instant (seconds, with its offset)."""
    return moment.isoformat(timespec="seconds")


def day(value: date) -> str:
    return value.isoformat()


def period(start: datetime | None, end: datetime | None) -> dict[str, str]:
    p = {}
    if start is not None:
        p["start"] = instant(start)
    if end is not None:
        p["end"] = instant(end)
    return p


def quantity(value: float | Decimal | int, unit: str, code: str | None = None) -> dict[str, Any]:
    number: float | int = value if isinstance(value, int) else float(value)
    q: dict[str, Any] = {"value": number, "system": UCUM, "code": code or unit}
    if unit:
        q["unit"] = unit
    return q


def meta(updated: datetime | None, *profiles: str) -> dict[str, Any]:
    m: dict[str, Any] = {}
    if updated is not None:
        m["lastUpdated"] = instant(updated)
    if profiles:
        m["profile"] = list(profiles)
    return m


def resource(resource_type: str, resource_id: object, updated: datetime | None, **body) -> Resource:
    """A resource with its type, id and meta first, and no empty elements (FHIR forbids them)."""
    out: Resource = {"resourceType": resource_type, "id": str(resource_id)}
    m = meta(updated)
    if m:
        out["meta"] = m
    out.update(prune(body))
    return out


def prune(value: Any) -> Any:
    """Drop empty strings, lists, dicts and None, recursively (FHIR allows no empty element)."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [prune(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value
