"""The worklist's own encoder writes the bytes pynetdicom would write for the reference
response (`irflow.dicom.worklist.build_response`): every key, both little-endian transfer
syntaxes, the response character sets, and the P-DATA fragmentation of each answer."""

from __future__ import annotations

import logging
from datetime import date, datetime
from io import BytesIO

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom.dimse_messages import C_FIND_RSP
from pynetdicom.dimse_primitives import C_FIND
from pynetdicom.dsutils import decode, encode
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]

from irflow.dicom.worklist import Code, WorklistItem, build_response, parse_worklist_query
from irflow.dicom.worklist.keys import TOP_KEYS, KeySpec
from irflow.dicomserver.worklist.wire import PendingMessage, dataset_bytes, identifier_plan

SYNTAXES = (ImplicitVRLittleEndian, ExplicitVRLittleEndian)
CHARSETS = ("ISO_IR 192", "ISO_IR 100", "ISO_IR 6", "ISO_IR 144", "ISO_IR 101")

ITEMS = [
    WorklistItem(
        patient_name="MÜLLER^Jörg",
        patient_id="P1",
        issuer_of_patient_id="HOSP",
        patient_birth_date=date(1960, 5, 17),
        patient_sex="M",
        patient_weight_kg=81.5,
        patient_size_m=1.815,
        allergies=("Iodinated contrast", "Latex", "Łatex"),
        medical_alerts=("On dialysis",),
        pregnancy_status=4,
        accession_number="A100",
        referring_physician_name="Łukasiewicz^Jan",
        requesting_physician_name="Ng",
        requested_procedure_id="RP1",
        requested_procedure_description="TIPS creation",
        requested_procedure_code=Code("IR0042", "99IRFLOW", "TIPS"),
        requested_procedure_priority="STAT",
        reason_for_requested_procedure="Claudication left calf",
        study_instance_uid="1.2.826.0.1.1",  # odd length: padded with NUL
        sps_id="S1",
        sps_status="SCHEDULED",
        sps_station_ae_title="ANGIO1",
        sps_station_name="ANGIO1",
        sps_location="Suite 1",
        sps_modality="XA",
        sps_start=datetime(2025, 7, 5, 10, 0, 0, 500000),
        sps_performing_physician_name="Ødegård^Sven",
        sps_description="TIPS",
        sps_protocol_codes=(Code("P1", "99IRFLOW", "Portal venogram"), Code("P2", "99IRFLOW")),
    ),
    WorklistItem(
        patient_name="Yamada^Tarou=山田^太郎=やまだ^たろう",
        patient_id="P22",
        patient_birth_date=None,
        patient_weight_kg=80.0,
        patient_size_m=None,
        accession_number="",
        requested_procedure_code=Code("X", "99IRFLOW", "Straße ☢ Ω"),
        sps_start=datetime(2025, 12, 31, 23, 59, 59),
        sps_status="STARTED",
        sps_modality="CT",
    ),
    WorklistItem(patient_name="Nguyễn^Zoë", sps_start=None, patient_weight_kg=102.3),
    WorklistItem(),
]


def empty(specs: tuple[KeySpec, ...] = TOP_KEYS) -> Dataset:
    ds = Dataset()
    for spec in specs:
        if spec.vr == "SQ":
            ds.add_new(spec.tag, "SQ", [empty(spec.items)] if spec.items else [])
        else:
            ds.add_new(spec.tag, spec.vr, None)
    return ds


def on_the_wire(ds: Dataset) -> Dataset:
    data = encode(ds, True, True)
    assert data is not None
    return decode(BytesIO(data), True, True)


def queries() -> dict[str, Dataset]:
    everything = empty()
    everything.PatientComments = ""  # outside Table K.6-1
    everything.add_new(0x00091010, "LO", None)  # private
    everything.add_new(0x00400275, "SQ", [])  # a sequence irflow does not know
    some = Dataset()
    some.PatientName = ""
    some.StudyInstanceUID = ""
    sps = Dataset()
    sps.ScheduledProcedureStepStartDate = ""
    sps.ScheduledPerformingPhysicianName = ""
    some.ScheduledProcedureStepSequence = [sps]
    whole_sequences = Dataset()
    whole_sequences.ScheduledProcedureStepSequence = []  # zero-length: every item key
    whole_sequences.RequestedProcedureCodeSequence = []
    whole_sequences.Allergies = ""
    return {"everything": everything, "some": some, "whole-sequences": whole_sequences}


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("charset", CHARSETS)
def test_the_same_bytes_as_the_reference_response(syntax, charset):
    for name, identifier in queries().items():
        query = parse_worklist_query(on_the_wire(identifier))
        plan = identifier_plan(query, charset, syntax)
        for n, item in enumerate(ITEMS):
            expected = dataset_bytes(build_response(query, item, charset), syntax)
            assert plan.encode(item) == expected, (name, n)
            assert plan.encode(item) == expected, "the second time, from the caches"


def test_transliteration_is_logged_by_keyword_only(caplog):
    query = parse_worklist_query(on_the_wire(queries()["some"]))
    plan = identifier_plan(query, "ISO_IR 100", ExplicitVRLittleEndian)
    with caplog.at_level(logging.INFO):
        plan.encode(ITEMS[2])
    assert "transliterated PatientName for charset ISO_IR 100" in caplog.text
    assert "Nguy" not in caplog.text


@pytest.mark.parametrize("maximum_length", [0, 16382, 64, 7 + 6])
@pytest.mark.parametrize("status", [0xFF00, 0xFF01])
def test_pending_answers_are_fragmented_as_pynetdicom_does(maximum_length, status):
    request = C_FIND()
    request.MessageID = 7
    request.AffectedSOPClassUID = ModalityWorklistInformationFind
    query = parse_worklist_query(on_the_wire(queries()["everything"]))
    identifier = build_response(query, ITEMS[0], "ISO_IR 192")
    encoded = dataset_bytes(identifier, ImplicitVRLittleEndian)

    response = C_FIND()
    response.MessageID = response.MessageIDBeingRespondedTo = 7
    response.AffectedSOPClassUID = ModalityWorklistInformationFind
    response.Status = status
    response.Identifier = BytesIO(encoded)
    message = C_FIND_RSP()
    message.primitive_to_message(response)
    expected = [p.presentation_data_value_list for p in message.encode_msg(3, maximum_length)]

    pending = PendingMessage(3, request, status, maximum_length)
    got = [p.presentation_data_value_list for p in pending.primitives(encoded)]
    assert got == expected
    if maximum_length == 13:
        assert len(got) > 100  # 7-byte fragments
