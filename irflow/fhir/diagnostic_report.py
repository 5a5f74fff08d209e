"""DiagnosticReport: a signed procedure report — category Radiology (LOINC LP29684-5), code the
interventional study report (LOINC 47048-4), `final`, or `amended` once a signed addendum
exists; the PDF as `presentedForm` (a link to it, or its bytes)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from irflow.fhir.base import Resource, Site, coding, concept, instant, ref, resource, v2_type
from irflow.fhir.systems import LOINC, LOINC_IR_REPORT, LOINC_RADIOLOGY


@dataclass(frozen=True)
class DiagnosticReportData:
    id: int
    patient_id: int
    procedure_id: int
    order_id: int
    accession_number: str
    procedure_name: str
    signed_at: datetime
    signed_by_id: int
    signed_by: str
    author_id: int
    author: str
    effective: datetime
    conclusion: str = ""
    amended: bool = False  # a signed addendum exists
    amended_at: datetime | None = None
    pdf_url: str = ""  # where the PDF is served, relative to the site
    pdf: bytes | None = None  # or the PDF itself, inline
    updated_at: datetime | None = None


def diagnostic_report_resource(r: DiagnosticReportData, site: Site) -> Resource:
    from irflow.fhir.imaging_study import imaging_study_id
    from irflow.fhir.service_request import order_id

    form: dict = {"contentType": "application/pdf", "title": f"{r.procedure_name} report"}
    if r.pdf is not None:
        form["data"] = base64.b64encode(r.pdf).decode("ascii")
    elif r.pdf_url:
        form["url"] = site.url(r.pdf_url)
    interpreters = [ref("Practitioner", r.signed_by_id, r.signed_by)]
    if r.author_id != r.signed_by_id:
        interpreters.append(ref("Practitioner", r.author_id, r.author))
    return resource(
        "DiagnosticReport",
        r.id,
        r.updated_at,
        identifier=[
            {
                "type": v2_type("ACSN", "Accession ID"),
                "system": site.identifier_system("accession"),
                "value": r.accession_number,
            }
        ],
        basedOn=[ref("ServiceRequest", order_id(r.order_id))],
        status="amended" if r.amended else "final",
        category=[concept(coding(LOINC, *LOINC_RADIOLOGY))],
        code=concept(coding(LOINC, *LOINC_IR_REPORT), text=r.procedure_name),
        subject=ref("Patient", r.patient_id),
        effectiveDateTime=instant(r.effective),
        issued=instant(r.amended_at or r.signed_at),
        performer=[ref("Organization", "department")],
        resultsInterpreter=interpreters,
        imagingStudy=[ref("ImagingStudy", imaging_study_id(r.order_id))],
        conclusion=r.conclusion,
        presentedForm=[form] if len(form) > 2 else [],
    )


# Each element the mapper fills, and where it comes from in irflow (docs/fhir.md).
ELEMENTS: dict[str, dict[str, str]] = {
    "diagnostic_report_resource": {
        "identifier": "accession number (ACSN)",
        "basedOn": "the order",
        "status": "`final`; `amended` once a signed addendum exists",
        "category": "LOINC LP29684-5 Radiology",
        "code": "LOINC 47048-4 Diagnostic interventional study report; text the procedure name",
        "subject": "the patient",
        "effectiveDateTime": "procedure start (else check-in)",
        "issued": "signed at (the last signed addendum's time once amended)",
        "performer": "the department",
        "resultsInterpreter": "the signing physician, and the author when another (a trainee)",
        "imagingStudy": "the study of the order",
        "conclusion": "the impression",
        "presentedForm": (
            "the PDF (`application/pdf`): a link to /reports/<id>/pdf/, absolute under "
            "`IRFLOW_FHIR_BASE_URL`"
        ),
    },
}
