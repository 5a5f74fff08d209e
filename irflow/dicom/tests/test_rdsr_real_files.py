"""Real vendor dose reports from ../shared/data/rdsr (OpenREM's test files, not copied here).

Expected totals are those listed in shared/data/README.md (OpenREM's figures, in Gy·cm²).
"""

from pathlib import Path

import pytest
from pydicom import dcmread

from irflow.dicom.rdsr import (
    NotADoseReport,
    Plane,
    ReferencePoint,
    TemplateKind,
    UnsupportedDoseReport,
    extract,
    extract_dataset,
)
from irflow.dicom.rdsr_builder import ENHANCED_SR

RDSR_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "rdsr"

pytestmark = pytest.mark.skipif(
    not RDSR_DIR.is_dir(),
    reason=f"shared vendor RDSR files not present at {RDSR_DIR} (they are not in the repo)",
)

# file: (DAP Gy·cm², Ka,r mGy, fluoro time s, events); None where the README gives none.
PROJECTION = {
    "RF-RDSR-Siemens-Zee.dcm": (0.16, 2.52, 28.0, 8),
    "RF-RDSR-Philips_Allura.dcm": (1.536, 4.27, 13.0, 3),
    "RF-RDSR-GE.dcm": (2.413, 11.73, 72.46, 8),
    "RF-RDSR-Canon-Ultimaxi-mGyDoseAtRP.dcm": (12.66, 30.57, 111.0, 18),
    "DX-RDSR-Canon_CXDI.dcm": (0.107, None, None, 1),
}
CT = {
    "CT-RDSR-Siemens_Flash-TAP-SS.dcm": 4,
    "CT-ESR-GE_VCT.dcm": 27,
    "CT-RDSR-Toshiba_MultiValSD.dcm": 3,
}


def within_half_percent(value: float | None, expected: float) -> bool:
    return value is not None and abs(value - expected) <= 0.005 * expected


@pytest.mark.parametrize("name", sorted(PROJECTION))
def test_projection_totals_match_openrem(name):
    dap, ka_r, fluoro_time, events = PROJECTION[name]

    report = extract(RDSR_DIR / name)

    assert report.template is TemplateKind.PROJECTION
    assert within_half_percent(report.dap_total_gy_cm2, dap), report.dap_total_gy_cm2
    if ka_r is not None:
        assert within_half_percent(report.ka_r_total_mgy, ka_r), report.ka_r_total_mgy
    if fluoro_time is not None:
        assert within_half_percent(report.fluoro_time_total_s, fluoro_time)
    assert len(report.events) == events
    assert all(event.event_uid for event in report.events)


@pytest.mark.parametrize("name", sorted(PROJECTION) + sorted(CT))
def test_fast_path_equals_pydicom_path(name):
    path = RDSR_DIR / name

    assert extract(path) == extract_dataset(dcmread(path))


@pytest.mark.parametrize("name", sorted(CT))
def test_ct_reports_are_read(name):
    report = extract(RDSR_DIR / name)

    assert report.template is TemplateKind.CT
    assert len(report.ct_acquisitions) == CT[name]
    assert report.ct_event_count == CT[name]
    assert report.dlp_total_mgy_cm is not None and report.dlp_total_mgy_cm > 0


def test_ge_vct_enhanced_sr_is_accepted():
    report = extract(RDSR_DIR / "CT-ESR-GE_VCT.dcm")

    assert report.sop_class_uid == ENHANCED_SR
    assert report.dlp_total_mgy_cm == pytest.approx(2002.39)
    assert 'unit "mGycm" is not valid UCUM; read as "mGy.cm"' in report.warnings


def test_toshiba_multi_valued_numeric_gives_values_and_a_warning():
    report = extract(RDSR_DIR / "CT-RDSR-Toshiba_MultiValSD.dcm")

    assert report.dlp_total_mgy_cm == pytest.approx(136.9)
    assert report.ct_acquisitions[2].mean_ctdi_vol_mgy == pytest.approx(3.2)
    assert report.ct_acquisitions[2].dlp_mgy_cm == pytest.approx(136.9)
    assert report.warnings == (
        '"Standard deviation of population" (DCM 121414) has several numeric values '
        '(e.g. "10.50/ 15.00"); only the first is read',
    )


def test_vendor_quirks():
    siemens = extract(RDSR_DIR / "RF-RDSR-Siemens-Zee.dcm")
    philips = extract(RDSR_DIR / "RF-RDSR-Philips_Allura.dcm")
    ge = extract(RDSR_DIR / "RF-RDSR-GE.dcm")
    canon_dx = extract(RDSR_DIR / "DX-RDSR-Canon_CXDI.dcm")

    assert 'unit "Gym2" is not valid UCUM; read as "Gy.m2"' in siemens.warnings
    assert siemens.planes[0].plane is Plane.SINGLE
    assert [(c.factor, c.uncertainty_pct) for c in siemens.planes[0].calibrations] == [(1.0, 5.0)]
    assert philips.planes[0].reference_point == ReferencePoint(
        code=None, text="15cm below BeamIsocenter"
    )
    assert len(philips.events[0].filters) == 2  # Cu and Al in one container
    assert ge.device.observer_uid == "1.3.6.1.4.1.45593.912345678.9876543123"  # given as TEXT
    assert ge.mpps_sop_instance_uid is not None
    assert ge.planes[0].reference_point is not None  # stated in the events only
    assert 'unit coding scheme "UCM" read as UCUM' in ge.warnings
    assert canon_dx.ka_r_total_mgy is None  # empty, not zero
    assert canon_dx.events[0].dose_rp_mgy is None


def test_non_dose_sr_is_refused():
    with pytest.raises(NotADoseReport, match=r"SR root concept is 18748-4 \(LN\)"):
        extract(RDSR_DIR / "ESR_non-dose.dcm")


def test_radiopharmaceutical_dose_sr_is_refused():
    with pytest.raises(UnsupportedDoseReport, match="Radiopharmaceutical dose report"):
        extract(RDSR_DIR / "NM-RRDSR-Siemens.dcm")
