"""The synthetic SR builder: deterministic, valid DICOM, identifiers under the caller's control."""

import io
from dataclasses import replace

import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from irflow.dicom.rdsr_builder import (
    ENHANCED_SR,
    RADIOPHARMACEUTICAL_RADIATION_DOSE_SR,
    XRAY_RADIATION_DOSE_SR,
    CtRdsr,
    NonDoseSr,
    ProjectionRdsr,
    RadiopharmaceuticalSr,
    make_events,
    plane_totals,
)


def test_same_seed_same_bytes_other_seed_other_identifiers():
    first = ProjectionRdsr(seed=3, events=make_events(4, seed=3)).to_bytes()
    again = ProjectionRdsr(seed=3, events=make_events(4, seed=3)).to_bytes()
    other = ProjectionRdsr(seed=4, events=make_events(4, seed=4))

    assert first == again
    assert other.uids()["sop"] != ProjectionRdsr(seed=3).uids()["sop"]
    assert make_events(4, seed=4) != make_events(4, seed=3)


def test_file_meta_and_transfer_syntax():
    for syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        data = ProjectionRdsr().to_bytes(transfer_syntax=syntax)
        dataset = dcmread(io.BytesIO(data))

        assert data[128:132] == b"DICM"
        assert dataset.file_meta.TransferSyntaxUID == syntax
        assert dataset.file_meta.MediaStorageSOPClassUID == XRAY_RADIATION_DOSE_SR


def test_undefined_lengths_switch():
    dataset = dcmread(io.BytesIO(ProjectionRdsr().to_bytes(undefined_lengths=True)))

    assert dataset["ContentSequence"].is_undefined_length
    assert dataset.ContentSequence[0].is_undefined_length_sequence_item


def test_identifiers_given_by_the_caller_are_used():
    events = (replace(make_events(1)[0], uid="1.2.3.4"),)
    rdsr = ProjectionRdsr(
        events=events, study_instance_uid="1.2.3", mpps_uid="1.2.5", sop_instance_uid="1.2.6"
    )

    dataset = rdsr.dataset()

    assert dataset.StudyInstanceUID == "1.2.3"
    assert dataset.SOPInstanceUID == "1.2.6"
    assert dataset.ReferencedPerformedProcedureStepSequence[0].ReferencedSOPInstanceUID == "1.2.5"
    assert "1.2.4" not in str(dataset)
    assert "1.2.3.4" in str(dataset)


def test_missing_study_uid_and_mpps_are_left_out():
    dataset = ProjectionRdsr(study_instance_uid=None, mpps_uid=None).dataset()

    assert "StudyInstanceUID" not in dataset
    assert "ReferencedPerformedProcedureStepSequence" not in dataset


def test_sop_classes_of_the_other_reports():
    assert CtRdsr().dataset().SOPClassUID == XRAY_RADIATION_DOSE_SR
    assert CtRdsr(enhanced_sr=True).dataset().SOPClassUID == ENHANCED_SR
    assert NonDoseSr().dataset().SOPClassUID == ENHANCED_SR
    assert RadiopharmaceuticalSr().dataset().SOPClassUID == RADIOPHARMACEUTICAL_RADIATION_DOSE_SR


def test_biplane_follows_the_events():
    assert ProjectionRdsr(events=make_events(4, biplane=True)).biplane
    assert set(ProjectionRdsr(events=make_events(4, biplane=True)).planes()) == {"A", "B"}
    assert set(ProjectionRdsr(events=make_events(4)).planes()) == {"single"}


def test_plane_totals_split_fluoro_and_acquisition():
    events = make_events(20, seed=12)

    totals = plane_totals(events)

    assert totals.dap_gy_cm2 == sum(e.dap_gy_cm2 for e in events)
    assert totals.fluoro_dap_gy_cm2 + totals.acquisition_dap_gy_cm2 == pytest.approx(
        totals.dap_gy_cm2
    )
    assert totals.frames == sum(e.number_of_pulses for e in events if not e.is_fluoro)


def test_write(tmp_path):
    path = CtRdsr().write(tmp_path / "ct.dcm", transfer_syntax=ImplicitVRLittleEndian)

    assert dcmread(path).file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
