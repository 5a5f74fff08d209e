"""Parse MPPS N-CREATE and N-SET attribute lists strictly into records (PS3.4 F.7.2)."""

from __future__ import annotations

from datetime import date, datetime, time

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset

from irflow.dicom.charset import CharacterSet, CharsetError, parse_charset, read_charset
from irflow.dicom.charset import read_values as _read_values
from irflow.dicom.mpps.records import (
    DoseSummary,
    ExposureDose,
    MppsCreate,
    MppsUpdate,
    PerformedSeries,
    ScheduledStep,
    SopReference,
)
from irflow.dicom.mpps.states import (
    MSG_END_INCOMPLETE,
    MSG_FINAL_STATE_NO_END,
    MSG_FINAL_STATE_NO_SERIES,
    MSG_INVALID_DATE,
    MSG_INVALID_NUMBER,
    MSG_INVALID_STATUS,
    MSG_INVALID_TIME,
    MSG_INVALID_UID,
    MSG_MISSING_ATTRIBUTE,
    MSG_MISSING_SOP_INSTANCE_UID,
    MSG_MISSING_VALUE,
    STATUS_INVALID_ATTRIBUTE_VALUE,
    STATUS_INVALID_OBJECT_INSTANCE,
    STATUS_MISSING_ATTRIBUTE,
    STATUS_MISSING_ATTRIBUTE_VALUE,
    TRANSITIONS,
    MppsError,
    MppsStatus,
    Operation,
    mpps_transition,
)
from irflow.dicom.worklist.values import Code, is_valid_uid, parse_da, parse_tm

# Attributes an N-SET may not carry (PS3.4 Table F.7.2-1, "Not allowed").
NSET_NOT_ALLOWED = frozenset(
    {
        "ScheduledStepAttributesSequence",
        "PatientName",
        "PatientID",
        "IssuerOfPatientID",
        "IssuerOfPatientIDQualifiersSequence",
        "OtherPatientIDsSequence",
        "PatientBirthDate",
        "PatientSex",
        "ReferencedPatientSequence",
        "AdmissionID",
        "IssuerOfAdmissionIDSequence",
        "ServiceEpisodeID",
        "IssuerOfServiceEpisodeIDSequence",
        "ServiceEpisodeDescription",
        "PerformedProcedureStepID",
        "PerformedStationAETitle",
        "PerformedStationName",
        "PerformedLocation",
        "PerformedProcedureStepStartDate",
        "PerformedProcedureStepStartTime",
        "Modality",
        "StudyID",
    }
)


def parse_mpps_create(sop_instance_uid: str | None, ds: Dataset) -> MppsCreate:
    """Parse an N-CREATE attribute list; raise `MppsError` with the status to answer."""
    uid = _instance_uid(sop_instance_uid)
    reader = _Reader(ds, _charset(ds, None))
    mpps_transition(
        None, reader.optional_text("PerformedProcedureStepStatus"), operation=Operation.N_CREATE
    ).raise_if_denied()
    steps = reader.items("ScheduledStepAttributesSequence", required=True)
    start_date = reader.date("PerformedProcedureStepStartDate", required=True)
    start_time = reader.time("PerformedProcedureStepStartTime", required=True)
    assert start_date is not None and start_time is not None
    birth_date = reader.date("PatientBirthDate")
    return MppsCreate(
        sop_instance_uid=uid,
        pps_id=reader.text("PerformedProcedureStepID", required=True),
        start=datetime.combine(start_date, start_time),
        station_ae_title=reader.text("PerformedStationAETitle", required=True),
        modality=reader.text("Modality", required=True),
        scheduled_steps=tuple(_scheduled_step(step) for step in steps or ()),
        patient_id=reader.text("PatientID"),
        patient_name=reader.text("PatientName"),
        patient_birth_date=birth_date,
        patient_sex=reader.text("PatientSex"),
        station_name=reader.text("PerformedStationName"),
        location=reader.text("PerformedLocation"),
        description=reader.text("PerformedProcedureStepDescription"),
        procedure_type_description=reader.text("PerformedProcedureTypeDescription"),
        procedure_codes=reader.codes("ProcedureCodeSequence") or (),
        study_id=reader.text("StudyID"),
        end=_end(reader),
        performed_series=_performed_series(reader) or (),
        dose=_dose(reader),
        charset=reader.charset.terms if not reader.charset.is_default else (),
    )


def parse_mpps_set(
    sop_instance_uid: str | None, ds: Dataset, *, create_charset: tuple[str, ...] = ()
) -> MppsUpdate:
    """Parse an N-SET modification list; `create_charset` applies when it has no (0008,0005)."""
    uid = _instance_uid(sop_instance_uid)
    reader = _Reader(ds, _charset(ds, create_charset))
    status_text = reader.optional_text("PerformedProcedureStepStatus")
    if status_text is not None and status_text not in TRANSITIONS[MppsStatus.IN_PROGRESS]:
        raise MppsError(
            STATUS_INVALID_ATTRIBUTE_VALUE,
            MSG_INVALID_STATUS,
            keyword="PerformedProcedureStepStatus",
        )
    ignored = tuple(sorted(keyword for keyword in NSET_NOT_ALLOWED if keyword in ds))
    return MppsUpdate(
        sop_instance_uid=uid,
        status=MppsStatus(status_text) if status_text is not None else None,
        end=_end(reader),
        description=reader.optional_text("PerformedProcedureStepDescription"),
        procedure_type_description=reader.optional_text("PerformedProcedureTypeDescription"),
        procedure_codes=reader.codes("ProcedureCodeSequence"),
        discontinuation_reasons=reader.codes(
            "PerformedProcedureStepDiscontinuationReasonCodeSequence"
        ),
        comments=reader.optional_text("CommentsOnThePerformedProcedureStep"),
        performed_series=_performed_series(reader),
        dose=_dose(reader),
        ignored_keywords=ignored,
    )


def check_final_state(
    *, status: MppsStatus, end: datetime | None, performed_series: tuple[PerformedSeries, ...]
) -> None:
    """Check the merged step before it becomes COMPLETED or DISCONTINUED (PS3.4 F.7.2.2.2).

    End date and time are type 1 in the final state. A COMPLETED step needs a series; a
    DISCONTINUED one may have none, as a step stopped before acquisition must still close.
    """
    if status is MppsStatus.IN_PROGRESS:
        return
    if end is None:
        raise MppsError(
            STATUS_MISSING_ATTRIBUTE_VALUE,
            MSG_FINAL_STATE_NO_END,
            keyword="PerformedProcedureStepEndDate",
        )
    if status is MppsStatus.COMPLETED and not performed_series:
        raise MppsError(
            STATUS_MISSING_ATTRIBUTE_VALUE,
            MSG_FINAL_STATE_NO_SERIES,
            keyword="PerformedSeriesSequence",
        )


def _instance_uid(uid: str | None) -> str:
    text = (uid or "").strip(" \x00")
    if not text:
        raise MppsError(STATUS_INVALID_OBJECT_INSTANCE, MSG_MISSING_SOP_INSTANCE_UID)
    if not is_valid_uid(text):
        raise MppsError(STATUS_INVALID_OBJECT_INSTANCE, MSG_INVALID_UID)
    return text


def _charset(ds: Dataset, inherited: tuple[str, ...] | None) -> CharacterSet:
    try:
        if "SpecificCharacterSet" not in ds and inherited:
            return parse_charset(list(inherited))
        return read_charset(ds)
    except CharsetError as exc:
        raise MppsError(
            STATUS_INVALID_ATTRIBUTE_VALUE, exc.reason, keyword="SpecificCharacterSet"
        ) from exc


class _Reader:
    """Reads one dataset (or sequence item) strictly, raising `MppsError` on bad values."""

    def __init__(self, ds: Dataset, charset: CharacterSet, prefix: str = "") -> None:
        self.ds = ds
        self.charset = charset
        self.prefix = prefix

    def _error(self, status: int, comment: str, keyword: str) -> MppsError:
        return MppsError(status, comment, keyword=self.prefix + keyword)

    def strings(self, keyword: str) -> list[str] | None:
        tag = tag_for_keyword(keyword)
        assert tag is not None, keyword
        try:
            values = _read_values(self.ds, tag, self.charset)
        except CharsetError as exc:
            raise self._error(STATUS_INVALID_ATTRIBUTE_VALUE, exc.reason, keyword) from exc
        return None if values is None else [v.strip(" \x00") for v in values]

    def optional_text(self, keyword: str) -> str | None:
        values = self.strings(keyword)
        return None if values is None else (values[0] if values else "")

    def text(self, keyword: str, *, required: bool = False) -> str:
        value = self.optional_text(keyword)
        if required and value is None:
            raise self._error(STATUS_MISSING_ATTRIBUTE, MSG_MISSING_ATTRIBUTE, keyword)
        if required and not value:
            raise self._error(STATUS_MISSING_ATTRIBUTE_VALUE, MSG_MISSING_VALUE, keyword)
        return value or ""

    def date(self, keyword: str, *, required: bool = False) -> date | None:
        text = self.text(keyword, required=required)
        try:
            return parse_da(text) if text else None
        except ValueError as exc:
            raise self._error(STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_DATE, keyword) from exc

    def time(self, keyword: str, *, required: bool = False) -> time | None:
        text = self.text(keyword, required=required)
        try:
            return parse_tm(text)[0] if text else None
        except ValueError as exc:
            raise self._error(STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_TIME, keyword) from exc

    def number(self, keyword: str) -> float | None:
        text = self.text(keyword)
        try:
            return float(text) if text else None
        except ValueError as exc:
            raise self._error(STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_NUMBER, keyword) from exc

    def integer(self, keyword: str) -> int | None:
        if keyword not in self.ds or self.ds[keyword].VR != "US":
            number = self.number(keyword)
            return None if number is None else int(number)
        value = self.ds[keyword].value
        return int(value) if isinstance(value, int) else None

    def uid(self, keyword: str) -> str:
        value = self.text(keyword, required=True)
        if not is_valid_uid(value):
            raise self._error(STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_UID, keyword)
        return value

    def items(self, keyword: str, *, required: bool = False) -> list[_Reader] | None:
        if keyword not in self.ds:
            if required:
                raise self._error(STATUS_MISSING_ATTRIBUTE, MSG_MISSING_ATTRIBUTE, keyword)
            return None
        items = self.ds[keyword].value or []
        if required and not items:
            raise self._error(STATUS_MISSING_ATTRIBUTE_VALUE, MSG_MISSING_VALUE, keyword)
        return [_Reader(item, self.charset, f"{self.prefix}{keyword}>") for item in items]

    def codes(self, keyword: str) -> tuple[Code, ...] | None:
        items = self.items(keyword)
        if items is None:
            return None
        return tuple(
            Code(
                value=item.text("CodeValue") or item.text("LongCodeValue"),
                scheme=item.text("CodingSchemeDesignator"),
                meaning=item.text("CodeMeaning"),
            )
            for item in items
        )


def _scheduled_step(item: _Reader) -> ScheduledStep:
    return ScheduledStep(
        study_instance_uid=item.uid("StudyInstanceUID"),
        accession_number=item.text("AccessionNumber"),
        requested_procedure_id=item.text("RequestedProcedureID"),
        requested_procedure_description=item.text("RequestedProcedureDescription"),
        sps_id=item.text("ScheduledProcedureStepID"),
        sps_description=item.text("ScheduledProcedureStepDescription"),
    )


def _end(reader: _Reader) -> datetime | None:
    end_date = reader.date("PerformedProcedureStepEndDate")
    end_time = reader.time("PerformedProcedureStepEndTime")
    if end_date is None and end_time is None:
        return None
    if end_date is None or end_time is None:
        missing = "PerformedProcedureStepEnd" + ("Date" if end_date is None else "Time")
        raise reader._error(STATUS_MISSING_ATTRIBUTE_VALUE, MSG_END_INCOMPLETE, missing)
    return datetime.combine(end_date, end_time)


def _references(series: _Reader, keyword: str) -> tuple[SopReference, ...]:
    return tuple(
        SopReference(ref.uid("ReferencedSOPClassUID"), ref.uid("ReferencedSOPInstanceUID"))
        for ref in series.items(keyword) or ()
    )


def _performed_series(reader: _Reader) -> tuple[PerformedSeries, ...] | None:
    items = reader.items("PerformedSeriesSequence")
    if items is None:
        return None
    return tuple(
        PerformedSeries(
            series_instance_uid=item.uid("SeriesInstanceUID"),
            protocol_name=item.text("ProtocolName"),
            series_description=item.text("SeriesDescription"),
            performing_physician_name=item.text("PerformingPhysicianName"),
            operators_names=tuple(item.strings("OperatorsName") or ()),
            retrieve_ae_title=item.text("RetrieveAETitle"),
            images=_references(item, "ReferencedImageSequence"),
            non_images=_references(item, "ReferencedNonImageCompositeSOPInstanceSequence"),
        )
        for item in items
    )


def _dose(reader: _Reader) -> DoseSummary | None:
    entrance_mgy = reader.number("EntranceDoseInmGy")
    entrance_dgy = reader.integer("EntranceDose")
    if entrance_mgy is None and entrance_dgy is not None:
        entrance_mgy = entrance_dgy * 100.0  # (0040,0302) is in dGy
    summary = DoseSummary(
        fluoro_time_s=reader.integer("TotalTimeOfFluoroscopy"),
        exposure_count=reader.integer("TotalNumberOfExposures"),
        dap_dgy_cm2=reader.number("ImageAndFluoroscopyAreaDoseProduct"),
        entrance_dose_mgy=entrance_mgy,
        exposures=tuple(
            ExposureDose(
                radiation_mode=item.text("RadiationMode"),
                kvp_kv=item.number("KVP"),
                tube_current_ua=item.number("XRayTubeCurrentInuA"),
                exposure_time_ms=item.integer("ExposureTime"),
                filter_type=item.text("FilterType"),
                filter_materials=tuple(item.strings("FilterMaterial") or ()),
            )
            for item in reader.items("ExposureDoseSequence") or ()
        ),
    )
    return None if summary == DoseSummary() else summary
