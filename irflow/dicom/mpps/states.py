"""MPPS status codes, the step state machine and the errors the SCP answers (PS3.4 F.7.2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydicom.datadict import tag_for_keyword

# DIMSE status codes (PS3.7 Annex C) and the N-SET error ID of PS3.4 Table F.7.2-2.
STATUS_SUCCESS = 0x0000
STATUS_ATTRIBUTE_LIST_ERROR = 0x0107  # warning
STATUS_INVALID_ATTRIBUTE_VALUE = 0x0106
STATUS_PROCESSING_FAILURE = 0x0110
STATUS_DUPLICATE_SOP_INSTANCE = 0x0111
STATUS_NO_SUCH_SOP_INSTANCE = 0x0112
STATUS_INVALID_OBJECT_INSTANCE = 0x0117
STATUS_MISSING_ATTRIBUTE = 0x0120
STATUS_MISSING_ATTRIBUTE_VALUE = 0x0121
ERROR_ID_MAY_NO_LONGER_BE_UPDATED = 0xA710

# Error Comment (0000,0902) is an LO: every message fits in 64 characters.
MSG_MAY_NO_LONGER_BE_UPDATED = "Performed Procedure Step Object may no longer be updated"
MSG_CREATE_NOT_IN_PROGRESS = "N-CREATE requires status IN PROGRESS"
MSG_DUPLICATE_INSTANCE = "Performed Procedure Step already exists"
MSG_NO_SUCH_INSTANCE = "No such Performed Procedure Step"
MSG_INVALID_STATUS = "Unknown Performed Procedure Step Status"
MSG_MISSING_ATTRIBUTE = "Required attribute is missing"
MSG_MISSING_VALUE = "Required attribute has no value"
MSG_INVALID_DATE = "Invalid date"
MSG_INVALID_TIME = "Invalid time"
MSG_INVALID_NUMBER = "Invalid number"
MSG_INVALID_UID = "Invalid UID"
MSG_MISSING_SOP_INSTANCE_UID = "SOP Instance UID is required"
MSG_END_INCOMPLETE = "End date and end time are set together"
MSG_FINAL_STATE_NO_END = "COMPLETED or DISCONTINUED needs end date and time"
MSG_FINAL_STATE_NO_SERIES = "COMPLETED needs a Performed Series Sequence item"


class MppsStatus(StrEnum):
    """Performed Procedure Step Status (0040,0252) values (PS3.4 Table F.1-3)."""

    IN_PROGRESS = "IN PROGRESS"
    COMPLETED = "COMPLETED"
    DISCONTINUED = "DISCONTINUED"


class Operation(StrEnum):
    """The DIMSE operations of the MPPS SOP Class (PS3.4 F.7.1)."""

    N_CREATE = "N-CREATE"
    N_SET = "N-SET"


# The state machine, declared once (PS3.4 F.1.5, Table F.1-4): None is "no instance yet".
TRANSITIONS: dict[MppsStatus | None, frozenset[MppsStatus]] = {
    None: frozenset({MppsStatus.IN_PROGRESS}),
    MppsStatus.IN_PROGRESS: frozenset(MppsStatus),
    MppsStatus.COMPLETED: frozenset(),
    MppsStatus.DISCONTINUED: frozenset(),
}


class MppsError(ValueError):
    """A request the SCP must refuse, with the DIMSE status and Error Comment to answer."""

    def __init__(
        self, status: int, comment: str, *, keyword: str = "", error_id: int | None = None
    ) -> None:
        super().__init__(f"{keyword}: {comment}" if keyword else comment)
        self.status = status
        self.comment = comment
        self.keyword = keyword
        self.error_id = error_id

    @property
    def error_comment(self) -> str:
        """Text for Error Comment (0000,0902)."""
        return self.comment[:64]

    @property
    def tag(self) -> int | None:
        """The offending attribute's tag, for (0000,0901) or the Attribute Identifier List."""
        return tag_for_keyword(self.keyword.rsplit(">", 1)[-1]) if self.keyword else None


@dataclass(frozen=True)
class Transition:
    """Whether an operation may move a step from its current status, and the answer if not."""

    allowed: bool
    new_status: MppsStatus | None = None
    status: int = STATUS_SUCCESS
    comment: str = ""
    keyword: str = ""
    error_id: int | None = None

    def raise_if_denied(self) -> None:
        """Raise the `MppsError` the SCP must answer when the transition is denied."""
        if not self.allowed:
            raise MppsError(self.status, self.comment, keyword=self.keyword, error_id=self.error_id)


def mpps_transition(
    current: MppsStatus | str | None,
    requested: str | None,
    *,
    operation: Operation = Operation.N_SET,
) -> Transition:
    """Check an N-CREATE or N-SET against the stored status (None: no such instance).

    `requested` is the Performed Procedure Step Status sent, None if absent. Statuses per
    PS3.4 F.7.2.1.3 (0x0106 unless IN PROGRESS), F.7.2.2.3 and Table F.7.2-2 (0x0110/A710
    after COMPLETED or DISCONTINUED), PS3.7 C (0x0111 duplicate, 0x0112 no such instance).
    """
    state = MppsStatus(current) if current is not None else None
    wanted = requested.strip() if requested is not None else None
    keyword = "PerformedProcedureStepStatus"
    if operation is Operation.N_CREATE:
        if state is not None:
            return Transition(
                False, status=STATUS_DUPLICATE_SOP_INSTANCE, comment=MSG_DUPLICATE_INSTANCE
            )
        if wanted is None:
            return Transition(
                False,
                status=STATUS_MISSING_ATTRIBUTE,
                comment=MSG_MISSING_ATTRIBUTE,
                keyword=keyword,
            )
        if wanted != MppsStatus.IN_PROGRESS:
            return Transition(
                False,
                status=STATUS_INVALID_ATTRIBUTE_VALUE,
                comment=MSG_CREATE_NOT_IN_PROGRESS,
                keyword=keyword,
            )
        return Transition(True, new_status=MppsStatus.IN_PROGRESS)
    if state is None:
        return Transition(False, status=STATUS_NO_SUCH_SOP_INSTANCE, comment=MSG_NO_SUCH_INSTANCE)
    if not TRANSITIONS[state]:
        return Transition(
            False,
            status=STATUS_PROCESSING_FAILURE,
            comment=MSG_MAY_NO_LONGER_BE_UPDATED,
            error_id=ERROR_ID_MAY_NO_LONGER_BE_UPDATED,
        )
    if wanted is None:
        return Transition(True, new_status=state)
    if wanted not in TRANSITIONS[state]:
        return Transition(
            False,
            status=STATUS_INVALID_ATTRIBUTE_VALUE,
            comment=MSG_INVALID_STATUS,
            keyword=keyword,
        )
    return Transition(True, new_status=MppsStatus(wanted))
