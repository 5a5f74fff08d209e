"""Entry points: read an X-Ray Radiation Dose SR from bytes, a path or a pydicom Dataset."""

from __future__ import annotations

import io
import os
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset

from .errors import MSG_NOT_DICOM, RdsrError, UnreadableDicom
from .models import DoseReport
from .pydicom_tree import document_from_dataset
from .report import build_report
from .tree import SrDocument, document_from_raw
from .walker import FAST_TRANSFER_SYNTAXES, read_dataset, read_file_start


def extract(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> DoseReport:
    """Read a DICOM Part 10 file (its bytes, or a path to it) into a :class:`DoseReport`.

    Explicit and Implicit VR Little Endian are read by the byte walker; other transfer
    syntaxes through pydicom, with the same result. Raises an :class:`RdsrError` subclass
    when the file is refused; a missing file raises the usual :class:`OSError`.
    """
    return build_report(read_document(source))


def extract_dataset(dataset: Dataset) -> DoseReport:
    """Read a pydicom Dataset (e.g. a C-STORE handler's ``event.dataset``)."""
    return build_report(document_from_dataset(dataset))


def read_document(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> SrDocument:
    """Reduce a DICOM file to its SR document, choosing the fast or the pydicom path."""
    data = Path(source).read_bytes() if isinstance(source, str | os.PathLike) else bytes(source)
    start = read_file_start(data)
    if start.transfer_syntax in FAST_TRANSFER_SYNTAXES:
        return document_from_raw(read_dataset(data, start))
    try:
        return document_from_dataset(dcmread(io.BytesIO(data)))
    except RdsrError:
        raise
    except Exception as exc:
        # pydicom signals broken input through many exception types (zlib, struct, EOF,
        # value errors); for the caller they all mean the same thing.
        raise UnreadableDicom(
            MSG_NOT_DICOM.format(reason=f"pydicom could not decode it ({exc})")
        ) from exc
