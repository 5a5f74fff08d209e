"""Modality Worklist C-FIND SCP (PS3.4 K.4.1.3): pending responses, then success.

The answers of a query in a little-endian transfer syntax are encoded by a plan made once
per query and sent as P-DATA as each is ready (`irflow.dicomserver.worklist.wire`): the first
leaves while the rest are being written, and an item costs tens of microseconds rather than
pynetdicom's milliseconds. Other syntaxes yield pydicom datasets to pynetdicom. Either way
pynetdicom sends the final response when the handler ends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import close_old_connections
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from irflow.dicom.worklist import (
    STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS,
    STATUS_UNABLE_TO_PROCESS,
    InvalidQuery,
    WorklistQuery,
    build_response,
    parse_worklist_query,
)
from irflow.dicomserver import selectors
from irflow.dicomserver.handlers.status import (
    MSG_DATABASE_AWAY,
    database_away,
    outage,
    status_dataset,
)
from irflow.dicomserver.worklist.wire import SYNTAXES, PendingSender, identifier_plan
from irflow.lib.origin import origin

logger = logging.getLogger("irflow.dicom")

STATUS_PENDING = 0xFF00
# Pending, but optional keys in the identifier were not supported for matching (K.4.1.1.4).
STATUS_PENDING_UNSUPPORTED_KEYS = 0xFF01
STATUS_CANCEL = 0xFE00

MSG_NO_IDENTIFIER = "missing"
MSG_UNDECODABLE = "cannot be decoded"
MSG_UNABLE = "Unable to process the query; see the irflow log"
UNDEFINED_LENGTH = 0xFFFFFFFF

Response = tuple[int | Dataset, Dataset | None]


def handle_find(event) -> Iterator[Response]:
    """EVT_C_FIND: match the worklist in the database and yield one response per step."""
    requestor = selectors.Requestor(
        ae_title=str(event.assoc.requestor.ae_title).strip(),
        address=str(event.assoc.requestor.address or ""),
    )
    close_old_connections()
    try:
        with origin("dicom", requestor.address, path=f"C-FIND from {requestor.ae_title}"):
            remote = selectors.remote_ae_get(ae_title=requestor.ae_title)
            query = _parse(event, fallback_charset=remote.charset if remote else None)
            charset = selectors.response_charset(remote=remote, query=query)
            items = selectors.worklist_answer(query=query, requestor=requestor)
    except InvalidQuery as exc:
        logger.info("worklist query from %s refused: %s", requestor.ae_title, exc)
        offending = [exc.tag] if exc.tag is not None else []
        yield status_dataset(exc.status, exc.error_comment, offending=offending), None
        return
    except Exception as exc:
        if database_away(exc):
            yield status_dataset(STATUS_UNABLE_TO_PROCESS, MSG_DATABASE_AWAY), None
            return
        logger.exception("worklist query from %s failed", requestor.ae_title)
        yield status_dataset(STATUS_UNABLE_TO_PROCESS, MSG_UNABLE), None
        return
    outage.back()
    pending = STATUS_PENDING_UNSUPPORTED_KEYS if query.unsupported_keys else STATUS_PENDING
    direct = _direct(event, pending)
    plan = identifier_plan(query, charset, event.context.transfer_syntax) if direct else None
    for item in items:
        if event.is_cancelled:
            yield STATUS_CANCEL, None
            return
        try:
            if plan is not None:
                encoded = plan.encode(item)
            else:
                identifier = build_response(query, item, charset)
        except Exception:
            logger.exception("worklist response for %s failed", requestor.ae_title)
            yield status_dataset(STATUS_UNABLE_TO_PROCESS, MSG_UNABLE), None
            return
        if direct is None:
            yield pending, identifier
        elif not direct.send(encoded):
            return  # the association ended


def _direct(event, status: int) -> PendingSender | None:
    """A sender of pre-encoded pending answers, when this association can take them: irflow
    is the acceptor, in a little-endian uncompressed transfer syntax."""
    context = event.context
    if not event.assoc.is_acceptor or context.transfer_syntax not in SYNTAXES:
        return None
    return PendingSender(event.assoc, context.context_id, event.request, status)


def _check_complete(identifier: Dataset) -> None:
    """Refuse elements whose stated length runs past the end of the identifier (pydicom
    reads what there is and would let a truncated value match as if it were whole)."""
    for tag in sorted(identifier.keys()):
        elem = identifier.get_item(tag)
        if (
            isinstance(elem, RawDataElement)
            and elem.length != UNDEFINED_LENGTH
            and elem.value is not None
            and len(elem.value) != elem.length
        ):
            raise InvalidQuery(MSG_UNDECODABLE, "Identifier", tag=int(tag))


def _parse(event, *, fallback_charset: str | None) -> WorklistQuery:
    """Decode and parse the identifier; anything undecodable is an InvalidQuery."""
    try:
        identifier = event.identifier
    except Exception as exc:
        raise InvalidQuery(MSG_UNDECODABLE, "Identifier") from exc
    if identifier is None or len(identifier) == 0:
        raise InvalidQuery(MSG_NO_IDENTIFIER, "Identifier")
    _check_complete(identifier)
    try:
        return parse_worklist_query(identifier, fallback_charset=fallback_charset)
    except InvalidQuery:
        raise
    except Exception as exc:
        # pydicom decodes lazily: a broken element surfaces while the parser reads it.
        raise InvalidQuery(
            MSG_UNDECODABLE, "Identifier", status=STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS
        ) from exc
