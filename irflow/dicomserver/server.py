"""irflow's DICOM listener: one AE (default IRFLOW on port 11112, and optionally a TLS port)
serving every registered service. Handlers stay short: persist, answer, let a background task
do the work.

Each association runs in its own thread (pynetdicom), with its own database connection that
is closed when the association ends. Who may call and how many at once: `handlers.association`
and `transport`. See docs/dicom-conformance.md ("Security").
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from pynetdicom import AE, _config, evt

from irflow.dicomserver import selectors
from irflow.dicomserver.handlers.association import (
    AccessPolicy,
    on_connection_closed,
    on_finished,
    on_requested,
)
from irflow.dicomserver.registry import services
from irflow.dicomserver.transport import GuardedServer, Limits, Slots

logger = logging.getLogger("irflow.dicom")

# BCP 195 (RFC 7525, as DICOM PS3.15 B.9 profiles it): TLS 1.2 or later with these suites
# only (TLS 1.3 suites are all AEAD and always allowed).
BCP195_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "DHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-GCM-SHA384",
    ]
)

MSG_OPEN_WITHOUT_AES = (
    "The DICOM listener would listen on {host}, which other machines can reach, but no "
    "calling AE is configured: every association would be refused. Add the modalities under "
    "Administration → DICOM → Remote AEs (AE title and host), or listen on 127.0.0.1 "
    "(IRFLOW_DICOM_HOST)."
)
MSG_TLS_FILES = "DICOM TLS on port {port} needs IRFLOW_DICOM_TLS_CERT and IRFLOW_DICOM_TLS_KEY."
MSG_TLS_VERIFY_NO_CA = "IRFLOW_DICOM_TLS_VERIFY_CLIENT needs IRFLOW_DICOM_TLS_CA."
MSG_TLS_MISSING = "DICOM TLS: {name} {path} does not exist."


@dataclass(frozen=True)
class ListenerConfig:
    host: str
    port: int
    ae_title: str
    max_associations: int
    max_associations_per_peer: int
    max_connections: int
    max_connections_per_peer: int
    artim_timeout_s: float
    network_timeout_s: float
    dimse_timeout_s: float
    tls_port: int = 0  # 0: no TLS listener
    tls_cert: str = ""
    tls_key: str = ""
    tls_ca: str = ""
    tls_verify_client: bool = False

    @classmethod
    def from_settings(cls, **overrides) -> ListenerConfig:
        values: dict[str, Any] = {
            "host": settings.IRFLOW_DICOM_HOST,
            "port": settings.IRFLOW_DICOM_PORT,
            "ae_title": settings.IRFLOW_DICOM_AE_TITLE,
            "max_associations": settings.IRFLOW_DICOM_MAX_ASSOCIATIONS,
            "max_associations_per_peer": settings.IRFLOW_DICOM_MAX_ASSOCIATIONS_PER_PEER,
            "max_connections": settings.IRFLOW_DICOM_MAX_CONNECTIONS,
            "max_connections_per_peer": settings.IRFLOW_DICOM_MAX_CONNECTIONS_PER_PEER,
            "artim_timeout_s": settings.IRFLOW_DICOM_ARTIM_TIMEOUT_S,
            "network_timeout_s": settings.IRFLOW_DICOM_NETWORK_TIMEOUT_S,
            "dimse_timeout_s": settings.IRFLOW_DICOM_DIMSE_TIMEOUT_S,
            "tls_port": settings.IRFLOW_DICOM_TLS_PORT,
            "tls_cert": settings.IRFLOW_DICOM_TLS_CERT,
            "tls_key": settings.IRFLOW_DICOM_TLS_KEY,
            "tls_ca": settings.IRFLOW_DICOM_TLS_CA,
            "tls_verify_client": settings.IRFLOW_DICOM_TLS_VERIFY_CLIENT,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_associations=self.max_associations,
            max_associations_per_peer=self.max_associations_per_peer,
            max_connections=self.max_connections,
            max_connections_per_peer=self.max_connections_per_peer,
            read_timeout_s=self.network_timeout_s,
        )


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(config: ListenerConfig) -> str | None:
    """Why the listener must not start with `config`, or None. Off loopback, calling AEs
    must be configured: without one, irflow would either serve anyone or refuse everyone."""
    if not is_loopback(config.host) and not selectors.remote_aes_configured():
        return MSG_OPEN_WITHOUT_AES.format(host=config.host or "every address")
    if config.tls_port:
        if not (config.tls_cert and config.tls_key):
            return MSG_TLS_FILES.format(port=config.tls_port)
        if config.tls_verify_client and not config.tls_ca:
            return MSG_TLS_VERIFY_NO_CA
        for name, path in [
            ("certificate", config.tls_cert),
            ("key", config.tls_key),
            ("CA file", config.tls_ca),
        ]:
            if path and not Path(path).is_file():
                return MSG_TLS_MISSING.format(name=name, path=path)
    return None


def tls_context(config: ListenerConfig) -> ssl.SSLContext:
    """The server's TLS context: BCP 195 (TLS 1.2+, AEAD suites), irflow's certificate, and
    with `tls_verify_client` only clients whose certificate the CA file signed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(BCP195_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.load_cert_chain(config.tls_cert, config.tls_key)
    if config.tls_ca:
        context.load_verify_locations(cafile=config.tls_ca)
    context.verify_mode = ssl.CERT_REQUIRED if config.tls_verify_client else ssl.CERT_NONE
    return context


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
    # irflow counts associations itself (`transport`): pynetdicom's own count includes idle
    # connections and ended threads. Its limit stays only as a backstop far above irflow's.
    ae.maximum_associations = 2 * config.max_connections
    ae.network_timeout = config.network_timeout_s
    # For an acceptor pynetdicom's ACSE timeout is the ARTIM timer: how long a new
    # connection may stay silent before its A-ASSOCIATE-RQ.
    ae.acse_timeout = config.artim_timeout_s
    ae.dimse_timeout = config.dimse_timeout_s
    policy = AccessPolicy(
        ae_title=config.ae_title,
        loopback_only=is_loopback(config.host),
        slots=Slots(config.limits),
    )
    handlers: list = [
        (evt.EVT_CONN_OPEN, _on_connection_open),
        (evt.EVT_CONN_CLOSE, on_connection_closed),
        (evt.EVT_REQUESTED, on_requested, [policy]),
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
    tls = f", TLS on port {config.tls_port}" if config.tls_port else ""
    return f"DICOM listener {config.ae_title} on {config.host}:{config.port}{tls} ({names})"


@dataclass
class Running:
    """The listener's servers (plain, and TLS when configured), for stop()."""

    servers: list[GuardedServer]
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def active_associations(self) -> list:
        return [assoc for server in self.servers for assoc in server.active_associations]


def _serve(ae: AE, config: ListenerConfig, port: int, handlers: list, context) -> tuple:
    server = ae.make_server(
        (config.host, port),
        ssl_context=context,
        evt_handlers=handlers,
        server_class=GuardedServer,
    )
    assert isinstance(server, GuardedServer)
    server.limits = config.limits
    thread = threading.Thread(target=server.serve_forever, name=f"irflow-dicom-{port}", daemon=True)
    thread.start()
    ae._servers.append(server)  # as AE.start_server does: AE.shutdown() reaches it
    return server, thread


def start(config: ListenerConfig, *, block: bool = False) -> Running:
    """Start listening (and on the TLS port when configured); returns the servers to end with
    stop(), or with block=True serves until the process ends."""
    # Identifiers are patient data: keep them out of pynetdicom's debug log (and skip the
    # cost of formatting every response for it).
    _config.LOG_REQUEST_IDENTIFIERS = False
    _config.LOG_RESPONSE_IDENTIFIERS = False
    ae, handlers = build_ae(config)
    logger.debug("%s", describe(config))
    running = Running(servers=[])
    ports: list[tuple[int, ssl.SSLContext | None]] = [(config.port, None)]
    if config.tls_port:
        ports.append((config.tls_port, tls_context(config)))
    try:
        for port, context in ports:
            server, thread = _serve(ae, config, port, handlers, context)
            running.servers.append(server)
            running.threads.append(thread)
    except BaseException:
        stop(running, grace_s=0)
        raise
    if block:
        for thread in running.threads:
            thread.join()
    return running


def _in_progress(running: Running) -> list:
    return [assoc for assoc in running.active_associations if assoc.is_established]


def stop(running: Running, *, grace_s: float = 5.0) -> None:
    """Stop accepting associations; let those in progress finish (a C-STORE half-received,
    a worklist being answered) for up to `grace_s`, then abort what is left. Connections that
    never associated are not waited for. Each association thread closes its database
    connection as it ends."""
    for server in running.servers:
        server.shutdown()
    deadline = time.monotonic() + grace_s
    while _in_progress(running) and time.monotonic() < deadline:
        time.sleep(0.05)
    for assoc in _in_progress(running):
        logger.warning("association with %s aborted at shutdown", assoc.requestor.ae_title)
        assoc.abort()
    deadline = time.monotonic() + 2
    while _in_progress(running) and time.monotonic() < deadline:
        time.sleep(0.05)
