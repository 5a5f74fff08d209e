"""Why a file was refused, in words a technologist can act on.

Every refusal is an :class:`RdsrError`; the message constants are what tests (and the
ingest layer, when it stores a rejection reason) compare against.
"""

from __future__ import annotations

MSG_NOT_DICOM = "Not a DICOM file: {reason}."
MSG_TRUNCATED = "The DICOM file is damaged or truncated: {reason}."
MSG_NOT_SR = (
    "Not a structured report: SOP class {sop_class} has no SR content tree "
    "(root container missing)."
)
MSG_NOT_DOSE_REPORT = "SR root concept is {concept}, not 113701 X-Ray Radiation Dose Report."
MSG_RADIOPHARMACEUTICAL = (
    "Radiopharmaceutical dose report ({detail}), not projection X-ray or CT; "
    "irflow does not record nuclear medicine doses."
)
MSG_UNKNOWN_PROCEDURE = (
    "X-Ray Radiation Dose Report of an unsupported kind: procedure reported is {procedure} "
    "and the report holds neither projection X-ray (TID 10001) nor CT (TID 10011) dose data."
)
MSG_UNKNOWN_UNIT = (
    'Cannot read {concept}: unit "{unit}" ({scheme}) is not a unit of {quantity} '
    "this reader understands; the report was not imported rather than guessing."
)


class RdsrError(Exception):
    """A file that cannot be read as an X-Ray Radiation Dose SR; ``str(err)`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnreadableDicom(RdsrError):
    """The bytes are not DICOM, or the encoding is broken or cut short."""


class NotADoseReport(RdsrError):
    """Valid DICOM, but not an X-Ray Radiation Dose Report (another SR, or not an SR)."""


class UnsupportedDoseReport(RdsrError):
    """A dose report irflow does not import (radiopharmaceutical, unknown template)."""


class UnknownUnit(UnsupportedDoseReport):
    """A dose value whose unit cannot be understood: refused rather than guessed."""

    def __init__(self, *, concept: str, unit: str, scheme: str, quantity: str) -> None:
        super().__init__(
            MSG_UNKNOWN_UNIT.format(concept=concept, unit=unit, scheme=scheme, quantity=quantity)
        )
        self.concept = concept
        self.unit = unit
