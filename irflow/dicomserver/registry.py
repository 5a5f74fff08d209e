"""The DICOM services irflow's one AE offers, registered when the app is ready
(`irflow.dicomserver.handlers.register_services`): Verification, Modality Worklist, MPPS and the
Storage of dose reports. The server builds its presentation contexts and handlers
from this list, and docs/dicom-conformance.md lists the SOP classes from it.

Intervention events (EVT_C_FIND, EVT_C_STORE, EVT_N_CREATE, …) take one handler each across
all services; notification events (EVT_RELEASED, …) may have several.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DicomService:
    name: str
    # (abstract syntax UID, transfer syntaxes or None for pynetdicom's defaults)
    contexts: Sequence[tuple[str, Sequence[str] | None]]
    handlers: Sequence[tuple[object, Callable]] = field(default_factory=tuple)


_SERVICES: dict[str, DicomService] = {}


def register(service: DicomService) -> None:
    """Offer `service` (replacing one registered under the same name)."""
    _SERVICES[service.name] = service


def services() -> list[DicomService]:
    """Every registered service, in registration order."""
    return list(_SERVICES.values())
