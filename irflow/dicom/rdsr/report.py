"""From an SR document to a :class:`DoseReport`: refusals, header, context, template."""

from __future__ import annotations

from collections.abc import Iterable

from . import codes as c
from .codes import canonical
from .ct import CtDoseData, read_ct
from .errors import (
    MSG_NOT_DOSE_REPORT,
    MSG_NOT_SR,
    MSG_RADIOPHARMACEUTICAL,
    MSG_UNKNOWN_PROCEDURE,
    NotADoseReport,
    UnsupportedDoseReport,
)
from .models import Code, Device, DoseReport, PlaneTotals, Scope, TemplateKind
from .projection import read_events, read_planes
from .reading import ValueReader, code_key, index_subtree, key_of, parse_offset
from .tree import ContentItem, SrDocument

RADIOPHARMACEUTICAL_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.68"
_SCOPES = {c.SCOPE_STUDY: Scope.STUDY, c.SCOPE_PPS: Scope.PPS}
_TEMPLATES = {"10001": TemplateKind.PROJECTION, "10011": TemplateKind.CT}
_PROCEDURES = {
    c.PROJECTION_XRAY: TemplateKind.PROJECTION,
    c.MAMMOGRAPHY: TemplateKind.PROJECTION,
    c.COMPUTED_TOMOGRAPHY: TemplateKind.CT,
}


def build_report(document: SrDocument) -> DoseReport:
    """Check the document is an X-ray dose report and read it.

    Raises :class:`NotADoseReport` or :class:`UnsupportedDoseReport` (see :mod:`.errors`).
    """
    root = _checked_root(document)
    header = document.header
    offset, offset_warning = parse_offset(header["TimezoneOffsetFromUTC"])
    reader = ValueReader(offset)
    if offset_warning:
        reader.warn(offset_warning)
    context = _context_rows(root)
    procedure = ValueReader.code(context.get(c.PROCEDURE_REPORTED))
    template = _template_kind(root, document, procedure)
    scope_item = context.get(c.SCOPE_OF_ACCUMULATION)
    scope_rows = index_subtree(scope_item) if scope_item is not None else {}
    scope_key = code_key(ValueReader.code(scope_item))
    study_uid = header["StudyInstanceUID"]
    if study_uid is None:
        study_uid = ValueReader.text(scope_rows.get(c.STUDY_INSTANCE_UID))
        reader.warn(
            "Study Instance UID missing from the header"
            + ("; taken from the scope of accumulation" if study_uid else "")
        )
    planes: tuple[PlaneTotals, ...] = ()
    ct = CtDoseData(None, None, ())
    if template is TemplateKind.PROJECTION:
        planes = read_planes(root, reader)
        events = read_events(root, reader)
    else:
        ct = read_ct(root, reader)
        events = ()
    reader.note_multi_valued(root)
    return DoseReport(
        sop_class_uid=header["SOPClassUID"] or "",
        sop_instance_uid=header["SOPInstanceUID"],
        study_instance_uid=study_uid,
        accession_number=header["AccessionNumber"],
        patient_id=header["PatientID"],
        patient_name=header["PatientName"],
        patient_birth_date=header["PatientBirthDate"],
        patient_sex=header["PatientSex"],
        mpps_sop_instance_uid=(
            ValueReader.text(scope_rows.get(c.PPS_SOP_INSTANCE_UID)) or document.referenced_pps_uid
        ),
        scope=_SCOPES.get(scope_key) if scope_key else None,
        device=_device(header, context),
        study_datetime=reader.combine(
            header["StudyDate"], header["StudyTime"], what="Study Date/Time"
        ),
        content_datetime=reader.combine(
            header["ContentDate"], header["ContentTime"], what="Content Date/Time"
        ),
        utc_offset=offset,
        template=template,
        procedure_reported=procedure,
        planes=planes,
        events=events,
        dap_total_gy_cm2=_sum(p.dap_total_gy_cm2 for p in planes),
        fluoro_dap_total_gy_cm2=_sum(p.fluoro_dap_total_gy_cm2 for p in planes),
        acquisition_dap_total_gy_cm2=_sum(p.acquisition_dap_total_gy_cm2 for p in planes),
        ka_r_total_mgy=_sum(p.ka_r_total_mgy for p in planes),
        fluoro_ka_r_total_mgy=_sum(p.fluoro_ka_r_total_mgy for p in planes),
        acquisition_ka_r_total_mgy=_sum(p.acquisition_ka_r_total_mgy for p in planes),
        fluoro_time_total_s=_sum(p.fluoro_time_total_s for p in planes),
        acquisition_time_total_s=_sum(p.acquisition_time_total_s for p in planes),
        frames_total=_sum_int(p.frames_total for p in planes),
        dlp_total_mgy_cm=ct.dlp_total_mgy_cm,
        ct_event_count=ct.event_count,
        ct_acquisitions=ct.acquisitions,
        content_item_count=document.item_count,
        warnings=tuple(reader.warnings),
    )


def _context_rows(root: ContentItem) -> dict[c.CodeKey, ContentItem]:
    """The root's direct children by concept (document context rows), first one wins."""
    found: dict[c.CodeKey, ContentItem] = {}
    for child in root.children:
        key = key_of(child)
        if key is not None:
            found.setdefault(key, child)
    return found


def _describe_code(code: Code) -> str:
    return f'{code.value} ({code.scheme}) "{code.meaning}"'


def _checked_root(document: SrDocument) -> ContentItem:
    sop_class = document.header["SOPClassUID"] or "(none)"
    root = document.root
    concept = root.concept if root is not None else None
    root_key = code_key(concept)
    if sop_class == RADIOPHARMACEUTICAL_DOSE_SR:
        raise UnsupportedDoseReport(
            MSG_RADIOPHARMACEUTICAL.format(detail=f"SOP class {RADIOPHARMACEUTICAL_DOSE_SR}")
        )
    if root_key == c.RADIOPHARMACEUTICAL_RADIATION_DOSE_REPORT or (
        document.template_identifier == "10021"
    ):
        raise UnsupportedDoseReport(MSG_RADIOPHARMACEUTICAL.format(detail="TID 10021"))
    if root is None or concept is None or root.value_type != "CONTAINER":
        raise NotADoseReport(MSG_NOT_SR.format(sop_class=sop_class))
    if root_key != c.XRAY_RADIATION_DOSE_REPORT:
        raise NotADoseReport(MSG_NOT_DOSE_REPORT.format(concept=_describe_code(concept)))
    return root


def _template_kind(root: ContentItem, document: SrDocument, procedure: Code | None) -> TemplateKind:
    kind = _PROCEDURES.get(canonical(procedure.value, procedure.scheme)) if procedure else None
    kind = kind or _TEMPLATES.get(document.template_identifier or "")
    if kind is None:
        # Neither the procedure nor the template says; the containers present do.
        keys = {key_of(child) for child in root.children}
        if keys & {c.ACCUMULATED_XRAY_DOSE, c.IRRADIATION_EVENT}:
            kind = TemplateKind.PROJECTION
        elif keys & {c.CT_ACCUMULATED_DOSE, c.CT_ACQUISITION}:
            kind = TemplateKind.CT
    if kind is None:
        named = _describe_code(procedure) if procedure else "not stated"
        raise UnsupportedDoseReport(MSG_UNKNOWN_PROCEDURE.format(procedure=named))
    return kind


def _device(header: dict[str, str | None], context: dict[c.CodeKey, ContentItem]) -> Device:
    def observer(key: c.CodeKey) -> str | None:
        return ValueReader.text(context.get(key))

    return Device(
        manufacturer=header["Manufacturer"] or observer(c.DEVICE_OBSERVER_MANUFACTURER),
        model_name=header["ManufacturerModelName"] or observer(c.DEVICE_OBSERVER_MODEL),
        serial_number=header["DeviceSerialNumber"] or observer(c.DEVICE_OBSERVER_SERIAL),
        station_name=header["StationName"] or observer(c.DEVICE_OBSERVER_NAME),
        observer_uid=observer(c.DEVICE_OBSERVER_UID),
    )


def _sum(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _sum_int(values: Iterable[int | None]) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None
