"""Modality Performed Procedure Step SCP logic (PS3.4 Annex F.7), without networking or storage.

The pynetdicom handler, for each N-CREATE or N-SET:
1. looks up the stored status of the SOP instance (None when there is none) and calls
   `mpps_transition`, answering its status when the transition is denied;
2. parses the attribute list with `parse_mpps_create` / `parse_mpps_set`, answering
   `MppsError.status` (and `error_comment`, `keyword`) when it is invalid;
3. merges the update into the stored step, checks `check_final_state` when the step becomes
   COMPLETED or DISCONTINUED, and stores it.

Policies: type 1 attributes irflow relies on are enforced (0x0120 when absent, 0x0121 when
empty); type 2 attributes that are absent are read as empty, because rejecting a step over a
missing Referenced Patient Sequence would lose the record of a procedure. Attributes an N-SET
may not change (F.7.2-1 "Not allowed") are ignored and listed in `MppsUpdate.ignored_keywords`,
so the handler can log them or answer the 0x0107 Attribute List Error warning.
"""

from irflow.dicom.mpps.parsing import (
    NSET_NOT_ALLOWED,
    check_final_state,
    parse_mpps_create,
    parse_mpps_set,
)
from irflow.dicom.mpps.records import (
    DOSE_SR_SOP_CLASS_UIDS,
    DoseSummary,
    ExposureDose,
    MppsCreate,
    MppsUpdate,
    PerformedSeries,
    ScheduledStep,
    SopReference,
)
from irflow.dicom.mpps.states import (
    ERROR_ID_MAY_NO_LONGER_BE_UPDATED,
    MSG_CREATE_NOT_IN_PROGRESS,
    MSG_DUPLICATE_INSTANCE,
    MSG_END_INCOMPLETE,
    MSG_FINAL_STATE_NO_END,
    MSG_FINAL_STATE_NO_SERIES,
    MSG_INVALID_DATE,
    MSG_INVALID_NUMBER,
    MSG_INVALID_STATUS,
    MSG_INVALID_TIME,
    MSG_INVALID_UID,
    MSG_MAY_NO_LONGER_BE_UPDATED,
    MSG_MISSING_ATTRIBUTE,
    MSG_MISSING_SOP_INSTANCE_UID,
    MSG_MISSING_VALUE,
    MSG_NO_SUCH_INSTANCE,
    STATUS_ATTRIBUTE_LIST_ERROR,
    STATUS_DUPLICATE_SOP_INSTANCE,
    STATUS_INVALID_ATTRIBUTE_VALUE,
    STATUS_INVALID_OBJECT_INSTANCE,
    STATUS_MISSING_ATTRIBUTE,
    STATUS_MISSING_ATTRIBUTE_VALUE,
    STATUS_NO_SUCH_SOP_INSTANCE,
    STATUS_PROCESSING_FAILURE,
    STATUS_SUCCESS,
    TRANSITIONS,
    MppsError,
    MppsStatus,
    Operation,
    Transition,
    mpps_transition,
)
from irflow.dicom.worklist.values import Code

__all__ = [
    "DOSE_SR_SOP_CLASS_UIDS",
    "ERROR_ID_MAY_NO_LONGER_BE_UPDATED",
    "MSG_CREATE_NOT_IN_PROGRESS",
    "MSG_DUPLICATE_INSTANCE",
    "MSG_END_INCOMPLETE",
    "MSG_FINAL_STATE_NO_END",
    "MSG_FINAL_STATE_NO_SERIES",
    "MSG_INVALID_DATE",
    "MSG_INVALID_NUMBER",
    "MSG_INVALID_STATUS",
    "MSG_INVALID_TIME",
    "MSG_INVALID_UID",
    "MSG_MAY_NO_LONGER_BE_UPDATED",
    "MSG_MISSING_ATTRIBUTE",
    "MSG_MISSING_SOP_INSTANCE_UID",
    "MSG_MISSING_VALUE",
    "MSG_NO_SUCH_INSTANCE",
    "NSET_NOT_ALLOWED",
    "STATUS_ATTRIBUTE_LIST_ERROR",
    "STATUS_DUPLICATE_SOP_INSTANCE",
    "STATUS_INVALID_ATTRIBUTE_VALUE",
    "STATUS_INVALID_OBJECT_INSTANCE",
    "STATUS_MISSING_ATTRIBUTE",
    "STATUS_MISSING_ATTRIBUTE_VALUE",
    "STATUS_NO_SUCH_SOP_INSTANCE",
    "STATUS_PROCESSING_FAILURE",
    "STATUS_SUCCESS",
    "TRANSITIONS",
    "Code",
    "DoseSummary",
    "ExposureDose",
    "MppsCreate",
    "MppsError",
    "MppsStatus",
    "MppsUpdate",
    "Operation",
    "PerformedSeries",
    "ScheduledStep",
    "SopReference",
    "Transition",
    "check_final_state",
    "mpps_transition",
    "parse_mpps_create",
    "parse_mpps_set",
]
