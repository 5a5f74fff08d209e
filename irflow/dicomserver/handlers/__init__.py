"""The DICOM services of irflow's AE: Verification (C-ECHO), Modality Worklist (C-FIND), MPPS
(N-CREATE/N-SET) and the Storage of dose reports (C-STORE).

Handlers are thin: decode, call the pure cores (`irflow.dicom.worklist`, `irflow.dicom.mpps`)
and the services, and turn every refusal into the DIMSE status the standard names. No
exception escapes a handler: the listener keeps serving whatever a peer sends.
"""

from __future__ import annotations

from pynetdicom import evt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityPerformedProcedureStep,
    ModalityWorklistInformationFind,
    Verification,
)

from irflow.dicomserver.handlers.find import handle_find
from irflow.dicomserver.handlers.mpps import handle_n_create, handle_n_set
from irflow.dicomserver.handlers.storage import (
    SOP_CLASSES,
    TRANSFER_SYNTAXES,
    close_connection,
    handle_store,
)
from irflow.dicomserver.registry import DicomService, register


def handle_echo(event: evt.Event) -> int:
    """C-ECHO: the listener is there."""
    return 0x0000


def register_services() -> None:
    """Add the verification, worklist, MPPS and dose-report storage services to the listener's
    registry."""
    register(
        DicomService(
            name="verification",
            contexts=[(Verification, None)],
            handlers=[(evt.EVT_C_ECHO, handle_echo)],
        )
    )

    register(
        DicomService(
            name="worklist",
            contexts=[(ModalityWorklistInformationFind, None)],
            handlers=[(evt.EVT_C_FIND, handle_find)],
        )
    )
    register(
        DicomService(
            name="mpps",
            contexts=[(ModalityPerformedProcedureStep, None)],
            handlers=[(evt.EVT_N_CREATE, handle_n_create), (evt.EVT_N_SET, handle_n_set)],
        )
    )
    register(
        DicomService(
            name="dose-storage",
            contexts=[(uid, list(TRANSFER_SYNTAXES)) for uid in SOP_CLASSES],
            handlers=[
                (evt.EVT_C_STORE, handle_store),
                (evt.EVT_RELEASED, close_connection),
                (evt.EVT_ABORTED, close_connection),
            ],
        )
    )
