"""MPPS: parsing N-CREATE and N-SET attribute lists, and final-state checks."""

import struct
from datetime import date, datetime
from io import BytesIO

import pytest
from pydicom.dataset import Dataset
from pynetdicom.dsutils import decode, encode

from irflow.dicom.charset import MSG_UNDECODABLE, MSG_UNSUPPORTED_CHARSET
from irflow.dicom.mpps import (
    MSG_CREATE_NOT_IN_PROGRESS,
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
    Code,
    MppsError,
    MppsStatus,
    PerformedSeries,
    check_final_state,
    parse_mpps_create,
    parse_mpps_set,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydicom.valuerep")

UID = "1.2.826.0.1.3680043.10.1.1"
XA_IMAGE = "1.2.840.10008.5.1.4.1.1.12.1"
DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.67"
IN_PROGRESS, COMPLETED, DISCONTINUED = "IN PROGRESS", "COMPLETED", "DISCONTINUED"


def wire(ds: Dataset) -> Dataset:
    encoded = encode(ds, False, True)
    assert encoded is not None
    return decode(BytesIO(encoded), False, True)


def dataset(**keys: object) -> Dataset:
    ds = Dataset()
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


def create_request(**changes: object) -> Dataset:
    step = dataset(
        StudyInstanceUID="1.2.826.0.1.1",
        AccessionNumber="A100",
        RequestedProcedureID="RP1",
        RequestedProcedureDescription="TIPS creation",
        ScheduledProcedureStepID="S1",
        ScheduledProcedureStepDescription="TIPS",
        ReferencedStudySequence=[],
        ScheduledProtocolCodeSequence=[],
    )
    ds = dataset(
        SpecificCharacterSet="ISO_IR 100",
        ScheduledStepAttributesSequence=[step],
        PatientName="Müller^Jörg",
        PatientID="P1",
        PatientBirthDate="19600517",
        PatientSex="M",
        ReferencedPatientSequence=[],
        PerformedProcedureStepID="PPS1",
        PerformedStationAETitle="ANGIO1",
        PerformedStationName="Angio suite 1",
        PerformedLocation="IR",
        PerformedProcedureStepStartDate="20250705",
        PerformedProcedureStepStartTime="101500",
        PerformedProcedureStepStatus=IN_PROGRESS,
        PerformedProcedureStepDescription="TIPS",
        PerformedProcedureTypeDescription="",
        ProcedureCodeSequence=[dataset(CodeValue="IR0042", CodingSchemeDesignator="99IRFLOW")],
        PerformedProcedureStepEndDate="",
        PerformedProcedureStepEndTime="",
        Modality="XA",
        StudyID="",
        PerformedProtocolCodeSequence=[],
        PerformedSeriesSequence=[],
    )
    for keyword, value in changes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    return ds


def refused(call, *args, **kwargs) -> MppsError:
    with pytest.raises(MppsError) as caught:
        call(*args, **kwargs)
    return caught.value


class TestCreate:
    def test_parse(self):
        created = parse_mpps_create(UID, wire(create_request()))
        assert created.sop_instance_uid == UID
        assert (created.pps_id, created.status) == ("PPS1", MppsStatus.IN_PROGRESS)
        assert created.start == datetime(2025, 7, 5, 10, 15)
        assert (created.station_ae_title, created.modality) == ("ANGIO1", "XA")
        assert (created.patient_id, created.patient_name) == ("P1", "Müller^Jörg")
        assert created.patient_birth_date == date(1960, 5, 17)
        (step,) = created.scheduled_steps
        assert (step.study_instance_uid, step.accession_number) == ("1.2.826.0.1.1", "A100")
        assert (step.requested_procedure_id, step.sps_id) == ("RP1", "S1")
        assert created.procedure_codes == (Code("IR0042", "99IRFLOW"),)
        assert (created.end, created.performed_series, created.dose) == (None, (), None)
        assert created.charset == ("ISO_IR 100",)
        assert not created.is_unscheduled

    def test_unscheduled_case(self):
        step = dataset(
            StudyInstanceUID="1.2.826.0.1.9", AccessionNumber="", ScheduledProcedureStepID=""
        )
        created = parse_mpps_create(UID, create_request(ScheduledStepAttributesSequence=[step]))
        assert created.is_unscheduled

    def test_absent_type_2_attributes_read_as_empty(self):
        created = parse_mpps_create(UID, create_request(PatientName=None, PatientBirthDate=None))
        assert (created.patient_name, created.patient_birth_date) == ("", None)

    @pytest.mark.parametrize(
        "keyword",
        [
            "ScheduledStepAttributesSequence",
            "PerformedProcedureStepID",
            "PerformedStationAETitle",
            "PerformedProcedureStepStartDate",
            "PerformedProcedureStepStartTime",
            "PerformedProcedureStepStatus",
            "Modality",
        ],
    )
    def test_missing_type_1_attribute(self, keyword):
        error = refused(parse_mpps_create, UID, create_request(**{keyword: None}))
        assert (error.status, error.comment, error.keyword) == (
            STATUS_MISSING_ATTRIBUTE,
            MSG_MISSING_ATTRIBUTE,
            keyword,
        )

    @pytest.mark.parametrize(
        "keyword",
        [
            "PerformedProcedureStepID",
            "PerformedStationAETitle",
            "PerformedProcedureStepStartDate",
            "Modality",
        ],
    )
    def test_empty_type_1_attribute(self, keyword):
        error = refused(parse_mpps_create, UID, wire(create_request(**{keyword: ""})))
        assert (error.status, error.comment, error.keyword) == (
            STATUS_MISSING_ATTRIBUTE_VALUE,
            MSG_MISSING_VALUE,
            keyword,
        )

    def test_empty_scheduled_step_sequence(self):
        error = refused(parse_mpps_create, UID, create_request(ScheduledStepAttributesSequence=[]))
        assert error.status == STATUS_MISSING_ATTRIBUTE_VALUE

    def test_scheduled_step_without_study_uid(self):
        step = dataset(AccessionNumber="A100")
        error = refused(
            parse_mpps_create, UID, create_request(ScheduledStepAttributesSequence=[step])
        )
        assert error.status == STATUS_MISSING_ATTRIBUTE
        assert error.keyword == "ScheduledStepAttributesSequence>StudyInstanceUID"
        assert error.tag == 0x0020000D

    @pytest.mark.parametrize("status", [COMPLETED, DISCONTINUED])
    def test_status_other_than_in_progress(self, status):
        error = refused(parse_mpps_create, UID, create_request(PerformedProcedureStepStatus=status))
        assert (error.status, error.comment, error.keyword) == (
            STATUS_INVALID_ATTRIBUTE_VALUE,
            MSG_CREATE_NOT_IN_PROGRESS,
            "PerformedProcedureStepStatus",
        )

    @pytest.mark.parametrize(
        ("keyword", "value", "comment"),
        [
            ("PerformedProcedureStepStartDate", "2025-07-05", MSG_INVALID_DATE),
            ("PerformedProcedureStepStartTime", "2561", MSG_INVALID_TIME),
            ("PatientBirthDate", "19601317", MSG_INVALID_DATE),
        ],
    )
    def test_invalid_values(self, keyword, value, comment):
        error = refused(parse_mpps_create, UID, create_request(**{keyword: value}))
        assert (error.status, error.comment, error.keyword) == (
            STATUS_INVALID_ATTRIBUTE_VALUE,
            comment,
            keyword,
        )

    def test_invalid_study_uid(self):
        step = dataset(StudyInstanceUID="1.2.x")
        error = refused(
            parse_mpps_create, UID, create_request(ScheduledStepAttributesSequence=[step])
        )
        assert (error.status, error.comment) == (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_UID)

    @pytest.mark.parametrize(
        ("uid", "comment"),
        [
            (None, MSG_MISSING_SOP_INSTANCE_UID),
            ("", MSG_MISSING_SOP_INSTANCE_UID),
            ("1.2.a", MSG_INVALID_UID),
        ],
    )
    def test_sop_instance_uid(self, uid, comment):
        error = refused(parse_mpps_create, uid, create_request())
        assert (error.status, error.comment) == (STATUS_INVALID_OBJECT_INSTANCE, comment)

    def test_undecodable_name(self):
        ds = wire(create_request())
        ds.SpecificCharacterSet = "ISO_IR 192"  # the bytes stay Latin-1
        error = refused(parse_mpps_create, UID, ds)
        assert (error.status, error.comment, error.keyword) == (
            STATUS_INVALID_ATTRIBUTE_VALUE,
            MSG_UNDECODABLE,
            "PatientName",
        )

    def test_unsupported_charset(self):
        error = refused(parse_mpps_create, UID, create_request(SpecificCharacterSet="ISO_IR 999"))
        assert (error.status, error.comment, error.keyword) == (
            STATUS_INVALID_ATTRIBUTE_VALUE,
            MSG_UNSUPPORTED_CHARSET,
            "SpecificCharacterSet",
        )


def series(*, images=(), non_images=(), **keys: object) -> Dataset:
    item = dataset(
        SeriesInstanceUID="1.2.826.0.1.1.1",
        ProtocolName="DSA 3 fps",
        SeriesDescription="Portal venogram",
        PerformingPhysicianName="House^Gregory",
        OperatorsName=["Tech^One", "Tech^Two"],
        RetrieveAETitle="PACS",
        ReferencedImageSequence=[
            dataset(ReferencedSOPClassUID=cls, ReferencedSOPInstanceUID=uid) for cls, uid in images
        ],
        ReferencedNonImageCompositeSOPInstanceSequence=[
            dataset(ReferencedSOPClassUID=cls, ReferencedSOPInstanceUID=uid)
            for cls, uid in non_images
        ],
    )
    for keyword, value in keys.items():
        if value is None:
            delattr(item, keyword)
        else:
            setattr(item, keyword, value)
    return item


class TestSet:
    def test_completed(self):
        ds = dataset(
            PerformedProcedureStepStatus=COMPLETED,
            PerformedProcedureStepEndDate="20250705",
            PerformedProcedureStepEndTime="113000",
            PerformedSeriesSequence=[
                series(
                    images=[(XA_IMAGE, "1.2.3.1"), (XA_IMAGE, "1.2.3.2")],
                    non_images=[(DOSE_SR, "1.2.3.9")],
                )
            ],
        )
        update = parse_mpps_set(UID, wire(ds))
        assert update.status is MppsStatus.COMPLETED
        assert update.end == datetime(2025, 7, 5, 11, 30)
        (performed,) = update.performed_series
        assert performed.series_instance_uid == "1.2.826.0.1.1.1"
        assert performed.operators_names == ("Tech^One", "Tech^Two")
        assert [ref.sop_instance_uid for ref in performed.images] == ["1.2.3.1", "1.2.3.2"]
        assert update.dose_report_uids == ("1.2.3.9",)
        assert (update.description, update.discontinuation_reasons, update.ignored_keywords) == (
            None,
            None,
            (),
        )

    def test_discontinued_with_reason(self):
        reason = dataset(
            CodeValue="110514",
            CodingSchemeDesignator="DCM",
            CodeMeaning="Incorrect worklist entry selected",
        )
        ds = dataset(
            PerformedProcedureStepStatus=DISCONTINUED,
            PerformedProcedureStepEndDate="20250705",
            PerformedProcedureStepEndTime="1031",
            PerformedProcedureStepDiscontinuationReasonCodeSequence=[reason],
            PerformedSeriesSequence=[],
        )
        update = parse_mpps_set(UID, ds)
        assert update.status is MppsStatus.DISCONTINUED
        assert update.discontinuation_reasons == (
            Code("110514", "DCM", "Incorrect worklist entry selected"),
        )
        assert update.performed_series == ()

    def test_interim_update_keeps_status(self):
        update = parse_mpps_set(UID, dataset(PerformedSeriesSequence=[series()]))
        assert (update.status, update.end) == (None, None)
        assert len(update.performed_series) == 1

    def test_invalid_status(self):
        error = refused(parse_mpps_set, UID, dataset(PerformedProcedureStepStatus="DONE"))
        assert (error.status, error.comment) == (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_STATUS)

    def test_end_date_without_time(self):
        ds = dataset(PerformedProcedureStepEndDate="20250705")
        error = refused(parse_mpps_set, UID, ds)
        assert (error.status, error.comment, error.keyword) == (
            STATUS_MISSING_ATTRIBUTE_VALUE,
            MSG_END_INCOMPLETE,
            "PerformedProcedureStepEndTime",
        )

    def test_not_allowed_attributes_are_ignored(self):
        ds = dataset(
            PatientName="Other^Patient", Modality="CT", PerformedProcedureStepDescription="TIPS"
        )
        update = parse_mpps_set(UID, ds)
        assert update.ignored_keywords == ("Modality", "PatientName")
        assert update.description == "TIPS"

    @pytest.mark.parametrize(
        ("item", "keyword"),
        [
            (series(SeriesInstanceUID=None), "PerformedSeriesSequence>SeriesInstanceUID"),
            (
                series(images=[(XA_IMAGE, "")]),
                "PerformedSeriesSequence>ReferencedImageSequence>ReferencedSOPInstanceUID",
            ),
        ],
    )
    def test_missing_series_identifiers(self, item, keyword):
        error = refused(parse_mpps_set, UID, wire(dataset(PerformedSeriesSequence=[item])))
        assert error.keyword == keyword
        assert error.status in (STATUS_MISSING_ATTRIBUTE, STATUS_MISSING_ATTRIBUTE_VALUE)

    def test_dose_summary(self):
        exposure = dataset(
            RadiationMode="PULSED",
            KVP="78.5",
            XRayTubeCurrentInuA="12000",
            ExposureTime="250",
            FilterMaterial=["CU", "AL"],
        )
        ds = dataset(
            TotalTimeOfFluoroscopy=312,
            TotalNumberOfExposures=14,
            ImageAndFluoroscopyAreaDoseProduct="45.2",
            EntranceDoseInmGy="820",
            ExposureDoseSequence=[exposure],
        )
        dose = parse_mpps_set(UID, wire(ds)).dose
        assert dose is not None
        assert (dose.fluoro_time_s, dose.exposure_count) == (312, 14)
        assert (dose.dap_dgy_cm2, dose.entrance_dose_mgy) == (45.2, 820.0)
        (item,) = dose.exposures
        assert (item.radiation_mode, item.kvp_kv, item.exposure_time_ms) == ("PULSED", 78.5, 250)
        assert item.filter_materials == ("CU", "AL")

    def test_entrance_dose_in_dgy_is_converted(self):
        dose = parse_mpps_set(UID, wire(dataset(EntranceDose=8))).dose
        assert dose is not None and dose.entrance_dose_mgy == 800.0

    def test_no_dose_attributes(self):
        assert parse_mpps_set(UID, dataset(PerformedProcedureStepDescription="x")).dose is None

    def test_invalid_number(self):
        # pydicom refuses to build this value, so it is sent as raw explicit VR bytes.
        raw = struct.pack("<HH", 0x0018, 0x115E) + b"DS" + struct.pack("<H", 4) + b"lots"
        error = refused(parse_mpps_set, UID, decode(BytesIO(raw), False, True))
        assert (error.status, error.comment) == (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_NUMBER)

    def test_charset_inherited_from_create(self):
        latin = wire(
            dataset(SpecificCharacterSet="ISO_IR 100", CommentsOnThePerformedProcedureStep="Gefäß")
        )
        del latin.SpecificCharacterSet
        update = parse_mpps_set(UID, latin, create_charset=("ISO_IR 100",))
        assert update.comments == "Gefäß"
        with pytest.raises(MppsError):
            parse_mpps_set(UID, latin)


class TestFinalState:
    END = datetime(2025, 7, 5, 11, 30)
    SERIES = (PerformedSeries("1.2.3"),)

    def test_complete_step(self):
        check_final_state(status=MppsStatus.COMPLETED, end=self.END, performed_series=self.SERIES)

    def test_in_progress_is_never_checked(self):
        check_final_state(status=MppsStatus.IN_PROGRESS, end=None, performed_series=())

    @pytest.mark.parametrize("status", [MppsStatus.COMPLETED, MppsStatus.DISCONTINUED])
    def test_end_required(self, status):
        error = refused(check_final_state, status=status, end=None, performed_series=self.SERIES)
        assert (error.status, error.comment) == (
            STATUS_MISSING_ATTRIBUTE_VALUE,
            MSG_FINAL_STATE_NO_END,
        )

    def test_completed_needs_a_series(self):
        error = refused(
            check_final_state, status=MppsStatus.COMPLETED, end=self.END, performed_series=()
        )
        assert (error.status, error.comment) == (
            STATUS_MISSING_ATTRIBUTE_VALUE,
            MSG_FINAL_STATE_NO_SERIES,
        )

    def test_discontinued_may_have_no_series(self):
        check_final_state(status=MppsStatus.DISCONTINUED, end=self.END, performed_series=())
