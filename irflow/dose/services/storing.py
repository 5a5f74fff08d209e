"""Turn an extracted dose report into rows, in a fixed number of queries whatever its size.

De-duplication and counting (the rule the procedure and patient totals follow):

- An irradiation event (or CT acquisition) is stored once, keyed by its Irradiation Event
  UID; a report that repeats stored events adds only the events not seen before. Events
  without a UID cannot be recognised and always count as new.
- What a report adds to its procedure's totals (its ``*_counted`` columns):
  * every event in it is new (the usual single report)  -> the totals the report states,
    exactly what the modality displayed;
  * none of its events is new (a re-sent or superseded report) -> nothing;
  * some are new (a cumulative or continuation report overlapping earlier ones) -> the sum
    of the new events' own values (DAP, Dose (RP), fluoroscopy irradiation duration);
  * it holds no events at all (totals only) -> the totals it states.
- A procedure's total is the sum of its reports' counted values; a patient's cumulative
  dose over the site's window is the sum over the patient's reports in that window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from irflow.dicom import rdsr
from irflow.dose.models import (
    AccumulatedXrayDose,
    CtAcquisition,
    IrradiationEventXrayData,
    RadiationDoseReport,
)


def _code_text(code: rdsr.Code | None) -> str:
    if code is None:
        return ""
    return f"{code.meaning} ({code.value}, {code.scheme})"[:120]


def _meaning(code: rdsr.Code | None) -> str:
    return (code.meaning or code.value)[:120] if code is not None else ""


def _aware(value: datetime | None) -> datetime | None:
    """Naive DICOM date-times are the modality's wall clock: the department's time zone."""
    if value is None:
        return None
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def _reference_point(point: rdsr.ReferencePoint | None) -> str:
    if point is None:
        return ""
    return (point.text or _code_text(point.code))[:200]


def _filters(event: rdsr.IrradiationEvent) -> list[dict]:
    return [
        {
            "type": _meaning(f.filter_type),
            "material": _meaning(f.material),
            "thickness_min_mm": f.thickness_min_mm,
            "thickness_max_mm": f.thickness_max_mm,
        }
        for f in event.filters
    ]


def _new_by_uid(items: Sequence, known: set[str]) -> list:
    """Items whose event UID is neither stored already nor repeated earlier in this file."""
    seen: set[str] = set()
    new = []
    for item in items:
        uid = item.event_uid
        if uid is None:
            new.append(item)
        elif uid not in known and uid not in seen:
            seen.add(uid)
            new.append(item)
    return new


def _known_uids(
    model: type[IrradiationEventXrayData] | type[CtAcquisition], items: Sequence
) -> set[str]:
    uids = [i.event_uid for i in items if i.event_uid]
    if not uids:
        return set()
    stored = model.objects.filter(event_uid__in=uids).values_list("event_uid", flat=True)
    return {uid for uid in stored if uid}


def _counted(report: rdsr.DoseReport, new_events: list, new_ct: list) -> dict[str, float | None]:
    """What this report adds to its procedure's totals (see the module docstring)."""
    stated = {
        "dap_counted_gy_cm2": report.dap_total_gy_cm2,
        "ka_r_counted_mgy": report.ka_r_total_mgy,
        "fluoro_time_counted_s": report.fluoro_time_total_s,
        "dlp_counted_mgy_cm": report.dlp_total_mgy_cm,
    }
    events, scans = report.events, report.ct_acquisitions
    if report.template is rdsr.TemplateKind.CT:
        if not scans or len(new_ct) == len(scans):
            return stated
        return {
            **dict.fromkeys(stated, None),
            "dlp_counted_mgy_cm": sum(s.dlp_mgy_cm or 0.0 for s in new_ct),
        }
    if not events or len(new_events) == len(events):
        return stated
    fluoro = [e for e in new_events if e.event_type is rdsr.EventType.FLUOROSCOPY]
    return {
        "dap_counted_gy_cm2": sum(e.dap_gy_cm2 or 0.0 for e in new_events),
        "ka_r_counted_mgy": sum(e.dose_rp_mgy or 0.0 for e in new_events),
        "fluoro_time_counted_s": sum(e.irradiation_duration_s or 0.0 for e in fluoro),
        "dlp_counted_mgy_cm": None,
    }


def report_store(
    *, extracted: rdsr.DoseReport, sop_instance_uid: str, received_at: datetime | None
) -> RadiationDoseReport:
    """Insert the report, its planes and its new events/acquisitions (caller's transaction),
    under `sop_instance_uid`; dated `received_at` when the file names no time."""
    known_events = _known_uids(IrradiationEventXrayData, extracted.events)
    new_events = _new_by_uid(extracted.events, known_events)
    known_ct = _known_uids(CtAcquisition, extracted.ct_acquisitions)
    new_ct = _new_by_uid(extracted.ct_acquisitions, known_ct)
    device = extracted.device
    study_at = _aware(extracted.study_datetime)
    content_at = _aware(extracted.content_datetime)
    report = RadiationDoseReport.objects.create(
        sop_instance_uid=sop_instance_uid,
        sop_class_uid=extracted.sop_class_uid,
        template=str(extracted.template),
        scope=str(extracted.scope or ""),
        procedure_reported=_code_text(extracted.procedure_reported),
        study_instance_uid=extracted.study_instance_uid or "",
        accession_number=(extracted.accession_number or "")[:64],
        mpps_sop_instance_uid=extracted.mpps_sop_instance_uid or "",
        dicom_patient_id=(extracted.patient_id or "")[:64],
        dicom_patient_name=(extracted.patient_name or "")[:200],
        dicom_patient_birth_date=(extracted.patient_birth_date or "")[:8],
        dicom_patient_sex=(extracted.patient_sex or "")[:1],
        manufacturer=(device.manufacturer or "")[:100],
        model_name=(device.model_name or "")[:100],
        serial_number=(device.serial_number or "")[:64],
        station_name=(device.station_name or "")[:64],
        device_observer_uid=(device.observer_uid or "")[:64],
        performed_at=study_at or content_at or received_at or timezone.now(),
        study_datetime=study_at,
        content_datetime=content_at,
        dap_total_gy_cm2=extracted.dap_total_gy_cm2,
        fluoro_dap_total_gy_cm2=extracted.fluoro_dap_total_gy_cm2,
        acquisition_dap_total_gy_cm2=extracted.acquisition_dap_total_gy_cm2,
        ka_r_total_mgy=extracted.ka_r_total_mgy,
        fluoro_ka_r_total_mgy=extracted.fluoro_ka_r_total_mgy,
        acquisition_ka_r_total_mgy=extracted.acquisition_ka_r_total_mgy,
        fluoro_time_total_s=extracted.fluoro_time_total_s,
        acquisition_time_total_s=extracted.acquisition_time_total_s,
        frames_total=extracted.frames_total,
        dlp_total_mgy_cm=extracted.dlp_total_mgy_cm,
        ct_event_count=extracted.ct_event_count,
        event_count=len(extracted.events) + len(extracted.ct_acquisitions),
        new_event_count=len(new_events) + len(new_ct),
        warnings=list(extracted.warnings),
        **_counted(extracted, new_events, new_ct),
    )
    if extracted.planes:
        AccumulatedXrayDose.objects.bulk_create(
            [
                AccumulatedXrayDose(
                    report=report,
                    plane=str(p.plane or ""),
                    dap_total_gy_cm2=p.dap_total_gy_cm2,
                    fluoro_dap_total_gy_cm2=p.fluoro_dap_total_gy_cm2,
                    acquisition_dap_total_gy_cm2=p.acquisition_dap_total_gy_cm2,
                    ka_r_total_mgy=p.ka_r_total_mgy,
                    fluoro_ka_r_total_mgy=p.fluoro_ka_r_total_mgy,
                    acquisition_ka_r_total_mgy=p.acquisition_ka_r_total_mgy,
                    fluoro_time_total_s=p.fluoro_time_total_s,
                    acquisition_time_total_s=p.acquisition_time_total_s,
                    frames_total=p.frames_total,
                    reference_point=_reference_point(p.reference_point),
                    calibrations=[
                        {"factor": c.factor, "uncertainty_pct": c.uncertainty_pct}
                        for c in p.calibrations
                    ],
                )
                for p in extracted.planes
            ]
        )
    if new_events:
        IrradiationEventXrayData.objects.bulk_create(
            [
                IrradiationEventXrayData(
                    report=report,
                    event_uid=e.event_uid,
                    datetime_started=_aware(e.datetime_started),
                    event_type=str(e.event_type or ""),
                    plane=str(e.plane or ""),
                    acquisition_protocol=(e.acquisition_protocol or "")[:200],
                    dap_gy_cm2=e.dap_gy_cm2,
                    dose_rp_mgy=e.dose_rp_mgy,
                    kvp=e.kvp,
                    tube_current_ma=e.tube_current_ma,
                    average_tube_current_ma=e.average_tube_current_ma,
                    exposure_mas=e.exposure_mas,
                    exposure_time_ms=e.exposure_time_ms,
                    irradiation_duration_s=e.irradiation_duration_s,
                    pulse_rate_per_s=e.pulse_rate_per_s,
                    number_of_pulses=e.number_of_pulses,
                    pulse_width_ms=e.pulse_width_ms,
                    fluoro_mode=str(e.fluoro_mode or ""),
                    primary_angle_deg=e.primary_angle_deg,
                    secondary_angle_deg=e.secondary_angle_deg,
                    sid_mm=e.sid_mm,
                    source_isocenter_mm=e.source_isocenter_mm,
                    table_longitudinal_mm=e.table_longitudinal_mm,
                    table_lateral_mm=e.table_lateral_mm,
                    table_height_mm=e.table_height_mm,
                    target_region=_meaning(e.target_region),
                    filters=_filters(e),
                )
                for e in new_events
            ]
        )
    if new_ct:
        CtAcquisition.objects.bulk_create(
            [
                CtAcquisition(
                    report=report,
                    event_uid=s.event_uid,
                    acquisition_type=_meaning(s.acquisition_type),
                    acquisition_protocol=(s.acquisition_protocol or "")[:200],
                    target_region=_meaning(s.target_region),
                    exposure_time_s=s.exposure_time_s,
                    scanning_length_mm=s.scanning_length_mm,
                    pitch_factor=s.pitch_factor,
                    mean_ctdi_vol_mgy=s.mean_ctdi_vol_mgy,
                    dlp_mgy_cm=s.dlp_mgy_cm,
                    ctdi_phantom_type=_meaning(s.ctdi_phantom_type),
                )
                for s in new_ct
            ]
        )
    return report
