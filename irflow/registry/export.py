"""The registry export files: the family's CSV, the same cases as FHIR R4 (ndjson: a Patient
and a Procedure per case, from irflow.fhir's Procedure mapping), the validation report of the
cases left out, and a manifest saying what was exported and how many cases were excluded and
why — in one ZIP archive. The export writes the access log."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, time

from django.utils import timezone

from irflow.accounts.actors import Actor
from irflow.audit.services import access_log_record
from irflow.fhir.base import Resource, Site, resource
from irflow.fhir.patient import GENDER
from irflow.fhir.procedure import ProcedureData, procedure_resource
from irflow.fhir.service_request import ProcedureCode
from irflow.fhir.systems import UCUM
from irflow.fhirserver.gather import fhir_site
from irflow.registry.datasets import Case, elements
from irflow.registry.selectors import (
    Validation,
    csv_bytes,
    manifest_json,
    registry_validation,
    validation_csv,
)

# The extensions the FHIR file uses, each at IRFLOW_FHIR_SYSTEM_BASE/StructureDefinition/<name>
# (docs/registry.md); the file's references all point inside it.
EXTENSIONS = {
    "age-at-procedure": "the age on the day of the procedure (valueAge)",
    "registry-family": "the registry family the case was exported in (valueCode)",
}


def extension_url(site: Site, name: str) -> str:
    return f"{site.system_base}/StructureDefinition/{name}"


def age_at_procedure(born: date, day: date) -> dict | None:
    """The age on the day of the procedure as a FHIR Age: in whole years, in months under a
    year, in days under a month — an Age's value is positive (FHIR invariant age-1), so there
    is none on the day of birth."""
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    months = (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)
    for value, unit in ((years, "a"), (months, "mo"), ((day - born).days, "d")):
        if value >= 1:
            return {"value": value, "unit": unit, "system": UCUM, "code": unit}
    return None


def _procedure(case: Case, result: Validation, site: Site) -> Resource:
    """The case as a FHIR Procedure that names nothing but the hashed patient key: irflow's
    mapping, then every reference and free text that could lead back to the patient removed."""
    fam = result.family
    day = datetime.combine(case.procedure_day, time.min, tzinfo=timezone.get_current_timezone())
    data = ProcedureData(
        id=case.record_id,
        patient_id=0,
        order_id=0,
        booking_id=0,
        room_id=0,
        status="completed",
        procedure=ProcedureCode(case.procedure_code, case.procedure_name),
        category_code=fam.code,
        category_label=fam.label,
        checked_in_at=day,
        site=case.body_site,
        laterality=case.laterality,
        technical_success=case.technical_success,
    )
    res = procedure_resource(data, site)
    for key in ("meta", "identifier", "basedOn", "location", "performer", "report", "note"):
        res.pop(key, None)
    res.pop("performedPeriod", None)
    res["id"] = case.extra["case_key"]
    res["subject"] = {"reference": f"Patient/{case.patient_key}"}
    res["performedDateTime"] = case.procedure_day.isoformat()
    age = age_at_procedure(case.birth_date, case.procedure_day)
    res["extension"] = [
        *([{"url": extension_url(site, "age-at-procedure"), "valueAge": age}] if age else []),
        {"url": extension_url(site, "registry-family"), "valueCode": fam.code},
    ]
    return res


def _patient(case: Case, identified: bool, site: Site) -> Resource:
    body: dict = {"gender": GENDER.get(case.sex, "unknown")}
    if identified:
        body["name"] = [{"family": case.family_name, "given": [case.given_name]}]
        body["birthDate"] = case.birth_date.isoformat()
        if case.mrn:
            body["identifier"] = [
                {"system": site.issuer_system(site.mrn_issuer), "value": case.mrn}
            ]
    return resource("Patient", case.patient_key, None, **body)


def fhir_ndjson(result: Validation) -> bytes:
    site = fhir_site()
    lines = []
    seen: set[str] = set()
    for case in result.included:
        if case.patient_key not in seen:
            seen.add(case.patient_key)
            lines.append(_patient(case, result.identified, site))
        lines.append(_procedure(case, result, site))
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in lines)


def archive_name(result: Validation) -> str:
    kind = "identified" if result.identified else "deidentified"
    return f"registry-{result.family.code}-{result.start:%Y%m%d}-{result.end:%Y%m%d}-{kind}"


def registry_export(
    *,
    actor: Actor,
    family: str,
    start: date,
    end: date,
    identified: bool = False,
    secret: str | None = None,
) -> tuple[str, bytes]:
    """The export archive's file name and bytes (permission checked and the read logged by
    the validation; the export itself logged once more, naming what left irflow)."""
    result = registry_validation(
        actor=actor, family=family, start=start, end=end, identified=identified, secret=secret
    )
    name = archive_name(result)
    columns = [e.name for e in elements(result.family.code, identified=identified)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}/{result.family.code}.csv", csv_bytes(result.rows(), columns))
        z.writestr(f"{name}/{result.family.code}.ndjson", fhir_ndjson(result))
        z.writestr(f"{name}/excluded.csv", validation_csv(result))
        z.writestr(f"{name}/manifest.json", manifest_json(result))
    what = f"registry export {name}: {len(result.included)} cases"
    if identified:
        access_log_record(
            actor=actor,
            patient=None,
            what=what,
            shown=[(c.patient_id, f"{c.family_name}, {c.given_name}") for c in result.included],
        )
    else:
        access_log_record(actor=actor, patient=None, what=what, shown=[])
    return f"{name}.zip", buffer.getvalue()
