"""Reports over REST: thin handlers over reports.services and reports.selectors.

A final report answers 409 to any attempt to change it; corrections are addenda.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from irflow.lib.apischema import if_match_version, perm
from irflow.lib.versions import etag
from irflow.reports import selectors, services

router = Router()
API_PREFIX = "/reports"
API_TAGS = ["reports"]


class AddendumOut(Schema):
    id: int
    text: str
    author: str
    created_at: datetime
    signed_by: str
    signed_at: datetime | None

    @staticmethod
    def resolve_author(obj) -> str:
        return str(obj.author)

    @staticmethod
    def resolve_signed_by(obj) -> str:
        return str(obj.signed_by) if obj.signed_by_id else ""


class ReportOut(Schema):
    id: int
    procedure_id: int
    patient_id: int
    procedure_code: str
    status: str
    template: dict[str, Any]
    fields: dict[str, Any]
    sections: dict[str, str]
    author: str
    signed_by: str
    signed_at: datetime | None
    cosigned: bool
    content_sha256: str
    return_reason: str
    returned_by: str
    returned_at: datetime | None
    addenda: list[AddendumOut]
    version: int = Field(description="Grows by one on every change; the ETag carries it.")

    @staticmethod
    def resolve_procedure_id(obj) -> int:
        return obj.record_id

    @staticmethod
    def resolve_patient_id(obj) -> int:
        return obj.record.patient_id

    @staticmethod
    def resolve_procedure_code(obj) -> str:
        return obj.record.order.procedure_type.code

    @staticmethod
    def resolve_author(obj) -> str:
        return str(obj.author)

    @staticmethod
    def resolve_signed_by(obj) -> str:
        return str(obj.signed_by) if obj.signed_by_id else ""

    @staticmethod
    def resolve_returned_by(obj) -> str:
        return str(obj.returned_by) if obj.returned_by_id else ""

    @staticmethod
    def resolve_addenda(obj) -> list:
        # The addenda the caller may read (referrers: signed ones), fetched by the selector.
        return list(obj.addenda.all())


class StartIn(Schema):
    procedure_id: int


class ReportPatch(Schema):
    fields: dict[str, Any] | None = None
    sections: dict[str, str] | None = None


class AddendumIn(Schema):
    text: str = Field(min_length=1, max_length=10000)
    sign: bool = False


def _report(request, report_id: int):
    return selectors.report_get(actor=request.auth, report_id=report_id)


@router.post("", response={201: ReportOut}, openapi_extra=perm("report.draft", errors=(404,)))
def report_start(request, payload: StartIn):
    """Start the report of a procedure from its catalogue template (returns an existing one)."""
    report = services.report_start(actor=request.auth, procedure_id=payload.procedure_id)
    return Status(201, report)


@router.get(
    "/{report_id}",
    response=ReportOut,
    openapi_extra=perm("report.view", etag="the report's version"),
)
def report_get(request, report_id: int, response: HttpResponse):
    """A report; referring clinicians see final reports of their own patients only. The
    `ETag` header is the report's version (send it back as `If-Match` with a PATCH)."""
    report = _report(request, report_id)
    response["ETag"] = etag(report)
    return report


@router.patch(
    "/{draft_report_id}/content",
    response=ReportOut,
    openapi_extra=perm("report.draft", if_match=True),
)
def report_update(request, draft_report_id: int, payload: ReportPatch, response: HttpResponse):
    """Change a draft (409 once the report is final). With `If-Match: "<version>"` a draft
    changed since is refused with 412; without it only the fields and sections sent are
    replaced, so a concurrent change of others is kept."""
    report = services.report_update(
        actor=request.auth,
        report_id=draft_report_id,
        fields=payload.fields,
        sections=payload.sections,
        expected_version=if_match_version(request),
    )
    response["ETag"] = etag(report)
    return report


@router.post("/{draft_report_id}/submit", response=ReportOut, openapi_extra=perm("report.draft"))
def report_submit(request, draft_report_id: int):
    """Send a draft for co-signature."""
    return services.report_submit(actor=request.auth, report_id=draft_report_id)


@router.post("/{draft_report_id}/sign", response=ReportOut, openapi_extra=perm("report.sign"))
def report_sign(request, draft_report_id: int):
    """Sign a draft: the report becomes final and is sent on (outbound hook)."""
    return services.report_sign(actor=request.auth, report_id=draft_report_id)


@router.post("/{cosign_report_id}/cosign", response=ReportOut, openapi_extra=perm("report.cosign"))
def report_cosign(request, cosign_report_id: int):
    """Co-sign a trainee's submitted draft: the report becomes final."""
    return services.report_cosign(actor=request.auth, report_id=cosign_report_id)


@router.post(
    "/{report_id}/addenda", response={201: AddendumOut}, openapi_extra=perm("report.draft")
)
def addendum_create(request, report_id: int, payload: AddendumIn):
    """Add an addendum to a final report (a physician may sign it at once)."""
    addendum = services.addendum_create(
        actor=request.auth, report_id=report_id, text=payload.text, sign=payload.sign
    )
    return Status(201, addendum)


@router.post("/addenda/{addendum_id}/sign", response=AddendumOut, openapi_extra=perm("report.sign"))
def addendum_sign(request, addendum_id: int):
    return services.addendum_sign(actor=request.auth, addendum_id=addendum_id)
