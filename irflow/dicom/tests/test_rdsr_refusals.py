"""Files that are not X-ray dose reports are refused with a reason a technologist can read."""

import io
import random

import pytest
from pydicom import dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from irflow.dicom.rdsr import (
    NotADoseReport,
    RdsrError,
    UnreadableDicom,
    UnsupportedDoseReport,
    extract,
    extract_dataset,
)
from irflow.dicom.rdsr.errors import MSG_RADIOPHARMACEUTICAL
from irflow.dicom.rdsr_builder import (
    NonDoseSr,
    ProjectionRdsr,
    RadiopharmaceuticalSr,
    make_events,
)


def test_non_dose_sr_is_refused_naming_its_root_concept():
    with pytest.raises(NotADoseReport) as refused:
        extract(NonDoseSr().to_bytes())

    assert str(refused.value) == (
        'SR root concept is 18748-4 (LN) "Diagnostic Imaging Report", '
        "not 113701 X-Ray Radiation Dose Report."
    )


def test_radiopharmaceutical_dose_sr_is_refused():
    with pytest.raises(UnsupportedDoseReport) as refused:
        extract(RadiopharmaceuticalSr().to_bytes())

    assert str(refused.value) == MSG_RADIOPHARMACEUTICAL.format(
        detail="SOP class 1.2.840.10008.5.1.4.1.1.88.68"
    )
    assert "not projection X-ray or CT" in str(refused.value)


def test_radiopharmaceutical_template_is_refused_whatever_the_sop_class():
    dataset = RadiopharmaceuticalSr().dataset()
    dataset.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.22"

    with pytest.raises(UnsupportedDoseReport, match="TID 10021"):
        extract_dataset(dataset)


def test_dicom_that_is_not_a_structured_report_is_refused():
    dataset = Dataset()
    dataset.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
    dataset.SOPInstanceUID = "2.25.1"
    dataset.PatientID = "X"
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = io.BytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)

    with pytest.raises(NotADoseReport, match=r"^Not a structured report: SOP class 1\.2\.840"):
        extract(buffer.getvalue())


def test_dose_report_of_unknown_kind_is_refused():
    dataset = ProjectionRdsr(events=(), template_identifier=False).dataset()
    dataset.ContentSequence = [
        item for item in dataset.ContentSequence if item.ValueType != "CONTAINER"
    ][1:]  # drop the accumulated data and "Procedure reported"

    with pytest.raises(UnsupportedDoseReport, match="procedure reported is not stated"):
        extract_dataset(dataset)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a dicom file at all",
        bytes(random.Random(1).getrandbits(8) for _ in range(4096)),
        b"\x00" * 128 + b"DICM",
    ],
    ids=["empty", "text", "random", "preamble-only"],
)
def test_garbage_is_unreadable(data):
    with pytest.raises(UnreadableDicom):
        extract(data)


def test_random_bytes_after_a_valid_preamble_are_unreadable():
    noise = bytes(random.Random(2).getrandbits(8) for _ in range(2048))

    with pytest.raises(UnreadableDicom):
        extract(b"\x00" * 128 + b"DICM" + noise)


@pytest.mark.parametrize("undefined_lengths", [False, True])
@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.8, 0.95, 0.999])
def test_truncated_file_is_unreadable(fraction, undefined_lengths):
    data = ProjectionRdsr(events=make_events(4)).to_bytes(undefined_lengths=undefined_lengths)

    with pytest.raises(UnreadableDicom, match="damaged or truncated"):
        extract(data[: int(len(data) * fraction)])


def test_every_refusal_is_an_rdsr_error():
    for refusal in (NotADoseReport, UnreadableDicom, UnsupportedDoseReport):
        assert issubclass(refusal, RdsrError)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        extract(tmp_path / "absent.dcm")
