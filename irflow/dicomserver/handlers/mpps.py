"""Modality Performed Procedure Step SCP (PS3.4 F.7): N-CREATE and N-SET.

The order of checks follows `irflow.dicom.mpps`: first whether the operation is allowed on
the stored step at all (0x0111 duplicate, 0x0112 no such instance, 0x0110 once final), then
the attribute list (0x0106, 0x0120, 0x0121), then the service writes.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset

from irflow.accounts.actors import SYSTEM
from irflow.dicom.mpps import (
    STATUS_ATTRIBUTE_LIST_ERROR,
    STATUS_INVALID_ATTRIBUTE_VALUE,
    STATUS_PROCESSING_FAILURE,
    STATUS_SUCCESS,
    MppsError,
    Operation,
    mpps_transition,
    parse_mpps_create,
    parse_mpps_set,
)
from irflow.dicomserver import selectors, services
from irflow.dicomserver.handlers.status import (
    MSG_DATABASE_AWAY,
    database_away,
    outage,
    status_dataset,
)
from irflow.lib.origin import origin

logger = logging.getLogger("irflow.dicom")

MSG_UNDECODABLE = "The attribute list cannot be decoded"
MSG_FAILED = "Processing failure; see the irflow log"
MSG_IGNORED = "Attributes an N-SET may not change were ignored"

Result = tuple[int | Dataset, Dataset | None]


def _requestor(event) -> selectors.Requestor:
    return selectors.Requestor(
        ae_title=str(event.assoc.requestor.ae_title).strip(),
        address=str(event.assoc.requestor.address or ""),
    )


def _dataset(event, attribute: str) -> Dataset:
    try:
        ds = getattr(event, attribute)
    except Exception as exc:
        raise MppsError(STATUS_INVALID_ATTRIBUTE_VALUE, MSG_UNDECODABLE) from exc
    return ds if ds is not None else Dataset()


def _refusal(exc: MppsError, *, operation: Operation) -> Dataset:
    # N-CREATE responses carry no Attribute Identifier List (PS3.7 10.3.5).
    attributes = [exc.tag] if exc.tag is not None and operation is Operation.N_SET else []
    return status_dataset(
        exc.status, exc.error_comment, error_id=exc.error_id, attributes=attributes
    )


def handle_n_create(event) -> Result:
    """EVT_N_CREATE: a modality started a procedure step."""
    requestor = _requestor(event)
    uid = event.request.AffectedSOPInstanceUID
    close_old_connections()
    try:
        with origin("dicom", requestor.address, path=f"N-CREATE from {requestor.ae_title}"):
            stored = selectors.mpps_get(sop_instance_uid=str(uid or "").strip(" \x00"))
            if stored is not None:
                mpps_transition(stored.status, None, operation=Operation.N_CREATE).raise_if_denied()
            create = parse_mpps_create(uid, _dataset(event, "attribute_list"))
            step = services.mpps_create(
                actor=SYSTEM,
                create=create,
                calling_ae_title=requestor.ae_title,
                remote=selectors.remote_ae_get(ae_title=requestor.ae_title),
            )
    except MppsError as exc:
        logger.info("MPPS N-CREATE from %s refused: %s", requestor.ae_title, exc)
        return _refusal(exc, operation=Operation.N_CREATE), None
    except Exception as exc:
        if database_away(exc):
            return status_dataset(STATUS_PROCESSING_FAILURE, MSG_DATABASE_AWAY), None
        logger.exception("MPPS N-CREATE from %s failed", requestor.ae_title)
        return status_dataset(STATUS_PROCESSING_FAILURE, MSG_FAILED), None
    outage.back()
    logger.info(
        "MPPS %s IN PROGRESS from %s (%s)",
        step.sop_instance_uid,
        requestor.ae_title,
        f"booking {step.booking_id}" if step.booking_id else "unscheduled, to reconcile",
    )
    return STATUS_SUCCESS, Dataset()


def handle_n_set(event) -> Result:
    """EVT_N_SET: a modality updated, completed or discontinued a procedure step."""
    requestor = _requestor(event)
    uid = event.request.RequestedSOPInstanceUID
    close_old_connections()
    try:
        with origin("dicom", requestor.address, path=f"N-SET from {requestor.ae_title}"):
            stored = selectors.mpps_get(sop_instance_uid=str(uid or "").strip(" \x00"))
            # Unknown instance (0x0112) or a final step (0x0110), whatever the list says.
            mpps_transition(stored.status if stored else None, None).raise_if_denied()
            assert stored is not None
            update = parse_mpps_set(
                uid,
                _dataset(event, "modification_list"),
                create_charset=tuple(stored.attributes.get("charset") or ()),
            )
            step = services.mpps_set(actor=SYSTEM, update=update)
    except MppsError as exc:
        logger.info("MPPS N-SET from %s refused: %s", requestor.ae_title, exc)
        return _refusal(exc, operation=Operation.N_SET), None
    except Exception as exc:
        if database_away(exc):
            return status_dataset(STATUS_PROCESSING_FAILURE, MSG_DATABASE_AWAY), None
        logger.exception("MPPS N-SET from %s failed", requestor.ae_title)
        return status_dataset(STATUS_PROCESSING_FAILURE, MSG_FAILED), None
    outage.back()
    logger.info("MPPS %s %s from %s", step.sop_instance_uid, step.status, requestor.ae_title)
    if update.ignored_keywords:
        # Attributes an N-SET may not change were ignored: a warning, the step is updated.
        return (
            status_dataset(
                STATUS_ATTRIBUTE_LIST_ERROR,
                MSG_IGNORED,
                attributes=_tags(update.ignored_keywords),
            ),
            Dataset(),
        )
    return STATUS_SUCCESS, Dataset()


def _tags(keywords: tuple[str, ...]) -> list[int]:
    return [tag for tag in (tag_for_keyword(k) for k in keywords) if tag is not None]
