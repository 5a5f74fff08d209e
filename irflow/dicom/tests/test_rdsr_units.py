"""Units: every variant real modalities write is normalised; anything else is refused."""

import pytest

from irflow.dicom.rdsr import UnknownUnit, UnsupportedDoseReport, extract
from irflow.dicom.rdsr.errors import MSG_UNKNOWN_UNIT
from irflow.dicom.rdsr.units import (
    AIR_KERMA,
    COUNT,
    DOSE_AREA_PRODUCT,
    DOSE_LENGTH_PRODUCT,
    EXPOSURE_MAS,
    TIME_MS,
    TIME_S,
)
from irflow.dicom.rdsr_builder import CtRdsr, ProjectionRdsr, UnitStyle, make_events

EVENTS = make_events(6, seed=11)


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-9)


def assert_all_values_converted(rdsr: ProjectionRdsr) -> tuple[str, ...]:
    """Every total and event value equals the builder's value in irflow's unit."""
    report = extract(rdsr.to_bytes())
    expected = rdsr.planes()["single"]
    plane = report.planes[0]
    assert plane.dap_total_gy_cm2 == approx(expected.dap_gy_cm2)
    assert plane.fluoro_dap_total_gy_cm2 == approx(expected.fluoro_dap_gy_cm2)
    assert plane.acquisition_dap_total_gy_cm2 == approx(expected.acquisition_dap_gy_cm2)
    assert plane.ka_r_total_mgy == approx(expected.dose_rp_mgy)
    assert plane.fluoro_ka_r_total_mgy == approx(expected.fluoro_dose_rp_mgy)
    assert plane.acquisition_ka_r_total_mgy == approx(expected.acquisition_dose_rp_mgy)
    assert plane.fluoro_time_total_s == approx(expected.fluoro_time_s)
    assert plane.acquisition_time_total_s == approx(expected.acquisition_time_s)
    for built, read in zip(rdsr.events, report.events, strict=True):
        assert read.dap_gy_cm2 == approx(built.dap_gy_cm2)
        assert read.dose_rp_mgy == approx(built.dose_rp_mgy)
        assert read.tube_current_ma == approx(built.tube_current_ma)
        assert read.exposure_mas == approx(built.exposure_mas)
        assert read.exposure_time_ms == approx(built.exposure_time_ms)
        assert read.pulse_width_ms == approx(built.pulse_width_ms)
        assert read.irradiation_duration_s == approx(built.irradiation_duration_s)
        assert read.sid_mm == approx(built.sid_mm)
        assert read.table_height_mm == approx(built.table_height_mm)
        assert read.filters[0].thickness_max_mm == approx(built.filter_cu_mm)
    return report.warnings


@pytest.mark.parametrize(
    ("units", "warnings"),
    [
        pytest.param(UnitStyle(), (), id="defaults"),
        pytest.param(
            UnitStyle(dap="Gym2"),
            ('unit "Gym2" is not valid UCUM; read as "Gy.m2"',),
            id="siemens-Gym2",
        ),
        pytest.param(UnitStyle(dap="dGy.cm2"), (), id="canon-dGy.cm2"),
        pytest.param(UnitStyle(dap="Gy.cm2"), (), id="Gy.cm2"),
        pytest.param(UnitStyle(dap="uGy.m2"), (), id="uGy.m2"),
        pytest.param(UnitStyle(dose_rp="mGy"), (), id="dose-rp-mGy"),
        pytest.param(UnitStyle(dose_rp="uGy"), (), id="dose-rp-uGy"),
        pytest.param(UnitStyle(time="ms"), (), id="times-ms"),
        pytest.param(UnitStyle(time="min"), (), id="times-min"),
        pytest.param(UnitStyle(short_time="s"), (), id="exposure-time-s"),
        pytest.param(UnitStyle(current="uA"), (), id="current-uA"),
        pytest.param(UnitStyle(exposure="mA.s"), (), id="exposure-mA.s"),
        pytest.param(
            UnitStyle(exposure="uAs"),
            ('unit "uAs" is not valid UCUM; read as "uA.s"',),
            id="exposure-uAs",
        ),
        pytest.param(UnitStyle(length="cm"), (), id="length-cm"),
        pytest.param(
            UnitStyle(scheme="UCM"), ('unit coding scheme "UCM" read as UCUM',), id="ge-UCM"
        ),
    ],
)
def test_unit_variants_are_converted(units, warnings):
    assert assert_all_values_converted(ProjectionRdsr(events=EVENTS, units=units)) == warnings


@pytest.mark.parametrize("unit", ["mGy.cm", "Gy.cm", "mGycm"])
def test_ct_dlp_units(unit):
    rdsr = CtRdsr(units=UnitStyle(dlp=unit, length="cm", time="ms"))

    report = extract(rdsr.to_bytes())

    assert report.dlp_total_mgy_cm == approx(rdsr.dlp_total_mgy_cm)
    for built, read in zip(rdsr.scans, report.ct_acquisitions, strict=True):
        assert read.dlp_mgy_cm == approx(built.dlp_mgy_cm)
        assert read.scanning_length_mm == approx(built.scanning_length_mm)
        assert read.exposure_time_s == approx(built.exposure_time_s)


@pytest.mark.parametrize(
    ("concept", "unit", "named"),
    [
        ("122130", "Gy.cm3", '"Dose Area Product" (DCM 122130)'),
        ("113722", "Gy", '"Dose Area Product Total" (DCM 113722)'),
        ("113725", "Gy.m2", '"Dose (RP) Total" (DCM 113725)'),
        ("113730", "beats", '"Total Fluoro Time" (DCM 113730)'),
        ("113733", "V.m", '"KVP" (DCM 113733)'),
    ],
)
def test_unknown_unit_is_refused_naming_concept_and_unit(concept, unit, named):
    rdsr = ProjectionRdsr(events=EVENTS[:2], unit_overrides={concept: unit})

    with pytest.raises(UnknownUnit) as refused:
        extract(rdsr.to_bytes())

    assert isinstance(refused.value, UnsupportedDoseReport)
    message = str(refused.value)
    assert named in message
    assert f'unit "{unit}"' in message
    assert refused.value.unit == unit


def test_unknown_unit_scheme_is_refused():
    with pytest.raises(UnknownUnit, match=r'unit "[^"]+" \(99LOCAL\)'):
        extract(ProjectionRdsr(events=EVENTS[:1], units=UnitStyle(scheme="99LOCAL")).to_bytes())


def test_unknown_unit_message_constant():
    error = UnknownUnit(concept="X", unit="Y", scheme="UCUM", quantity="Z")

    assert str(error) == MSG_UNKNOWN_UNIT.format(concept="X", unit="Y", scheme="UCUM", quantity="Z")


@pytest.mark.parametrize(
    ("quantity", "unit", "factor"),
    [
        (DOSE_AREA_PRODUCT, "Gy.m2", 1e4),
        (DOSE_AREA_PRODUCT, "dGy.cm2", 0.1),
        (DOSE_AREA_PRODUCT, "mGy.cm2", 1e-3),
        (DOSE_AREA_PRODUCT, "uGy.m2", 1e-2),
        (AIR_KERMA, "Gy", 1e3),
        (AIR_KERMA, "mGy", 1.0),
        (AIR_KERMA, "uGy", 1e-3),
        (TIME_S, "min", 60.0),
        (TIME_S, "ms", 1e-3),
        (TIME_MS, "s", 1e3),
        (EXPOSURE_MAS, "uA.s", 1e-3),
        (DOSE_LENGTH_PRODUCT, "Gy.cm", 1e3),
        (DOSE_LENGTH_PRODUCT, "mGy.mm", 0.1),
        (COUNT, "{pulses}", 1.0),
        (COUNT, "1", 1.0),
    ],
)
def test_unit_factors(quantity, unit, factor):
    assert quantity.factor(unit) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize(
    ("quantity", "unit"), [(DOSE_AREA_PRODUCT, "Gy"), (AIR_KERMA, "Gy.m2"), (TIME_S, "{s}")]
)
def test_units_of_another_quantity_are_not_understood(quantity, unit):
    assert quantity.factor(unit) is None
