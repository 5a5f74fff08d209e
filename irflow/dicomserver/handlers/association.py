"""Association-level policy: who may call, how many at once, and tidying up at the end."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connections

from irflow.dicomserver import selectors
from irflow.dicomserver.models import RemoteAE
from irflow.dicomserver.registry import services
from irflow.dicomserver.transport import Slots

logger = logging.getLogger("irflow.dicom")

# A-ASSOCIATE-RJ (result, source, diagnostic), PS3.8 9.3.4.
# Rejected permanent, by the service user, calling AE title not recognised.
REJECT_CALLING_AE = (0x01, 0x01, 0x03)
# Rejected permanent, by the service user, called AE title not recognised.
REJECT_CALLED_AE = (0x01, 0x01, 0x07)
# Rejected transient, service user, no reason given: irflow could not check the caller.
REJECT_TRANSIENT = (0x02, 0x01, 0x01)
# Rejected transient, service provider (presentation), local limit exceeded.
REJECT_LIMIT = (0x02, 0x03, 0x02)


@dataclass(frozen=True)
class AccessPolicy:
    """What the listener checks on every A-ASSOCIATE-RQ, in this order."""

    ae_title: str  # the called AE title must be this one
    loopback_only: bool  # bound to a loopback address: nobody else can call
    slots: Slots

    def requires_configured_aes(self) -> bool:
        """Calling AEs must be configured, active and call from their host: always off
        loopback, and on loopback too with IRFLOW_DICOM_REFUSE_UNKNOWN_AE."""
        return not self.loopback_only or bool(settings.IRFLOW_DICOM_REFUSE_UNKNOWN_AE)


def _reject(assoc, reason: tuple[int, int, int]) -> None:
    connections.close_all()  # no EVT_RELEASED or EVT_ABORTED follows a rejection
    assoc.acse.send_reject(*reason)
    assoc.kill()


def _remote(calling: str, address: str) -> tuple[RemoteAE | None, bool]:
    """The calling AE's configuration (None when unknown), and whether it could be read."""
    try:
        close_old_connections()
        return selectors.remote_ae_for_call(ae_title=calling, address=address), True
    except Exception as exc:
        logger.warning("could not check calling AE %s: %s", calling, exc)
        return None, False


def _withhold_services(assoc, refused: set[str]) -> None:
    """Offer this association none of the contexts of the `refused` services: negotiation
    then rejects them (abstract syntax not supported)."""
    if not refused:
        return
    syntaxes = {uid for s in services() if s.name in refused for uid, _ in s.contexts}
    assoc.acceptor.supported_contexts = [
        cx for cx in assoc.acceptor.supported_contexts if cx.abstract_syntax not in syntaxes
    ]


def on_requested(event, policy: AccessPolicy) -> None:
    """EVT_REQUESTED: reject a wrong called AE title; when the policy requires it, calling AE
    titles that are not configured and active or call from another host; then a request
    beyond the association limits (in all, per peer address). A configured AE is offered
    only the services it may use."""
    assoc = event.assoc
    request = assoc.requestor.primitive
    calling = str(request.calling_ae_title or "").strip()
    called = str(request.called_ae_title or "").strip()
    address = str(assoc.requestor.address or "")
    if called != policy.ae_title.strip():
        logger.warning("association from %s at %s for AE %r rejected", calling, address, called)
        _reject(assoc, REJECT_CALLED_AE)
        return
    remote, checked = _remote(calling, address)
    if policy.requires_configured_aes() and remote is None:
        logger.warning("association from unknown AE %r at %s rejected", calling, address)
        _reject(assoc, REJECT_CALLING_AE if checked else REJECT_TRANSIENT)
        return
    if not policy.slots.admit(assoc, address):
        logger.warning("association from %s at %s rejected: limit reached", calling, address)
        _reject(assoc, REJECT_LIMIT)
        return
    if remote is not None:
        _withhold_services(assoc, remote.refused_services())


def on_connection_closed(event) -> None:
    """EVT_CONN_CLOSE: a connection closed (by the peer, or at the ARTIM timeout) before its
    A-ASSOCIATE-RQ arrived. pynetdicom's association thread would wait out the ARTIM timeout
    for a request that cannot come; an empty item tells it there is none, so it ends now."""
    assoc = event.assoc
    if assoc.is_acceptor and assoc.requestor.primitive is None and assoc.dul.to_user_queue.empty():
        assoc.dul.to_user_queue.put(None)


def on_finished(event) -> None:
    """EVT_RELEASED / EVT_ABORTED: each association runs in its own thread with its own
    database connection; close it rather than leave it to the garbage collector."""
    connections.close_all()
