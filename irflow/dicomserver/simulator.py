"""A scripted modality: what an angio machine does with irflow during one procedure.

    1. query the worklist as its station, for today's steps (Modality Worklist C-FIND);
    2. pick a step and report it started (MPPS N-CREATE, IN PROGRESS);
    3. send a synthetic X-Ray Radiation Dose SR for the step (C-STORE);
    4. report the step COMPLETED (or DISCONTINUED) with the series and the dose report
       it produced (MPPS N-SET).

A pynetdicom client speaking to any SCP (irflow's listener in demos and end-to-end tests).
Used by `irflow simulate-modality` and `irflow up --simulate-modality`.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid
from pynetdicom import AE
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityPerformedProcedureStep,
    ModalityWorklistInformationFind,
)

from irflow.dicom.rdsr_builder import XRAY_RADIATION_DOSE_SR, ProjectionRdsr, make_events
from irflow.dicomserver.scu import Serial

# A reason from PS3.16 CID 9300 "Procedure Discontinuation Reasons".
DISCONTINUATION_REASON = ("110515", "DCM", "Patient condition prevented continuing")
# Statuses a modality picks from: steps not started yet first.
_PREFERENCE = {"SCHEDULED": 0, "ARRIVED": 0, "READY": 0, "STARTED": 1}


class SimulationError(Exception):
    """The simulated modality could not go on (no association, no step, a refusal)."""


@dataclass(frozen=True)
class Step:
    """A worklist entry the modality picked."""

    sps_id: str
    patient_name: str
    patient_id: str
    birth_date: str
    sex: str
    accession_number: str
    requested_procedure_id: str
    requested_procedure_description: str
    study_instance_uid: str
    sps_description: str
    sps_status: str
    start: str
    modality: str


@dataclass
class SimulationResult:
    station: str
    worklist: list[Step] = field(default_factory=list)
    step: Step | None = None
    mpps_uid: str = ""
    rdsr_uid: str = ""
    rdsr_stored: bool = False
    final_status: str = ""


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword, "")
    return "" if value is None else str(value)


def _step(ds: Dataset) -> Step:
    sps = ds.ScheduledProcedureStepSequence[0] if ds.get("ScheduledProcedureStepSequence") else None
    return Step(
        sps_id=_text(sps, "ScheduledProcedureStepID") if sps else "",
        patient_name=_text(ds, "PatientName"),
        patient_id=_text(ds, "PatientID"),
        birth_date=_text(ds, "PatientBirthDate"),
        sex=_text(ds, "PatientSex"),
        accession_number=_text(ds, "AccessionNumber"),
        requested_procedure_id=_text(ds, "RequestedProcedureID"),
        requested_procedure_description=_text(ds, "RequestedProcedureDescription"),
        study_instance_uid=_text(ds, "StudyInstanceUID"),
        sps_description=_text(sps, "ScheduledProcedureStepDescription") if sps else "",
        sps_status=_text(sps, "ScheduledProcedureStepStatus") if sps else "",
        start=(
            _text(sps, "ScheduledProcedureStepStartDate")
            + _text(sps, "ScheduledProcedureStepStartTime")
            if sps
            else ""
        ),
        modality=_text(sps, "Modality") if sps else "",
    )


def worklist_query(*, station: str, day: date, patient_id: str = "") -> Dataset:
    """The identifier a modality sends: its station's steps on `day`, with what it shows."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = ""
    ds.PatientID = patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.AccessionNumber = ""
    ds.RequestedProcedureID = ""
    ds.RequestedProcedureDescription = ""
    ds.StudyInstanceUID = ""
    sps = Dataset()
    sps.ScheduledStationAETitle = station
    sps.ScheduledProcedureStepStartDate = day.strftime("%Y%m%d")
    sps.ScheduledProcedureStepStartTime = ""
    sps.Modality = ""
    sps.ScheduledProcedureStepID = ""
    sps.ScheduledProcedureStepDescription = ""
    sps.ScheduledProcedureStepStatus = ""
    ds.ScheduledProcedureStepSequence = [sps]
    return ds


def mpps_in_progress(step: Step, *, station: str, pps_id: str, now: datetime) -> Dataset:
    """N-CREATE attributes (PS3.4 Table F.7.2-1) for `step`, started `now`."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    scheduled = Dataset()
    scheduled.StudyInstanceUID = step.study_instance_uid
    scheduled.ReferencedStudySequence = []
    scheduled.AccessionNumber = step.accession_number
    scheduled.RequestedProcedureID = step.requested_procedure_id
    scheduled.RequestedProcedureDescription = step.requested_procedure_description
    scheduled.ScheduledProcedureStepID = step.sps_id
    scheduled.ScheduledProcedureStepDescription = step.sps_description
    scheduled.ScheduledProtocolCodeSequence = []
    ds.ScheduledStepAttributesSequence = [scheduled]
    ds.PatientName = step.patient_name
    ds.PatientID = step.patient_id
    ds.PatientBirthDate = step.birth_date
    ds.PatientSex = step.sex
    ds.ReferencedPatientSequence = []
    ds.PerformedProcedureStepID = pps_id
    ds.PerformedStationAETitle = station
    ds.PerformedStationName = station
    ds.PerformedLocation = ""
    ds.PerformedProcedureStepStartDate = now.strftime("%Y%m%d")
    ds.PerformedProcedureStepStartTime = now.strftime("%H%M%S")
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    ds.PerformedProcedureStepDescription = step.sps_description
    ds.PerformedProcedureTypeDescription = ""
    ds.ProcedureCodeSequence = []
    ds.PerformedProcedureStepEndDate = ""
    ds.PerformedProcedureStepEndTime = ""
    ds.Modality = step.modality or "XA"
    ds.StudyID = "1"
    ds.PerformedProtocolCodeSequence = []
    ds.PerformedSeriesSequence = []
    return ds


def mpps_final(
    *,
    status: str,
    now: datetime,
    series_uid: str,
    dose_report: tuple[str, str] | None,
    station: str,
) -> Dataset:
    """N-SET modification list ending the step with one series (holding the dose SR)."""
    ds = Dataset()
    ds.PerformedProcedureStepStatus = status
    ds.PerformedProcedureStepEndDate = now.strftime("%Y%m%d")
    ds.PerformedProcedureStepEndTime = now.strftime("%H%M%S")
    series = Dataset()
    series.SeriesInstanceUID = series_uid
    series.ProtocolName = "Dose report"
    series.SeriesDescription = "Radiation dose report"
    series.PerformingPhysicianName = ""
    series.OperatorsName = ""
    series.RetrieveAETitle = station
    series.ReferencedImageSequence = []
    references = []
    if dose_report is not None:
        reference = Dataset()
        reference.ReferencedSOPClassUID, reference.ReferencedSOPInstanceUID = dose_report
        references.append(reference)
    series.ReferencedNonImageCompositeSOPInstanceSequence = references
    ds.PerformedSeriesSequence = [series]
    if status == "DISCONTINUED":
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = DISCONTINUATION_REASON
        ds.PerformedProcedureStepDiscontinuationReasonCodeSequence = [code]
    return ds


def _status_text(status: Dataset | None) -> str:
    if status is None or "Status" not in status:
        return "no answer (association lost or timed out)"
    text = f"0x{status.Status:04X}"
    comment = status.get("ErrorComment")
    return f"{text} {comment}" if comment else text


def simulate_modality(
    *,
    host: str,
    port: int,
    station: str,
    called_ae: str,
    calling_ae: str | None = None,
    patient_id: str = "",
    final_status: str = "COMPLETED",
    day: date | None = None,
    now: Callable[[], datetime] = datetime.now,
    log: Callable[[str], None] = print,
    timeout_s: float = 30,
) -> SimulationResult:
    """Run one procedure as the modality at `station` would; `log` narrates each step."""
    if final_status not in ("COMPLETED", "DISCONTINUED"):
        raise ValueError(final_status)
    day = day or now().date()
    ae = AE(ae_title=calling_ae or station)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout_s
    ae.add_requested_context(ModalityWorklistInformationFind)
    ae.add_requested_context(ModalityPerformedProcedureStep)
    ae.add_requested_context(
        XRAY_RADIATION_DOSE_SR, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    )
    assoc = ae.associate(host, port, ae_title=called_ae)
    if not assoc.is_established:
        raise SimulationError(f"No association with {called_ae} at {host}:{port}.")
    result = SimulationResult(station=station)
    try:
        _run(Serial(assoc), result, station, patient_id, final_status, day, now, log)
    finally:
        if assoc.is_established:
            assoc.release()
    return result


def _run(assoc, result, station, patient_id, final_status, day, now, log) -> None:
    query = worklist_query(station=station, day=day, patient_id=patient_id)
    for status, identifier in assoc.send_c_find(query, ModalityWorklistInformationFind):
        if status is not None and status.Status in (0xFF00, 0xFF01) and identifier is not None:
            result.worklist.append(_step(identifier))
        elif status is None or status.Status != 0x0000:
            raise SimulationError(f"Worklist query refused: {_status_text(status)}")
    who = f" for patient {patient_id}" if patient_id else ""
    log(f"Worklist: {len(result.worklist)} step(s) for {station} on {day:%Y-%m-%d}{who}")
    candidates = sorted(result.worklist, key=lambda s: (_PREFERENCE.get(s.sps_status, 2), s.start))
    if not candidates:
        raise SimulationError(f"No scheduled step for {station} on {day:%Y-%m-%d}{who}.")
    step = result.step = candidates[0]
    log(
        f"Picked {step.sps_id}: {step.patient_name} ({step.patient_id}), "
        f"accession {step.accession_number}, {step.requested_procedure_description}"
    )

    result.mpps_uid = generate_uid()
    started = now()
    pps_id = f"PPS{random.randrange(10**8):08d}"
    create = mpps_in_progress(step, station=station, pps_id=pps_id, now=started)
    status, _ = assoc.send_n_create(create, ModalityPerformedProcedureStep, result.mpps_uid)
    if status is None or status.Status != 0x0000:
        raise SimulationError(f"MPPS IN PROGRESS refused: {_status_text(status)}")
    log(f"MPPS {result.mpps_uid} IN PROGRESS: accepted")

    rdsr = ProjectionRdsr(
        seed=random.randrange(10**6),
        events=make_events(6, start=started),
        patient_id=step.patient_id,
        patient_name=step.patient_name,
        patient_birth_date=step.birth_date,
        patient_sex=step.sex,
        accession_number=step.accession_number,
        study_instance_uid=step.study_instance_uid,
        mpps_uid=result.mpps_uid,
        station_name=station,
        study_datetime=started,
        sop_instance_uid=generate_uid(),
        timezone_offset=None,
    )
    report = dcmread(io.BytesIO(rdsr.to_bytes()))
    result.rdsr_uid = str(report.SOPInstanceUID)
    result.rdsr_stored = _store(assoc, report, log)

    status_ds, _ = assoc.send_n_set(
        mpps_final(
            status=final_status,
            now=now(),
            series_uid=str(report.SeriesInstanceUID),
            dose_report=(XRAY_RADIATION_DOSE_SR, result.rdsr_uid) if result.rdsr_stored else None,
            station=station,
        ),
        ModalityPerformedProcedureStep,
        result.mpps_uid,
    )
    if status_ds is None or status_ds.Status not in (0x0000, 0x0107):
        raise SimulationError(f"MPPS {final_status} refused: {_status_text(status_ds)}")
    result.final_status = final_status
    log(f"MPPS {result.mpps_uid} {final_status}: accepted")


def _store(assoc, report: Dataset, log: Callable[[str], None]) -> bool:
    accepted = [
        cx for cx in assoc.accepted_contexts if cx.abstract_syntax == XRAY_RADIATION_DOSE_SR
    ]
    if not accepted:
        log("Dose report not sent: the SCP does not accept X-Ray Radiation Dose SR storage")
        return False
    status = assoc.send_c_store(report)
    if status is None or status.Status not in (0x0000, 0xB000, 0xB007, 0xB006):
        log(f"Dose report {report.SOPInstanceUID} refused: {_status_text(status)}")
        return False
    log(f"Dose report {report.SOPInstanceUID}: stored")
    return True


def simulate_when_ready(
    *, station: str, port: int, log: Callable[[str], None], wait_s: float = 60
) -> SimulationResult | None:
    """For `irflow up --simulate-modality`: wait for the listener, run one procedure, and
    narrate it; a refusal is reported, never raised (the service keeps running)."""
    from django.conf import settings
    from django.utils import timezone

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return simulate_modality(
                host=settings.IRFLOW_DICOM_HOST,
                port=port,
                station=station,
                called_ae=settings.IRFLOW_DICOM_AE_TITLE,
                log=log,
                now=lambda: timezone.localtime().replace(tzinfo=None),
            )
        except SimulationError as exc:
            if str(exc).startswith("No association") and time.monotonic() < deadline:
                time.sleep(0.5)  # the listener is still starting
                continue
            log(f"stopped: {exc}")
            return None
