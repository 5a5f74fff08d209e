"""Modality Worklist query core (PS3.4 Annex K): parse a C-FIND identifier into filters the
database can run, and build the response identifier for each matching item. No Django here."""

from irflow.dicom.worklist.items import WorklistItem, resolve
from irflow.dicom.worklist.keys import MATCHING_KEYS, RETURN_KEYS, KeySpec
from irflow.dicom.worklist.matching import matches
from irflow.dicom.worklist.query import (
    LIKE_ESCAPE,
    MSG_CONTROL_CHARACTER,
    MSG_INVALID_DATE,
    MSG_INVALID_RANGE,
    MSG_INVALID_TIME,
    MSG_INVALID_UID,
    MSG_MULTIPLE_VALUES,
    MSG_NOT_A_SEQUENCE,
    MSG_REVERSED_RANGE,
    MSG_SEQUENCE_ITEMS,
    STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS,
    STATUS_UNABLE_TO_PROCESS,
    Filter,
    InvalidQuery,
    MatchKind,
    ReturnKey,
    WorklistQuery,
    parse_worklist_query,
    to_like_pattern,
)
from irflow.dicom.worklist.response import build_response
from irflow.dicom.worklist.values import Code, fold_case, normalize_pn, pn_group

__all__ = [
    "LIKE_ESCAPE",
    "MATCHING_KEYS",
    "MSG_CONTROL_CHARACTER",
    "MSG_INVALID_DATE",
    "MSG_INVALID_RANGE",
    "MSG_INVALID_TIME",
    "MSG_INVALID_UID",
    "MSG_MULTIPLE_VALUES",
    "MSG_NOT_A_SEQUENCE",
    "MSG_REVERSED_RANGE",
    "MSG_SEQUENCE_ITEMS",
    "RETURN_KEYS",
    "STATUS_IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS",
    "STATUS_UNABLE_TO_PROCESS",
    "Code",
    "Filter",
    "InvalidQuery",
    "KeySpec",
    "MatchKind",
    "ReturnKey",
    "WorklistItem",
    "WorklistQuery",
    "build_response",
    "fold_case",
    "matches",
    "normalize_pn",
    "parse_worklist_query",
    "pn_group",
    "resolve",
    "to_like_pattern",
]
