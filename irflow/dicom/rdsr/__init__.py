"""X-Ray Radiation Dose SR extraction (TID 10001 projection X-ray, TID 10011 CT).

Pure Python (pydicom + stdlib), no Django: ``extract(bytes_or_path)`` or
``extract_dataset(ds)`` return a frozen :class:`DoseReport`; refusals raise a subclass of
:class:`RdsrError` whose message says why.
"""

from .errors import NotADoseReport, RdsrError, UnknownUnit, UnreadableDicom, UnsupportedDoseReport
from .extract import extract, extract_dataset
from .models import (
    Calibration,
    Code,
    CtAcquisition,
    Device,
    DoseReport,
    EventType,
    FluoroMode,
    IrradiationEvent,
    Plane,
    PlaneTotals,
    ReferencePoint,
    Scope,
    TemplateKind,
    XrayFilter,
)

__all__ = [
    "Calibration",
    "Code",
    "CtAcquisition",
    "Device",
    "DoseReport",
    "EventType",
    "FluoroMode",
    "IrradiationEvent",
    "NotADoseReport",
    "Plane",
    "PlaneTotals",
    "RdsrError",
    "ReferencePoint",
    "Scope",
    "TemplateKind",
    "UnknownUnit",
    "UnreadableDicom",
    "UnsupportedDoseReport",
    "XrayFilter",
    "extract",
    "extract_dataset",
]
