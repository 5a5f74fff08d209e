"""Status datasets for DIMSE responses: the code plus the optional elements that explain it."""

from __future__ import annotations

from collections.abc import Iterable

from pydicom.dataset import Dataset

MAX_ERROR_COMMENT = 64  # Error Comment (0000,0902) is LO


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
