"""TID 10011 CT Radiation Dose: accumulated DLP and one entry per CT acquisition."""

from __future__ import annotations

from dataclasses import dataclass

from . import codes as c
from .models import CtAcquisition
from .reading import ValueReader, children_with, index_subtree
from .tree import ContentItem
from .units import AIR_KERMA, COUNT, DOSE_LENGTH_PRODUCT, LENGTH_MM, RATIO, TIME_S


@dataclass(frozen=True, slots=True)
class CtDoseData:
    """What a CT report adds to the report-level fields."""

    dlp_total_mgy_cm: float | None
    event_count: int | None
    acquisitions: tuple[CtAcquisition, ...]


def read_ct(root: ContentItem, reader: ValueReader) -> CtDoseData:
    """CT Accumulated Dose Data (113811) and every CT Acquisition (113819)."""
    accumulated = children_with(root, c.CT_ACCUMULATED_DOSE)
    totals = index_subtree(accumulated[0]) if accumulated else {}
    return CtDoseData(
        dlp_total_mgy_cm=reader.number(totals.get(c.CT_DLP_TOTAL), DOSE_LENGTH_PRODUCT),
        event_count=reader.integer(totals.get(c.CT_EVENT_COUNT), COUNT),
        acquisitions=tuple(
            _read_acquisition(item, reader) for item in children_with(root, c.CT_ACQUISITION)
        ),
    )


def _read_acquisition(acquisition: ContentItem, reader: ValueReader) -> CtAcquisition:
    rows = index_subtree(acquisition)
    get = rows.get
    return CtAcquisition(
        event_uid=reader.text(get(c.IRRADIATION_EVENT_UID)),
        acquisition_type=reader.code(get(c.CT_ACQUISITION_TYPE)),
        acquisition_protocol=reader.text(get(c.ACQUISITION_PROTOCOL)),
        target_region=reader.code(get(c.TARGET_REGION)),
        exposure_time_s=reader.number(get(c.EXPOSURE_TIME_NEW), TIME_S),
        scanning_length_mm=reader.number(get(c.CT_SCANNING_LENGTH), LENGTH_MM),
        pitch_factor=reader.number(get(c.CT_PITCH_FACTOR), RATIO),
        mean_ctdi_vol_mgy=reader.number(get(c.CT_MEAN_CTDI_VOL), AIR_KERMA),
        dlp_mgy_cm=reader.number(get(c.CT_DLP), DOSE_LENGTH_PRODUCT),
        ctdi_phantom_type=reader.code(get(c.CT_PHANTOM_TYPE)),
    )
