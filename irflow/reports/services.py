"""Writes of reports: draft (prefilled from the record), submit for co-signature, sign,
co-sign, and signed addenda. A final report is never written again."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from irflow.accounts.actors import Actor, person, person_only
from irflow.accounts.permissions import require
from irflow.accounts.roles import Role
from irflow.lib.errors import Conflict, NotFound, ValidationFailed
from irflow.lib.history import history_actor
from irflow.lib.versions import check_version, save_fields
from irflow.procedures.selectors import procedure_get
from irflow.reports import drafting, structure
from irflow.reports.models import (
    MSG_ADDENDUM_IMMUTABLE,
    MSG_FINAL_IMMUTABLE,
    REPORT_STATES,
    Addendum,
    Report,
    ReportStatus,
)
from irflow.reports.outbound import OutboundEvent, outbound_enqueue
from irflow.reports.selectors import report_get

MSG_NOT_EDITABLE = "This report is {status}: only a draft can be edited."
MSG_COSIGN_ONLY_SUBMITTED = "Only a report submitted for co-signature can be co-signed."
MSG_COSIGN_OWN = "You drafted this report: another physician co-signs it."
MSG_TRAINEE_DRAFT = "A trainee's draft is submitted for co-signature, then co-signed."
MSG_ADDENDUM_TO_FINAL = "Addenda are added to final reports; edit the draft instead."
MSG_ADDENDUM_TEXT = "Write the addendum."
MSG_ADDENDUM_NOT_FOUND = "No such addendum, or you may not see it."
MSG_RETURN_REASON = "Say what needs changing."


def _report_for_update(actor: Actor, report_id: int, action: str) -> Report:
    report_get(actor=actor, report_id=report_id, action=action, what=f"report {action}")
    return (
        Report.objects.select_for_update()
        .select_related("record__order__procedure_type", "author")
        .get(pk=report_id)
    )


def _editable(report: Report) -> None:
    if report.status == ReportStatus.FINAL:
        raise Conflict(MSG_FINAL_IMMUTABLE, code="report_final")
    if report.status != ReportStatus.DRAFT:
        raise Conflict(
            MSG_NOT_EDITABLE.format(status=report.get_status_display().lower()),
            code="not_draft",
        )


@transaction.atomic
def report_start(*, actor: Actor, procedure_id: int) -> Report:
    """Start the report of a procedure from its catalogue template (or return the one there),
    its sections drafted from the record."""
    require(actor, "report.draft")
    record = procedure_get(
        actor=actor, procedure_id=procedure_id, what="report draft", action="report.draft"
    )
    existing = Report.objects.filter(record=record).first()
    if existing is not None:
        return existing
    template = structure.normalised(record.order.procedure_type.report_template)
    keys = {s["key"] for s in template["sections"]}
    with history_actor(actor):
        return Report.objects.create(
            record=record,
            template=template,
            fields={f["key"]: "" for f in template["fields"]},
            sections={
                k: v
                for k, v in drafting.draft_sections(actor=actor, record=record).items()
                if k in keys
            },
            author=person_only(actor),
        )


@transaction.atomic
def report_update(
    *,
    actor: Actor,
    report_id: int,
    fields: dict[str, Any] | None = None,
    sections: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Report:
    """Change a draft's field values and section texts (the page autosaves them).

    Only the values named are replaced, on the locked row; with `expected_version` (If-Match)
    a draft changed since is refused with VersionConflict and nothing is written."""
    report = _report_for_update(actor, report_id, "report.draft")
    check_version(report, expected_version)
    _editable(report)
    errors: dict[str, str] = {}
    if fields:
        clean, field_errors = structure.clean_fields(report.template, fields)
        errors.update(field_errors)
        report.fields = {**report.fields, **clean}
    if sections:
        clean_s, section_errors = structure.clean_sections(report.template, sections)
        errors.update(section_errors)
        report.sections = {**report.sections, **clean_s}
    if errors:
        raise ValidationFailed(errors)
    with history_actor(actor):
        save_fields(report, "fields", "sections")
    return report


def _check_complete(report: Report) -> None:
    """Everything the template requires, and complications that do not deny a recorded
    adverse event; every missing item is named at once."""
    missing = structure.missing_for_signature(report.template, report.fields, report.sections)
    missing.update(
        drafting.complications_refusal(
            template_keys={s["key"] for s in structure.normalised(report.template)["sections"]},
            record_id=report.record_id,
            sections=report.sections,
        )
    )
    if missing:
        raise ValidationFailed(missing)


RETURN_FIELDS = ("return_reason", "returned_by", "returned_at")


def _clear_return(report: Report) -> None:
    report.return_reason = ""
    report.returned_by = None
    report.returned_at = None


@transaction.atomic
def report_submit(*, actor: Actor, report_id: int) -> Report:
    """A draft goes to a physician for co-signature (trainees' drafts always do)."""
    report = _report_for_update(actor, report_id, "report.draft")
    _editable(report)
    _check_complete(report)
    REPORT_STATES.check(report.status, ReportStatus.AWAITING_COSIGN)
    report.status = ReportStatus.AWAITING_COSIGN
    report.submitted_at = timezone.now()
    _clear_return(report)
    with history_actor(actor):
        save_fields(report, "status", "submitted_at", *RETURN_FIELDS)
    return report


@transaction.atomic
def report_return(*, actor: Actor, report_id: int, reason: str) -> Report:
    """The co-signing physician sends a submitted draft back to its author for changes; the
    reason stays on the report until the author submits it again."""
    report = _report_for_update(actor, report_id, "report.cosign")
    if report.status != ReportStatus.AWAITING_COSIGN:
        raise Conflict(MSG_COSIGN_ONLY_SUBMITTED, code="not_submitted")
    if not (reason or "").strip():
        raise ValidationFailed({"reason": MSG_RETURN_REASON})
    REPORT_STATES.check(report.status, ReportStatus.DRAFT)
    report.status = ReportStatus.DRAFT
    report.submitted_at = None
    report.return_reason = reason.strip()
    report.returned_by = person(actor)
    report.returned_at = timezone.now()
    with history_actor(actor):
        save_fields(report, "status", "submitted_at", *RETURN_FIELDS)
    return report


def _finalise(actor: Actor, report: Report, *, cosigned: bool) -> Report:
    _check_complete(report)
    REPORT_STATES.check(report.status, ReportStatus.FINAL)
    report.status = ReportStatus.FINAL
    report.signed_by = person(actor)
    report.signed_at = timezone.now()
    report.cosigned = cosigned
    report.content_sha256 = report.content_digest()
    _clear_return(report)
    with history_actor(actor):
        save_fields(
            report, "status", "signed_by", "signed_at", "cosigned", "content_sha256", *RETURN_FIELDS
        )
    outbound_enqueue(OutboundEvent(report_id=report.pk, event="signed"))
    return report


@transaction.atomic
def report_sign(*, actor: Actor, report_id: int) -> Report:
    """A physician signs a draft: the report is final and immutable from here on."""
    report = _report_for_update(actor, report_id, "report.sign")
    _editable(report)
    if report.author.role == Role.TRAINEE:
        raise Conflict(MSG_TRAINEE_DRAFT, code="needs_cosign")
    return _finalise(actor, report, cosigned=False)


@transaction.atomic
def report_cosign(*, actor: Actor, report_id: int) -> Report:
    """A physician co-signs a draft submitted for co-signature: it becomes final."""
    report = _report_for_update(actor, report_id, "report.cosign")
    if report.status == ReportStatus.FINAL:
        raise Conflict(MSG_FINAL_IMMUTABLE, code="report_final")
    if report.status != ReportStatus.AWAITING_COSIGN:
        raise Conflict(MSG_COSIGN_ONLY_SUBMITTED, code="not_submitted")
    if report.author_id == actor.pk:
        raise Conflict(MSG_COSIGN_OWN, code="own_draft")
    return _finalise(actor, report, cosigned=True)


@transaction.atomic
def addendum_create(*, actor: Actor, report_id: int, text: str, sign: bool = False) -> Addendum:
    """Add a correction or later information to a final report; a physician may sign it at
    once (`sign=True`), otherwise it waits for a physician's signature."""
    report = _report_for_update(actor, report_id, "report.draft")
    if report.status != ReportStatus.FINAL:
        raise Conflict(MSG_ADDENDUM_TO_FINAL, code="not_final")
    if not (text or "").strip():
        raise ValidationFailed({"text": MSG_ADDENDUM_TEXT})
    with history_actor(actor):
        addendum = Addendum.objects.create(
            report=report, text=text.strip(), author=person_only(actor)
        )
    if sign:
        return addendum_sign(actor=actor, addendum_id=addendum.pk)
    return addendum


@transaction.atomic
def addendum_sign(*, actor: Actor, addendum_id: int) -> Addendum:
    """Sign an addendum: it is part of the final report from now on, and is sent on."""
    require(actor, "report.sign")
    addendum = Addendum.objects.select_for_update().filter(pk=addendum_id).first()
    if addendum is None:
        raise NotFound(MSG_ADDENDUM_NOT_FOUND)
    report_get(actor=actor, report_id=addendum.report_id, action="report.sign", what="addendum")
    if addendum.is_signed:
        raise Conflict(MSG_ADDENDUM_IMMUTABLE, code="addendum_signed")
    addendum.signed_by = person(actor)
    addendum.signed_at = timezone.now()
    with history_actor(actor):
        save_fields(addendum, "signed_by", "signed_at")
    outbound_enqueue(
        OutboundEvent(
            report_id=addendum.report_id, event="addendum_signed", addendum_id=addendum.pk
        )
    )
    return addendum
