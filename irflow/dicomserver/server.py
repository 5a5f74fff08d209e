"""irflow's DICOM listener: one AE (default IRFLOW on port 11112) serving every registered
service. Handlers stay short: persist, answer, let a background task do the work.

Each association runs in its own thread (pynetdicom), with its own database connection that
is closed when the association ends. See docs/dicom-conformance.md.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from pynetdicom import AE, _config, evt

from irflow.dicomserver.handlers.association import on_finished, on_requested
from irflow.dicomserver.registry import services

logger = logging.getLogger("irflow.dicom")


@dataclass(frozen=True)
class ListenerConfig:
    host: str
    port: int
    ae_title: str
    max_associations: int
    network_timeout_s: float
    acse_timeout_s: float
    dimse_timeout_s: float

    @classmethod
    def from_settings(cls, **overrides) -> ListenerConfig:
        values: dict[str, Any] = {
            "host": settings.IRFLOW_DICOM_HOST,
            "port": settings.IRFLOW_DICOM_PORT,
            "ae_title": settings.IRFLOW_DICOM_AE_TITLE,
            "max_associations": settings.IRFLOW_DICOM_MAX_ASSOCIATIONS,
            "network_timeout_s": settings.IRFLOW_DICOM_NETWORK_TIMEOUT_S,
            "acse_timeout_s": settings.IRFLOW_DICOM_ACSE_TIMEOUT_S,
            "dimse_timeout_s": settings.IRFLOW_DICOM_DIMSE_TIMEOUT_S,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _on_connection_open(event) -> None:
    # Neither pynetdicom nor dcmtk disables Nagle's algorithm; with delayed ACKs every
    # response would wait ~40 ms.
    try:
        event.assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (AttributeError, OSError):  # pragma: no cover - socket already gone
        logger.debug("could not set TCP_NODELAY", exc_info=True)


def build_ae(config: ListenerConfig) -> tuple[AE, list]:
    """The AE with every registered service's contexts, and the event handlers to bind."""
    ae = AE(ae_title=config.ae_title)
    ae.maximum_associations = config.max_associations
    ae.network_timeout = config.network_timeout_s
    ae.acse_timeout = config.acse_timeout_s
    ae.dimse_timeout = config.dimse_timeout_s

    handlers: list = [
        (evt.EVT_CONN_OPEN, _on_connection_open),
        (evt.EVT_REQUESTED, on_requested),
        (evt.EVT_RELEASED, on_finished),
        (evt.EVT_ABORTED, on_finished),
    ]
    for service in services():
        for abstract_syntax, transfer_syntaxes in service.contexts:
            if transfer_syntaxes:
                ae.add_supported_context(abstract_syntax, list(transfer_syntaxes))
            else:
                ae.add_supported_context(abstract_syntax)
        handlers.extend(service.handlers)
    return ae, handlers


def describe(config: ListenerConfig) -> str:
    """One line saying what listens where: `DICOM listener IRFLOW on 127.0.0.1:11112 (…)`."""
    names = ", ".join(s.name for s in services())
    return f"DICOM listener {config.ae_title} on {config.host}:{config.port} ({names})"


def start(config: ListenerConfig, *, block: bool):
    """Start listening; with block=False returns the pynetdicom server (end it with stop())."""
    # Identifiers are patient data: keep them out of pynetdicom's debug log (and skip the
    # cost of formatting every response for it).
    _config.LOG_REQUEST_IDENTIFIERS = False
    _config.LOG_RESPONSE_IDENTIFIERS = False
    ae, handlers = build_ae(config)
    logger.debug("%s", describe(config))
    return ae.start_server((config.host, config.port), block=block, evt_handlers=handlers)


def stop(running: Any, *, grace_s: float = 5.0) -> None:
    """Stop accepting associations; let those in progress finish (a C-STORE half-received,
    a worklist being answered) for up to `grace_s`, then abort what is left. Each association
    thread closes its database connection as it ends."""
    running.shutdown()
    deadline = time.monotonic() + grace_s
    while running.active_associations and time.monotonic() < deadline:
        time.sleep(0.05)
    for assoc in running.active_associations:
        logger.warning("association with %s aborted at shutdown", assoc.requestor.ae_title)
        assoc.abort()
    deadline = time.monotonic() + 2
    while running.active_associations and time.monotonic() < deadline:
        time.sleep(0.05)
