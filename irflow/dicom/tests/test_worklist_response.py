"""Building response identifiers: only the requested keys, in the remote AE's character set."""

import logging
from datetime import date, datetime
from io import BytesIO

import pytest
from pydicom.dataset import Dataset
from pynetdicom.dsutils import decode, encode

from irflow.dicom.charset import CharsetError
from irflow.dicom.worklist import Code, WorklistItem, build_response, parse_worklist_query

ITEM = WorklistItem(
    patient_name="MÜLLER^Jörg",
    patient_id="P1",
    patient_birth_date=date(1960, 5, 17),
    patient_weight_kg=81.5,
    allergies=("Iodinated contrast", "Latex"),
    pregnancy_status=4,
    accession_number="A100",
    referring_physician_name="Łukasiewicz^Jan",
    requested_procedure_id="RP1",
    requested_procedure_description="TIPS creation",
    requested_procedure_code=Code("IR0042", "99IRFLOW", "TIPS"),
    study_instance_uid="1.2.826.0.1.1",
    sps_id="S1",
    sps_status="SCHEDULED",
    sps_station_ae_title="ANGIO1",
    sps_modality="XA",
    sps_start=datetime(2025, 7, 5, 10, 0, 0, 500000),
    sps_description="TIPS",
    sps_protocol_codes=(Code("P1", "99IRFLOW", "Portal venogram"), Code("P2", "99IRFLOW", "Shunt")),
)


def wire(ds: Dataset) -> Dataset:
    encoded = encode(ds, False, True)
    assert encoded is not None
    return decode(BytesIO(encoded), False, True)


def request(sps: dict | None = None, **keys: object) -> Dataset:
    ds = Dataset()
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    if sps is not None:
        item = Dataset()
        for keyword, value in sps.items():
            setattr(item, keyword, value)
        ds.ScheduledProcedureStepSequence = [item]
    return ds


def respond(ds: Dataset, item: WorklistItem = ITEM, charset: str = "ISO_IR 192") -> Dataset:
    return build_response(parse_worklist_query(wire(ds)), item, charset)


def test_only_requested_keys_are_returned():
    response = respond(
        request({"Modality": "", "ScheduledProcedureStepStartDate": ""}, PatientID="")
    )
    assert [elem.keyword for elem in response] == [
        "SpecificCharacterSet",
        "PatientID",
        "ScheduledProcedureStepSequence",
    ]
    (sps,) = response.ScheduledProcedureStepSequence
    assert [elem.keyword for elem in sps] == ["Modality", "ScheduledProcedureStepStartDate"]
    assert (sps.Modality, sps.ScheduledProcedureStepStartDate) == ("XA", "20250705")


def test_values_come_from_the_item_not_the_query():
    response = respond(request(SpecificCharacterSet="ISO_IR 192", PatientName="müller*"))
    assert str(response.PatientName) == "MÜLLER^Jörg"


def test_requested_keys_without_value_are_zero_length():
    response = respond(request(PatientSex="", AdmissionID="", PatientTransportArrangements=""))
    for keyword in ("PatientSex", "AdmissionID", "PatientTransportArrangements"):
        assert keyword in response
        assert response[keyword].is_empty


def test_unknown_and_private_keys_are_echoed_empty():
    ds = request(PatientComments="")
    ds.add_new(0x00091010, "LO", "")
    response = respond(ds)
    assert response["PatientComments"].is_empty
    assert response[0x00091010].is_empty and response[0x00091010].VR == "LO"


@pytest.mark.parametrize("items", [[], [Dataset()]], ids=["zero-length", "empty item"])
def test_whole_sps_sequence(items):
    ds = Dataset()
    ds.ScheduledProcedureStepSequence = items
    (sps,) = respond(ds).ScheduledProcedureStepSequence
    assert sps.ScheduledStationAETitle == "ANGIO1"
    assert sps.ScheduledProcedureStepStartTime == "100000.500000"
    assert sps.ScheduledProcedureStepID == "S1"
    assert [code.CodeValue for code in sps.ScheduledProtocolCodeSequence] == ["P1", "P2"]


def test_code_sequence_with_requested_item_keys():
    code = Dataset()
    code.CodeValue = ""
    ds = Dataset()
    ds.RequestedProcedureCodeSequence = [code]
    (item,) = respond(ds).RequestedProcedureCodeSequence
    assert [elem.keyword for elem in item] == ["CodeValue"]
    assert item.CodeValue == "IR0042"


def test_code_sequence_requested_whole():
    ds = Dataset()
    ds.RequestedProcedureCodeSequence = []
    (item,) = respond(ds).RequestedProcedureCodeSequence
    assert (item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning) == (
        "IR0042",
        "99IRFLOW",
        "TIPS",
    )
    assert item["CodingSchemeVersion"].is_empty


def test_absent_code_and_unkept_sequences_are_empty():
    ds = Dataset()
    ds.RequestedProcedureCodeSequence = []
    ds.ReferencedStudySequence = []
    response = respond(ds, item=WorklistItem(patient_id="P9"))
    assert len(response.RequestedProcedureCodeSequence) == 0
    assert len(response.ReferencedStudySequence) == 0


def test_value_representations():
    response = respond(
        request(PatientBirthDate="", PatientWeight="", Allergies="", PregnancyStatus=None)
    )
    assert response.PatientBirthDate == "19600517"
    assert response.PatientWeight == 81.5
    assert list(response.Allergies) == ["Iodinated contrast", "Latex"]
    assert response.PregnancyStatus == 4
    assert wire(response).PregnancyStatus == 4


@pytest.mark.parametrize("charset", ["ISO_IR 100", "ISO_IR 192"])
def test_names_round_trip(charset):
    response = respond(request(PatientName=""), charset=charset)
    assert response.SpecificCharacterSet == charset
    assert str(wire(response).PatientName) == "MÜLLER^Jörg"


def test_unrepresentable_name_is_transliterated(caplog):
    with caplog.at_level(logging.INFO):
        response = respond(request(ReferringPhysicianName=""), charset="ISO_IR 100")
    assert str(wire(response).ReferringPhysicianName) == "Lukasiewicz^Jan"
    assert "ReferringPhysicianName" in caplog.text
    assert "Łukasiewicz" not in caplog.text


def test_default_repertoire_sends_no_charset():
    response = respond(request(PatientName=""), charset="ISO_IR 6")
    assert "SpecificCharacterSet" not in response
    assert str(wire(response).PatientName) == "MULLER^Jorg"


def test_unsupported_response_charset():
    with pytest.raises(CharsetError):
        respond(request(PatientName=""), charset="ISO 2022 IR 87")
