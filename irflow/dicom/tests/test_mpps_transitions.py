"""MPPS: every edge of the step state machine, with the DICOM status it answers."""

import pytest

import irflow.dicom.mpps as mpps
from irflow.dicom.mpps import (
    ERROR_ID_MAY_NO_LONGER_BE_UPDATED,
    MSG_CREATE_NOT_IN_PROGRESS,
    MSG_DUPLICATE_INSTANCE,
    MSG_INVALID_STATUS,
    MSG_MAY_NO_LONGER_BE_UPDATED,
    MSG_MISSING_ATTRIBUTE,
    MSG_NO_SUCH_INSTANCE,
    STATUS_DUPLICATE_SOP_INSTANCE,
    STATUS_INVALID_ATTRIBUTE_VALUE,
    STATUS_MISSING_ATTRIBUTE,
    STATUS_NO_SUCH_SOP_INSTANCE,
    STATUS_PROCESSING_FAILURE,
    STATUS_SUCCESS,
    MppsError,
    MppsStatus,
    Operation,
    mpps_transition,
)

IN_PROGRESS, COMPLETED, DISCONTINUED = "IN PROGRESS", "COMPLETED", "DISCONTINUED"
CREATE, SET = Operation.N_CREATE, Operation.N_SET
NOT_UPDATABLE = (STATUS_PROCESSING_FAILURE, MSG_MAY_NO_LONGER_BE_UPDATED)

# Every edge: (operation, stored status, requested status) -> (DIMSE status, Error Comment).
EDGES = {
    (CREATE, None, IN_PROGRESS): (STATUS_SUCCESS, ""),
    (CREATE, None, " IN PROGRESS "): (STATUS_SUCCESS, ""),
    (CREATE, None, COMPLETED): (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_CREATE_NOT_IN_PROGRESS),
    (CREATE, None, DISCONTINUED): (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_CREATE_NOT_IN_PROGRESS),
    (CREATE, None, "SCHEDULED"): (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_CREATE_NOT_IN_PROGRESS),
    (CREATE, None, ""): (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_CREATE_NOT_IN_PROGRESS),
    (CREATE, None, None): (STATUS_MISSING_ATTRIBUTE, MSG_MISSING_ATTRIBUTE),
    **{
        (CREATE, stored, requested): (STATUS_DUPLICATE_SOP_INSTANCE, MSG_DUPLICATE_INSTANCE)
        for stored in MppsStatus
        for requested in (IN_PROGRESS, COMPLETED, None)
    },
    **{
        (SET, None, requested): (STATUS_NO_SUCH_SOP_INSTANCE, MSG_NO_SUCH_INSTANCE)
        for requested in (IN_PROGRESS, COMPLETED, DISCONTINUED, None)
    },
    (SET, IN_PROGRESS, None): (STATUS_SUCCESS, ""),
    (SET, IN_PROGRESS, IN_PROGRESS): (STATUS_SUCCESS, ""),
    (SET, IN_PROGRESS, COMPLETED): (STATUS_SUCCESS, ""),
    (SET, IN_PROGRESS, DISCONTINUED): (STATUS_SUCCESS, ""),
    (SET, IN_PROGRESS, "SCHEDULED"): (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_STATUS),
    (SET, IN_PROGRESS, ""): (STATUS_INVALID_ATTRIBUTE_VALUE, MSG_INVALID_STATUS),
    **{
        (SET, stored, requested): NOT_UPDATABLE
        for stored in (COMPLETED, DISCONTINUED)
        for requested in (IN_PROGRESS, COMPLETED, DISCONTINUED, "SCHEDULED", None)
    },
}


@pytest.mark.parametrize(("edge", "expected"), EDGES.items(), ids=lambda v: repr(v))
def test_transition(edge, expected):
    operation, stored, requested = edge
    result = mpps_transition(stored, requested, operation=operation)
    assert (result.status, result.comment) == expected
    assert result.allowed is (expected[0] == STATUS_SUCCESS)
    if result.allowed:
        assert result.new_status == MppsStatus((requested or stored).strip())
        result.raise_if_denied()
    else:
        with pytest.raises(MppsError) as caught:
            result.raise_if_denied()
        assert (caught.value.status, caught.value.comment) == expected


def test_update_after_final_state_carries_error_id():
    result = mpps_transition(COMPLETED, COMPLETED, operation=SET)
    assert result.error_id == ERROR_ID_MAY_NO_LONGER_BE_UPDATED == 0xA710


def test_messages_fit_error_comment():
    messages = [value for name, value in vars(mpps).items() if name.startswith("MSG_")]
    assert messages and all(len(message) <= 64 for message in messages)
