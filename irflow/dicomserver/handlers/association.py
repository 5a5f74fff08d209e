"""Association-level policy: who may call, and tidying up when an association ends."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import close_old_connections, connections

from irflow.dicomserver import selectors

logger = logging.getLogger("irflow.dicom")

# A-ASSOCIATE-RJ: rejected permanent, by the service user, calling AE title not recognised.
REJECT_CALLING_AE = (0x01, 0x01, 0x03)
# Rejected transient, service user, no reason given: irflow could not check the caller.
REJECT_TRANSIENT = (0x02, 0x01, 0x01)


def on_requested(event) -> None:
    """EVT_REQUESTED: with IRFLOW_DICOM_REFUSE_UNKNOWN_AE, reject calling AE titles that are
    not configured and active, or that call from another host than configured."""
    if not settings.IRFLOW_DICOM_REFUSE_UNKNOWN_AE:
        return
    assoc = event.assoc
    calling = str(assoc.requestor.primitive.calling_ae_title or "").strip()
    address = str(assoc.requestor.address or "")
    try:
        close_old_connections()
        allowed = selectors.remote_ae_allowed(ae_title=calling, address=address)
        reason = REJECT_CALLING_AE
    except Exception:
        logger.exception("could not check calling AE %s", calling)
        allowed, reason = False, REJECT_TRANSIENT
    if allowed:
        return
    logger.warning("association from unknown AE %r at %s rejected", calling, address)
    connections.close_all()  # no EVT_RELEASED or EVT_ABORTED follows a rejection
    assoc.acse.send_reject(*reason)
    assoc.kill()


def on_finished(event) -> None:
    """EVT_RELEASED / EVT_ABORTED: each association runs in its own thread with its own
    database connection; close it rather than leave it to the garbage collector."""
    connections.close_all()
