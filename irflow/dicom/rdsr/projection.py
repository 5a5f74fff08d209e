"""TID 10001 Projection X-Ray Radiation Dose: accumulated totals per plane and events."""

from __future__ import annotations

from . import codes as c
from .models import (
    Calibration,
    EventType,
    FluoroMode,
    IrradiationEvent,
    Plane,
    PlaneTotals,
    ReferencePoint,
    XrayFilter,
)
from .reading import ValueReader, children_with, index_subtree, key_of, lookup
from .tree import ContentItem
from .units import (
    AIR_KERMA,
    ANGLE_DEG,
    CURRENT_MA,
    DOSE_AREA_PRODUCT,
    EXPOSURE_MAS,
    LENGTH_MM,
    PERCENT,
    RATE_PER_S,
    RATIO,
    TIME_MS,
    TIME_S,
    VOLTAGE_KV,
)

_FILTER_ROWS = (
    c.XRAY_FILTER_TYPE,
    c.XRAY_FILTER_MATERIAL,
    c.XRAY_FILTER_THICKNESS_MIN,
    c.XRAY_FILTER_THICKNESS_MAX,
)


def read_events(root: ContentItem, reader: ValueReader) -> tuple[IrradiationEvent, ...]:
    """Every Irradiation Event X-Ray Data container, in document order."""
    return tuple(_read_event(event, reader) for event in children_with(root, c.IRRADIATION_EVENT))


def read_planes(root: ContentItem, reader: ValueReader) -> tuple[PlaneTotals, ...]:
    """Accumulated X-Ray Dose Data, one entry per plane."""
    fallback_reference = _first_event_reference_point(children_with(root, c.IRRADIATION_EVENT))
    return tuple(
        _read_plane(container, reader, fallback_reference)
        for container in children_with(root, c.ACCUMULATED_XRAY_DOSE)
    )


def _plane(item: ContentItem | None) -> Plane | None:
    name = lookup(c.PLANES, ValueReader.code(item))
    return Plane(name) if name else None


def _reference_point(item: ContentItem | None) -> ReferencePoint | None:
    if item is None:
        return None
    if item.value_type == "CODE":
        return ReferencePoint(code=item.code, text=None) if item.code else None
    return ReferencePoint(code=None, text=item.text) if item.text else None


def _first_event_reference_point(events: list[ContentItem]) -> ReferencePoint | None:
    # Some systems (GE Super-C) state the reference point in each event rather than in the
    # accumulated data; it is a property of the system, so the first one stands for all.
    for event in events:
        for child in event.children:
            if key_of(child) == c.REFERENCE_POINT_DEFINITION:
                return _reference_point(child)
    return None


def _read_plane(
    container: ContentItem, reader: ValueReader, fallback_reference: ReferencePoint | None
) -> PlaneTotals:
    rows = index_subtree(container)
    get = rows.get
    number = reader.number
    calibrations = tuple(
        Calibration(
            factor=number(calibration_rows.get(c.CALIBRATION_FACTOR), RATIO),
            uncertainty_pct=number(calibration_rows.get(c.CALIBRATION_UNCERTAINTY), PERCENT),
        )
        for calibration_rows in (
            index_subtree(item) for item in children_with(container, c.CALIBRATION)
        )
    )
    return PlaneTotals(
        plane=_plane(get(c.ACQUISITION_PLANE)),
        dap_total_gy_cm2=number(get(c.DAP_TOTAL), DOSE_AREA_PRODUCT),
        fluoro_dap_total_gy_cm2=number(get(c.FLUORO_DAP_TOTAL), DOSE_AREA_PRODUCT),
        acquisition_dap_total_gy_cm2=number(get(c.ACQUISITION_DAP_TOTAL), DOSE_AREA_PRODUCT),
        ka_r_total_mgy=number(get(c.DOSE_RP_TOTAL), AIR_KERMA),
        fluoro_ka_r_total_mgy=number(get(c.FLUORO_DOSE_RP_TOTAL), AIR_KERMA),
        acquisition_ka_r_total_mgy=number(get(c.ACQUISITION_DOSE_RP_TOTAL), AIR_KERMA),
        fluoro_time_total_s=number(get(c.TOTAL_FLUORO_TIME), TIME_S),
        acquisition_time_total_s=number(get(c.TOTAL_ACQUISITION_TIME), TIME_S),
        frames_total=reader.integer(get(c.TOTAL_RADIOGRAPHIC_FRAMES)),
        reference_point=_reference_point(get(c.REFERENCE_POINT_DEFINITION)) or fallback_reference,
        calibrations=calibrations,
    )


def _read_filters(event: ContentItem, reader: ValueReader) -> tuple[XrayFilter, ...]:
    filters: list[XrayFilter] = []
    for container in children_with(event, c.XRAY_FILTERS):
        # One container may list several filters back to back (Philips: Cu then Al rows);
        # a row that repeats starts the next filter.
        current: dict[c.CodeKey, ContentItem] = {}
        for child in container.children:
            key = key_of(child)
            if key is None or key not in _FILTER_ROWS:
                continue
            if key in current:
                filters.append(_make_filter(current, reader))
                current = {}
            current[key] = child
        if current:
            filters.append(_make_filter(current, reader))
    return tuple(filters)


def _make_filter(rows: dict[c.CodeKey, ContentItem], reader: ValueReader) -> XrayFilter:
    return XrayFilter(
        filter_type=reader.code(rows.get(c.XRAY_FILTER_TYPE)),
        material=reader.code(rows.get(c.XRAY_FILTER_MATERIAL)),
        thickness_min_mm=reader.number(rows.get(c.XRAY_FILTER_THICKNESS_MIN), LENGTH_MM),
        thickness_max_mm=reader.number(rows.get(c.XRAY_FILTER_THICKNESS_MAX), LENGTH_MM),
    )


def _read_event(event: ContentItem, reader: ValueReader) -> IrradiationEvent:
    rows = index_subtree(event)
    get = rows.get
    number = reader.number
    event_type_code = reader.code(get(c.IRRADIATION_EVENT_TYPE))
    event_type = lookup(c.EVENT_TYPES, event_type_code)
    fluoro_mode = lookup(c.FLUORO_MODES, reader.code(get(c.FLUORO_MODE)))
    exposure_time = get(c.EXPOSURE_TIME) or get(c.EXPOSURE_TIME_NEW)
    return IrradiationEvent(
        event_uid=reader.text(get(c.IRRADIATION_EVENT_UID)),
        datetime_started=reader.date_time(get(c.DATETIME_STARTED)),
        event_type=EventType(event_type) if event_type else None,
        event_type_code=event_type_code,
        acquisition_protocol=reader.text(get(c.ACQUISITION_PROTOCOL)),
        plane=_plane(get(c.ACQUISITION_PLANE)),
        dap_gy_cm2=number(get(c.DOSE_AREA_PRODUCT), DOSE_AREA_PRODUCT),
        dose_rp_mgy=number(get(c.DOSE_RP), AIR_KERMA),
        kvp=number(get(c.KVP), VOLTAGE_KV),
        tube_current_ma=number(get(c.TUBE_CURRENT), CURRENT_MA),
        average_tube_current_ma=number(get(c.AVERAGE_TUBE_CURRENT), CURRENT_MA),
        exposure_mas=number(get(c.EXPOSURE), EXPOSURE_MAS),
        exposure_time_ms=number(exposure_time, TIME_MS),
        irradiation_duration_s=number(get(c.IRRADIATION_DURATION), TIME_S),
        pulse_rate_per_s=number(get(c.PULSE_RATE), RATE_PER_S),
        number_of_pulses=reader.integer(get(c.NUMBER_OF_PULSES)),
        pulse_width_ms=number(get(c.PULSE_WIDTH), TIME_MS),
        fluoro_mode=FluoroMode(fluoro_mode) if fluoro_mode else None,
        primary_angle_deg=number(get(c.PRIMARY_ANGLE), ANGLE_DEG),
        secondary_angle_deg=number(get(c.SECONDARY_ANGLE), ANGLE_DEG),
        sid_mm=number(get(c.DISTANCE_SOURCE_TO_DETECTOR), LENGTH_MM),
        source_isocenter_mm=number(get(c.DISTANCE_SOURCE_TO_ISOCENTER), LENGTH_MM),
        table_longitudinal_mm=number(get(c.TABLE_LONGITUDINAL_POSITION), LENGTH_MM),
        table_lateral_mm=number(get(c.TABLE_LATERAL_POSITION), LENGTH_MM),
        table_height_mm=number(get(c.TABLE_HEIGHT_POSITION), LENGTH_MM),
        filters=_read_filters(event, reader),
        target_region=reader.code(get(c.TARGET_REGION)),
    )
