"""Projection X-ray dose reports (TID 10001) read back from the synthetic builder."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from irflow.dicom.rdsr import (
    Code,
    EventType,
    FluoroMode,
    Plane,
    ReferencePoint,
    Scope,
    TemplateKind,
    extract,
    extract_dataset,
)
from irflow.dicom.rdsr_builder import (
    REFERENCE_POINT_CODE,
    REFERENCE_POINT_TEXT,
    XRAY_RADIATION_DOSE_SR,
    ProjectionRdsr,
    make_events,
)

CET = timezone(timedelta(hours=1))


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-9, abs=1e-12)


def test_single_plane_header_and_context():
    rdsr = ProjectionRdsr(events=make_events(6, seed=2), seed=7)
    uids = rdsr.uids()

    report = extract(rdsr.to_bytes())

    assert report.sop_class_uid == XRAY_RADIATION_DOSE_SR
    assert report.sop_instance_uid == uids["sop"]
    assert report.study_instance_uid == uids["study"]
    assert report.mpps_sop_instance_uid == uids["mpps"]
    assert report.scope is Scope.PPS
    assert report.accession_number == "ACC25000001"
    assert report.patient_id == "IRF0001"
    assert report.patient_name == "Testperson^Anna"
    assert report.patient_birth_date == "19570412"
    assert report.patient_sex == "F"
    assert report.device.manufacturer == "Irflow Simulated Systems"
    assert report.device.model_name == "Angio Sim 2"
    assert report.device.serial_number == "SIM-0001"
    assert report.device.station_name == "ANGIO1"
    assert report.device.observer_uid == uids["observer"]
    assert report.template is TemplateKind.PROJECTION
    assert report.procedure_reported == Code("113704", "DCM", "Projection X-Ray")
    assert report.study_datetime == datetime(2025, 3, 14, 9, 20, tzinfo=CET)
    assert report.content_datetime == datetime(2025, 3, 14, 10, 20, tzinfo=CET)
    assert report.utc_offset == timedelta(hours=1)
    assert report.warnings == ()
    assert report.ct_acquisitions == ()
    assert report.dlp_total_mgy_cm is None


def test_single_plane_totals_match_the_accumulated_container():
    rdsr = ProjectionRdsr(events=make_events(12, seed=3))
    expected = rdsr.planes()["single"]

    report = extract(rdsr.to_bytes())

    (plane,) = report.planes
    assert plane.plane is Plane.SINGLE
    assert plane.dap_total_gy_cm2 == approx(expected.dap_gy_cm2)
    assert plane.fluoro_dap_total_gy_cm2 == approx(expected.fluoro_dap_gy_cm2)
    assert plane.acquisition_dap_total_gy_cm2 == approx(expected.acquisition_dap_gy_cm2)
    assert plane.ka_r_total_mgy == approx(expected.dose_rp_mgy)
    assert plane.fluoro_ka_r_total_mgy == approx(expected.fluoro_dose_rp_mgy)
    assert plane.acquisition_ka_r_total_mgy == approx(expected.acquisition_dose_rp_mgy)
    assert plane.fluoro_time_total_s == approx(expected.fluoro_time_s)
    assert plane.acquisition_time_total_s == approx(expected.acquisition_time_s)
    assert plane.frames_total == expected.frames
    assert plane.reference_point == ReferencePoint(code=Code(*REFERENCE_POINT_CODE), text=None)
    assert [(c.factor, c.uncertainty_pct) for c in plane.calibrations] == [(0.93, 5.0)]
    assert report.dap_total_gy_cm2 == plane.dap_total_gy_cm2
    assert report.ka_r_total_mgy == plane.ka_r_total_mgy
    assert report.fluoro_time_total_s == plane.fluoro_time_total_s
    assert report.frames_total == plane.frames_total


def test_every_event_field_is_read():
    events = make_events(10, seed=4)
    report = extract(ProjectionRdsr(events=events).to_bytes())

    assert len(report.events) == len(events)
    for built, read in zip(events, report.events, strict=True):
        assert read.event_uid == built.uid
        assert read.datetime_started == built.started.replace(tzinfo=CET)
        assert read.event_type is (
            EventType.FLUOROSCOPY
            if built.is_fluoro
            else {
                "stationary": EventType.STATIONARY_ACQUISITION,
                "rotational": EventType.ROTATIONAL_ACQUISITION,
            }[built.kind]
        )
        assert read.acquisition_protocol == built.protocol
        assert read.plane is Plane.SINGLE
        assert read.dap_gy_cm2 == approx(built.dap_gy_cm2)
        assert read.dose_rp_mgy == approx(built.dose_rp_mgy)
        assert read.kvp == approx(built.kvp)
        assert read.tube_current_ma == approx(built.tube_current_ma)
        assert read.average_tube_current_ma is None
        assert read.exposure_mas == approx(built.exposure_mas)
        assert read.exposure_time_ms == approx(built.exposure_time_ms)
        assert read.irradiation_duration_s == approx(built.irradiation_duration_s)
        assert read.pulse_rate_per_s == approx(built.pulse_rate_per_s)
        assert read.number_of_pulses == built.number_of_pulses
        assert read.pulse_width_ms == approx(built.pulse_width_ms)
        assert read.fluoro_mode is (FluoroMode.PULSED if built.is_fluoro else None)
        assert read.primary_angle_deg == approx(built.primary_angle_deg)
        assert read.secondary_angle_deg == approx(built.secondary_angle_deg)
        assert read.sid_mm == approx(built.sid_mm)
        assert read.source_isocenter_mm == approx(built.source_isocenter_mm)
        assert read.table_longitudinal_mm == approx(built.table_longitudinal_mm)
        assert read.table_lateral_mm == approx(built.table_lateral_mm)
        assert read.table_height_mm == approx(built.table_height_mm)
        (filter_,) = read.filters
        assert filter_.material == Code("C-127F9", "SRT", "Copper or Copper compound")
        assert filter_.thickness_min_mm == approx(built.filter_cu_mm)
        assert filter_.thickness_max_mm == approx(built.filter_cu_mm)
        assert read.target_region == Code("T-D4000", "SRT", "Abdomen")


def test_biplane_totals_per_plane_and_summed():
    rdsr = ProjectionRdsr(events=make_events(9, seed=5, biplane=True))
    expected = rdsr.planes()

    report = extract(rdsr.to_bytes())

    assert [p.plane for p in report.planes] == [Plane.A, Plane.B]
    for plane, name in zip(report.planes, ("A", "B"), strict=True):
        assert plane.dap_total_gy_cm2 == approx(expected[name].dap_gy_cm2)
        assert plane.fluoro_time_total_s == approx(expected[name].fluoro_time_s)
    assert report.dap_total_gy_cm2 == approx(expected["A"].dap_gy_cm2 + expected["B"].dap_gy_cm2)
    assert report.ka_r_total_mgy == approx(expected["A"].dose_rp_mgy + expected["B"].dose_rp_mgy)
    assert report.fluoro_time_total_s == approx(
        expected["A"].fluoro_time_s + expected["B"].fluoro_time_s
    )
    assert report.frames_total == expected["A"].frames + expected["B"].frames
    assert [e.plane for e in report.events] == [Plane.A, Plane.B] * 4 + [Plane.A]


def test_scope_study_and_mpps_from_the_referenced_pps_sequence():
    rdsr = ProjectionRdsr(scope="study")

    report = extract(rdsr.to_bytes())

    assert report.scope is Scope.STUDY
    assert report.mpps_sop_instance_uid == rdsr.uids()["mpps"]


def test_reference_point_as_text():
    report = extract(ProjectionRdsr(reference_point="text").to_bytes())

    assert report.planes[0].reference_point == ReferencePoint(code=None, text=REFERENCE_POINT_TEXT)


@pytest.mark.parametrize("scheme", ["SRT", "SCT"])
def test_fluoroscopy_matched_in_srt_and_sct(scheme):
    report = extract(ProjectionRdsr(fluoroscopy_scheme=scheme).to_bytes())

    fluoro = [e for e in report.events if e.event_type is EventType.FLUOROSCOPY]
    assert fluoro
    assert {e.event_type_code.scheme for e in fluoro} == {scheme}


def test_missing_study_uid_is_tolerated_with_a_warning():
    report = extract(ProjectionRdsr(study_instance_uid=None).to_bytes())

    assert report.study_instance_uid is None
    assert report.warnings == ("Study Instance UID missing from the header",)


def test_missing_header_study_uid_is_taken_from_the_scope_of_accumulation():
    rdsr = ProjectionRdsr(scope="study")
    dataset = rdsr.dataset()
    del dataset.StudyInstanceUID

    report = extract_dataset(dataset)

    assert report.study_instance_uid == rdsr.uids()["study"]
    assert "taken from the scope of accumulation" in report.warnings[0]


def test_missing_template_identifier_is_tolerated():
    report = extract(ProjectionRdsr(template_identifier=False).to_bytes())

    assert report.template is TemplateKind.PROJECTION
    assert report.warnings == ()


def test_private_codes_are_tolerated():
    events = make_events(3, seed=6)
    plain = extract(ProjectionRdsr(events=events).to_bytes())

    report = extract(ProjectionRdsr(events=events, private_items_per_event=12).to_bytes())

    assert report.events == plain.events
    assert report.warnings == ()
    assert report.content_item_count == plain.content_item_count + 3 * 12


def test_duplicate_event_uids_are_reported_not_merged():
    first, second = make_events(2, seed=8)
    events = (first, replace(second, uid=first.uid))

    report = extract(ProjectionRdsr(events=events).to_bytes())

    assert [e.event_uid for e in report.events] == [first.uid, first.uid]
    assert report.events[1].dap_gy_cm2 == approx(second.dap_gy_cm2)


@pytest.mark.parametrize("style", ["no_measured_value", "empty_string"])
def test_empty_numeric_values_are_none_not_zero(style):
    rdsr = ProjectionRdsr(
        empty_concepts=frozenset({"113725", "113738", "113733", "113731"}), empty_style=style
    )

    report = extract(rdsr.to_bytes())

    assert report.planes[0].ka_r_total_mgy is None
    assert report.planes[0].frames_total is None
    assert report.ka_r_total_mgy is None
    assert report.frames_total is None
    assert all(e.dose_rp_mgy is None and e.kvp is None for e in report.events)
    assert report.dap_total_gy_cm2 is not None
    assert report.warnings == ()


def test_multi_valued_numeric_takes_the_first_value_and_warns():
    events = make_events(2, seed=9)

    report = extract(
        ProjectionRdsr(events=events, multi_valued_concepts=frozenset({"113733"})).to_bytes()
    )

    assert [e.kvp for e in report.events] == [e.kvp for e in events]
    (warning,) = report.warnings
    assert '"KVP" (DCM 113733) has several numeric values' in warning


def test_no_timezone_offset_gives_naive_datetimes():
    report = extract(ProjectionRdsr(timezone_offset=None).to_bytes())

    assert report.utc_offset is None
    assert report.study_datetime == datetime(2025, 3, 14, 9, 20)
    assert all(e.datetime_started.tzinfo is None for e in report.events)


def test_offset_in_a_dt_value_wins_over_the_header():
    dataset = ProjectionRdsr(events=make_events(1)).dataset()
    event = next(
        i
        for i in dataset.ContentSequence
        if i.ValueType == "CONTAINER" and i.ConceptNameCodeSequence[0].CodeValue == "113706"
    )
    event.ContentSequence[0].DateTime = "20250314093000+0000"

    report = extract_dataset(dataset)

    assert report.events[0].datetime_started == datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
