"""Audit trails over REST (auditors only)."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema

from irflow.audit import selectors
from irflow.lib.apischema import Day, perm

router = Router()
API_PREFIX = "/audit"
API_TAGS = ["audit"]


class AccessOut(Schema):
    at: datetime
    username: str
    role: str
    patient_id: int | None
    patient_label: str
    what: str
    channel: str
    remote_addr: str
    refused: bool


class HistoryOut(Schema):
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict


@router.get("/access", response=list[AccessOut], openapi_extra=perm("audit.view"))
def access_log(
    request,
    username: str = "",
    patient_id: int | None = None,
    since: Day | None = None,
    until: Day | None = None,
    limit: int = Query(200, ge=1, le=1000),
):
    return selectors.access_log_search(
        actor=request.auth,
        username=username,
        patient_id=patient_id,
        since=since,
        until=until,
        limit=limit,
    )


@router.get("/history", response=list[HistoryOut], openapi_extra=perm("audit.view"))
def history(
    request,
    username: str = "",
    patient_id: int | None = None,
    since: Day | None = None,
    until: Day | None = None,
    limit: int = Query(200, ge=1, le=1000),
):
    return selectors.history_search(
        actor=request.auth,
        username=username,
        patient_id=patient_id,
        since=since,
        until=until,
        limit=limit,
    )
