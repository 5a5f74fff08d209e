"""Status datasets for DIMSE responses: the code plus the optional elements that explain it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pydicom.dataset import Dataset

from irflow.lib.outage import CalmLog, database_unavailable

MAX_ERROR_COMMENT = 64  # Error Comment (0000,0902) is LO
MSG_DATABASE_AWAY = "irflow's database is unavailable; try again"

logger = logging.getLogger("irflow.dicom")
# While the database is away every handler fails: a line as it starts, one a minute, one
# when it is back (irflow.lib.outage), not a traceback per request.
outage = CalmLog(logger, "DICOM listener")


def database_away(exc: BaseException) -> bool:
    """Whether a handler's failure is a database outage (then logged calmly, here)."""
    if not database_unavailable(exc):
        return False
    outage.away(exc)
    return True


def status_dataset(
    status: int,
    comment: str = "",
    *,
    offending: Iterable[int] = (),
    error_id: int | None = None,
    attributes: Iterable[int] = (),
) -> Dataset:
    """A status for a handler to return: `offending` for C-FIND (Offending Element),
    `attributes` for N-SET (Attribute Identifier List)."""
    ds = Dataset()
    ds.Status = status
    if comment:
        ds.ErrorComment = _ascii(comment)[:MAX_ERROR_COMMENT]
    offending = list(offending)
    if offending:
        ds.OffendingElement = offending
    if error_id is not None:
        ds.ErrorID = error_id
    attributes = list(attributes)
    if attributes:
        ds.AttributeIdentifierList = attributes
    return ds


def _ascii(text: str) -> str:
    # Command set elements are in the default repertoire.
    return text.encode("ascii", "replace").decode("ascii")
