"""The DICOM services irflow's one AE offers. Each app registers its own (in AppConfig.ready):
Verification here, Storage of dose reports in `irflow.dose`, Modality Worklist and MPPS in
their modules. The server builds its presentation contexts and handlers from this list.
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
    _SERVICES[service.name] = service


def services() -> list[DicomService]:
    return list(_SERVICES.values())
