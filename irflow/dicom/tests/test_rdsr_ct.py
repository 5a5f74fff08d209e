"""CT dose reports (TID 10011) read back from the synthetic builder."""

import pytest

from irflow.dicom.rdsr import Code, TemplateKind, extract
from irflow.dicom.rdsr_builder import ENHANCED_SR, XRAY_RADIATION_DOSE_SR, CtRdsr, make_ct_scans


def test_ct_totals_and_acquisitions():
    rdsr = CtRdsr(scans=make_ct_scans(4, seed=2))

    report = extract(rdsr.to_bytes())

    assert report.sop_class_uid == XRAY_RADIATION_DOSE_SR
    assert report.template is TemplateKind.CT
    assert report.procedure_reported == Code("P5-08000", "SRT", "Computed Tomography X-Ray")
    assert report.dlp_total_mgy_cm == pytest.approx(rdsr.dlp_total_mgy_cm)
    assert report.ct_event_count == 4
    assert report.planes == ()
    assert report.events == ()
    assert report.dap_total_gy_cm2 is None
    for built, read in zip(rdsr.scans, report.ct_acquisitions, strict=True):
        assert read.event_uid == built.uid
        assert read.acquisition_protocol == built.protocol
        assert read.target_region == Code("T-D4000", "SRT", "Abdomen")
        assert read.scanning_length_mm == pytest.approx(built.scanning_length_mm)
        assert read.pitch_factor == (
            None if built.pitch_factor is None else pytest.approx(built.pitch_factor)
        )
        assert read.mean_ctdi_vol_mgy == pytest.approx(built.ctdi_vol_mgy)
        assert read.dlp_mgy_cm == pytest.approx(built.dlp_mgy_cm)
        assert read.exposure_time_s == pytest.approx(built.exposure_time_s)
        assert read.ctdi_phantom_type == Code("113691", "DCM", "IEC Body Dosimetry Phantom")
    assert [a.acquisition_type.value for a in report.ct_acquisitions] == [
        "113805",
        "P5-08001",
        "P5-08001",
        "P5-08001",
    ]
    assert report.warnings == ()


def test_enhanced_sr_with_dose_report_root_is_accepted():
    report = extract(CtRdsr(enhanced_sr=True).to_bytes())

    assert report.sop_class_uid == ENHANCED_SR
    assert report.template is TemplateKind.CT
    assert len(report.ct_acquisitions) == 3


def test_ct_kind_found_without_template_identifier():
    report = extract(CtRdsr(template_identifier=False).to_bytes())

    assert report.template is TemplateKind.CT


def test_ct_multi_valued_and_empty_values():
    rdsr = CtRdsr(multi_valued_concepts=frozenset({"113830"}), empty_concepts=frozenset({"113828"}))

    report = extract(rdsr.to_bytes())

    assert [a.mean_ctdi_vol_mgy for a in report.ct_acquisitions] == [
        pytest.approx(scan.ctdi_vol_mgy) for scan in rdsr.scans
    ]
    assert all(a.pitch_factor is None for a in report.ct_acquisitions)
    assert len(report.warnings) == 1
    assert "Mean CTDIvol" in report.warnings[0]
