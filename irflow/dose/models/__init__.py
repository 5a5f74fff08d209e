"""The dose app's models, one module per topic."""

from irflow.dose.models.alerts import AlertLevel, DoseAlert
from irflow.dose.models.received import (
    RECEIVED_STATES,
    ReceivedChannel,
    ReceivedObject,
    ReceivedStatus,
)
from irflow.dose.models.reports import (
    PLANE_LABELS,
    AccumulatedXrayDose,
    CtAcquisition,
    IrradiationEventXrayData,
    LinkMethod,
    LinkStatus,
    RadiationDoseReport,
    TemplateKind,
)

__all__ = [
    "PLANE_LABELS",
    "RECEIVED_STATES",
    "AccumulatedXrayDose",
    "AlertLevel",
    "CtAcquisition",
    "DoseAlert",
    "IrradiationEventXrayData",
    "LinkMethod",
    "LinkStatus",
    "RadiationDoseReport",
    "ReceivedChannel",
    "ReceivedObject",
    "ReceivedStatus",
    "TemplateKind",
]
