"""The byte walker and the pydicom fallback give the same report for every encoding."""

import io
import struct

import pytest
from pydicom import dcmread, dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from irflow.dicom.rdsr import extract, extract_dataset
from irflow.dicom.rdsr.extract import read_document
from irflow.dicom.rdsr.walker import read_file_start
from irflow.dicom.rdsr_builder import CtRdsr, ProjectionRdsr, UnitStyle, make_events

RDSR = ProjectionRdsr(
    events=make_events(5, seed=21, biplane=True),
    private_items_per_event=3,
    patient_name="Müller^Jörg",
    units=UnitStyle(dap="Gym2", scheme="UCM"),
    multi_valued_concepts=frozenset({"113733"}),
    empty_concepts=frozenset({"113767"}),
)


@pytest.fixture(scope="module")
def reference():
    return extract(RDSR.to_bytes())


def test_reference_report_is_complete(reference):
    assert reference.patient_name == "Müller^Jörg"
    assert len(reference.events) == 5
    assert len(reference.warnings) == 3  # Gym2, UCM, multi-valued KVP


@pytest.mark.parametrize("undefined_lengths", [False, True], ids=["defined", "undefined"])
@pytest.mark.parametrize(
    "syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian], ids=["explicit", "implicit"]
)
def test_fast_path_encodings_agree(reference, syntax, undefined_lengths):
    data = RDSR.to_bytes(transfer_syntax=syntax, undefined_lengths=undefined_lengths)

    assert read_file_start(data).transfer_syntax == syntax
    assert extract(data) == reference


@pytest.mark.parametrize(
    "syntax", [DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian], ids=["deflated", "big-endian"]
)
def test_pydicom_fallback_equals_fast_path(reference, syntax):
    assert extract(RDSR.to_bytes(transfer_syntax=syntax)) == reference


def test_pydicom_dataset_read_from_file_equals_fast_path(reference):
    assert extract_dataset(dcmread(io.BytesIO(RDSR.to_bytes()))) == reference


def test_dataset_built_in_memory_equals_fast_path(reference):
    assert extract_dataset(RDSR.dataset()) == reference


def test_iso_2022_japanese_names_decode_as_pydicom_does():
    rdsr = CtRdsr(
        character_set="\\ISO 2022 IR 87",
        patient_name="Yamada^Tarou=山田^太郎",
        station_name="CT1",
    )
    data = rdsr.to_bytes()

    fast = extract(data)

    assert fast.patient_name == "Yamada^Tarou=山田^太郎"
    assert fast == extract_dataset(dcmread(io.BytesIO(data)))


def test_path_and_str_sources(tmp_path, reference):
    path = RDSR.write(tmp_path / "dose.dcm")

    assert extract(path) == reference
    assert extract(str(path)) == reference
    assert extract(bytearray(path.read_bytes())) == reference


def test_file_meta_without_preamble(reference):
    assert extract(RDSR.to_bytes()[132:]) == reference


def test_content_sequence_stored_with_vr_un_is_read_as_implicit(reference):
    dataset = RDSR.dataset()
    sequence_only = Dataset()
    sequence_only.ContentSequence = dataset.ContentSequence
    encoded = io.BytesIO()
    dcmwrite(encoded, sequence_only, implicit_vr=True, little_endian=True)
    value = encoded.getvalue()[8:]  # the sequence value, without its tag and length
    del dataset.ContentSequence
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out = io.BytesIO()
    dcmwrite(out, dataset, enforce_file_format=True)
    # (0040,A730) sorts after every other top-level element, so appending keeps tag order.
    un_element = struct.pack("<HH2sHI", 0x0040, 0xA730, b"UN", 0, len(value)) + value

    assert extract(out.getvalue() + un_element) == reference


def test_encapsulated_fragments_are_skipped(reference):
    fragments = b"".join(
        [
            struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF),
            struct.pack("<HHI", 0xFFFE, 0xE000, 0),
            struct.pack("<HHI", 0xFFFE, 0xE000, 6) + b"\xff\xd8\x00\x01\xff\xd9",
            struct.pack("<HHI", 0xFFFE, 0xE0DD, 0),
        ]
    )

    assert extract(RDSR.to_bytes() + fragments) == reference


def test_document_counts_every_content_item():
    document = read_document(ProjectionRdsr(events=make_events(2)).to_bytes())

    assert document.root is not None
    assert document.item_count == sum(1 for _ in document.root.walk())
