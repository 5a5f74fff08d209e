"""The listener's connections: what a peer may hold before and after it associates.

pynetdicom counts every connection thread against `maximum_associations`, including
connections that never sent an A-ASSOCIATE-RQ and threads of associations that have already
ended, so a handful of idle sockets locks every modality out. irflow counts instead:

- open connections, in all (`max_connections`) and per peer address
  (`max_connections_per_peer`), refused at accept time;
- associations that were accepted and have not ended (`Slots`: `max_associations` in all,
  `max_associations_per_peer` from one address), checked when the A-ASSOCIATE-RQ arrives;

and bounds how long a peer may stall: reads time out after the network timeout, a PDU
longer than irflow ever accepts ends the connection before it is read, and the TLS handshake
runs in the connection's own thread, not in the one that accepts connections.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynetdicom.transport import AssociationSocket, RequestHandler, ThreadedAssociationServer

if TYPE_CHECKING:
    from pynetdicom.association import Association

logger = logging.getLogger("irflow.dicom")

# Far above any PDU irflow negotiates (16 KiB P-DATA, association requests of a few KiB):
# a header claiming more is a broken or hostile peer, not data to wait for.
MAX_PDU_BYTES = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_associations: int
    max_associations_per_peer: int
    max_connections: int
    max_connections_per_peer: int
    read_timeout_s: float


def _ended(assoc: Association) -> bool:
    return bool(assoc.is_released or assoc.is_aborted or assoc.is_rejected or not assoc.is_alive())


class Slots:
    """The associations the listener has accepted and that have not ended."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._held: weakref.WeakSet[Association] = weakref.WeakSet()

    def admit(self, assoc: Association, address: str) -> bool:
        """Take a slot for `assoc` from `address`; False when none is free for it."""
        with self._lock:
            held = [a for a in self._held if not _ended(a)]
            from_peer = [a for a in held if a.requestor.address == address]
            if len(held) >= self.limits.max_associations:
                return False
            if len(from_peer) >= self.limits.max_associations_per_peer:
                return False
            self._held.add(assoc)
            return True

    def held(self) -> int:
        with self._lock:
            return sum(1 for a in self._held if not _ended(a))


class BoundedSocket(AssociationSocket):
    """An association socket that refuses to read a PDU longer than MAX_PDU_BYTES."""

    def recv(self, nr_bytes: int) -> bytearray:
        if nr_bytes > MAX_PDU_BYTES:
            # pynetdicom treats the error as a closed connection (Evt17) and ends it.
            raise OSError(f"PDU of {nr_bytes} bytes refused (at most {MAX_PDU_BYTES})")
        return super().recv(nr_bytes)


class GuardedRequestHandler(RequestHandler):
    server: GuardedServer

    def handle(self) -> None:
        sock = self.request
        if isinstance(sock, ssl.SSLSocket):
            try:
                sock.do_handshake()  # bounded by the socket's read timeout
            except (OSError, ValueError) as exc:
                logger.warning("TLS handshake with %s failed: %s", self.client_address[0], exc)
                self.server.shutdown_request(sock)
                return
        super().handle()

    def _create_association(self) -> Association:
        assoc = super()._create_association()
        # pynetdicom builds the socket inside this method; only its read is changed.
        assoc.dul.socket.__class__ = BoundedSocket
        return assoc


class GuardedServer(ThreadedAssociationServer):
    """pynetdicom's threaded server with irflow's connection limits (see the module doc)."""

    daemon_threads = True
    limits: Limits

    def __init__(self, *args, **kwargs) -> None:
        self._accepted: list[tuple[str, socket.socket]] = []
        kwargs["request_handler"] = GuardedRequestHandler
        super().__init__(*args, **kwargs)

    def open_connections(self) -> list[str]:
        """The peer address of every connection accepted and not yet closed. Counted here, in
        the thread that accepts, not from association threads that may not have started."""
        self._accepted = [(a, s) for a, s in self._accepted if s.fileno() != -1]
        return [address for address, _ in self._accepted]

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        assert self.socket is not None
        client, address = self.socket.accept()
        # Accepted sockets block forever by default: a peer that stops mid-PDU would hold its
        # thread for good. With a timeout the read fails and pynetdicom closes the connection.
        client.settimeout(self.limits.read_timeout_s)
        if self.ssl_context:
            client = self.ssl_context.wrap_socket(
                client, server_side=True, do_handshake_on_connect=False
            )
        return client, address

    def verify_request(self, request, client_address) -> bool:
        host = str(client_address[0])
        open_now = self.open_connections()
        if len(open_now) >= self.limits.max_connections:
            logger.warning("connection from %s refused: %d connections open", host, len(open_now))
            return False
        if open_now.count(host) >= self.limits.max_connections_per_peer:
            logger.warning(
                "connection from %s refused: %d connections open from there",
                host,
                open_now.count(host),
            )
            return False
        self._accepted.append((host, request))
        return True
