"""Storage SCP for dose reports: persist, record, answer — reading happens in a task (the
dose app's `received_record_queued`, `irflow.dose.tasks`).

The C-STORE handler never decodes the dataset. It writes the bytes as received (with their
file meta) durably, records them and queues the reading in one commit, and only then answers
success. If the bytes cannot be written, or cannot be recorded, the sender gets a failure
status (0xA700, out of resources) and keeps the object to send again: an object acknowledged
with 0x0000 is on disk and in the queue. See docs/dose.md.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)

from irflow.dicomserver.handlers.status import database_away, outage
from irflow.dose import storage
from irflow.dose.models import ReceivedChannel
from irflow.dose.tasks import received_record_queued
from irflow.lib.origin import origin

logger = logging.getLogger("irflow.dicom")

X_RAY_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.67"
ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"
COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33"
COMPREHENSIVE_3D_SR = "1.2.840.10008.5.1.4.1.1.88.34"
EXTENSIBLE_SR = "1.2.840.10008.5.1.4.1.1.88.35"
SOP_CLASSES = {
    X_RAY_RADIATION_DOSE_SR: "X-Ray Radiation Dose SR",
    ENHANCED_SR: "Enhanced SR",
    COMPREHENSIVE_SR: "Comprehensive SR",
    COMPREHENSIVE_3D_SR: "Comprehensive 3D SR",
    EXTENSIBLE_SR: "Extensible SR",
}
# Uncompressed syntaxes, deflate, and the compressed syntaxes angiography systems propose
# for everything they send (an SR has no pixel data, so nothing needs decompressing).
TRANSFER_SYNTAXES = {
    ExplicitVRLittleEndian: "Explicit VR Little Endian",
    ImplicitVRLittleEndian: "Implicit VR Little Endian",
    DeflatedExplicitVRLittleEndian: "Deflated Explicit VR Little Endian",
    ExplicitVRBigEndian: "Explicit VR Big Endian (retired)",
    JPEGLosslessSV1: "JPEG Lossless, first-order prediction (process 14 SV1)",
    JPEGLossless: "JPEG Lossless (process 14)",
    RLELossless: "RLE Lossless",
    JPEGLSLossless: "JPEG-LS Lossless",
    JPEG2000Lossless: "JPEG 2000 Lossless",
}

STATUS_SUCCESS = 0x0000
STATUS_OUT_OF_RESOURCES = 0xA700
STATUS_CANNOT_UNDERSTAND = 0xC000


def handle_store(event) -> int:
    """EVT_C_STORE: durable write, record + queue, then success; failure status otherwise."""
    request = event.request
    requestor = event.assoc.requestor
    sop_instance_uid = str(request.AffectedSOPInstanceUID or "")
    try:
        data = event.encoded_dataset()
    except Exception:
        logger.exception("C-STORE %s: the dataset could not be taken", sop_instance_uid)
        return STATUS_CANNOT_UNDERSTAND
    try:
        stored = storage.store_durably(data)
    except OSError:
        logger.exception("C-STORE %s: writing the object failed", sop_instance_uid)
        return STATUS_OUT_OF_RESOURCES
    try:
        with origin("dicom", remote_addr=str(requestor.address or "")):
            received = received_record_queued(
                stored=stored,
                channel=ReceivedChannel.DICOM,
                sop_instance_uid=sop_instance_uid,
                sop_class_uid=str(request.AffectedSOPClassUID or ""),
                transfer_syntax_uid=str(event.context.transfer_syntax),
                calling_ae_title=str(requestor.ae_title or "").strip(),
                remote_address=str(requestor.address or ""),
            )
    except Exception as exc:
        # Stored on disk but not recorded: refuse, so the sender keeps it and tries again
        # (the stored copy is content-addressed, so the retry lands on the same file).
        if not database_away(exc):
            logger.exception("C-STORE %s: recording the object failed", sop_instance_uid)
        return STATUS_OUT_OF_RESOURCES
    finally:
        close_old_connections()
    outage.back()
    logger.info(
        "C-STORE %s from %s stored as received object %s",
        sop_instance_uid,
        requestor.ae_title,
        received.pk,
    )
    return STATUS_SUCCESS


def close_connection(event) -> None:
    # Association threads end here; their database connection must not outlive them.
    from django.db import connection

    connection.close()
