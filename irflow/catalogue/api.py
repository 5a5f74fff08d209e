"""Reference data over REST (read-only; administrators edit it on /administration/)."""

from __future__ import annotations

from ninja import Router, Schema

from irflow.catalogue import selectors
from irflow.lib.apischema import LocalTime, perm

router = Router()
API_PREFIX = "/catalogue"
API_TAGS = ["reference data"]


class ProcedureTypeOut(Schema):
    code: str
    name: str
    category: str
    modalities: list[str]
    bleeding_risk: str
    bleeding_risk_note: str
    default_duration_min: int
    technical_success_definition: str
    clinical_success_definition: str


class RoomOut(Schema):
    code: str
    name: str
    kind: str
    modality: str
    station_ae_title: str
    opens_at: LocalTime
    closes_at: LocalTime
    open_weekdays: list[int]


@router.get("/procedures", response=list[ProcedureTypeOut], openapi_extra=perm("catalogue.view"))
def procedure_list(request, category: str = ""):
    return selectors.procedure_types(actor=request.auth, category=category)


@router.get("/rooms", response=list[RoomOut], openapi_extra=perm("room.view"))
def room_list(request):
    return selectors.rooms(actor=request.auth)
