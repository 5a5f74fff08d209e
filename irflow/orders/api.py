"""Orders over REST: thin handlers over orders.services and orders.selectors."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status

from irflow.lib.apischema import perm
from irflow.orders import selectors, services
from irflow.orders.models import Laterality, Order, OrderStatus, Priority

router = Router()
API_PREFIX = "/orders"
API_TAGS = ["orders"]


class OrderOut(Schema):
    id: int
    patient_id: int
    procedure_code: str
    procedure_name: str
    laterality: str
    site: str
    priority: str
    status: str
    clinical_indication: str
    accession_number: str
    requested_procedure_id: str
    study_instance_uid: str
    placer_order_number: str
    cancel_reason: str
    created_at: datetime

    @staticmethod
    def resolve_procedure_code(obj: Order) -> str:
        return obj.procedure_type.code

    @staticmethod
    def resolve_procedure_name(obj: Order) -> str:
        return obj.procedure_type.name


class OrderIn(Schema):
    patient_id: int
    procedure_code: str = Field(min_length=1, max_length=20)
    priority: Priority = Priority.ROUTINE
    laterality: Laterality = Laterality.NOT_APPLICABLE
    site: str = Field("", max_length=100)
    clinical_indication: str = Field("", max_length=2000)
    placer_order_number: str = Field("", max_length=40)


@router.get("", response=list[OrderOut], openapi_extra=perm("order.view"))
def order_list(
    request,
    status: OrderStatus | None = None,
    to_book: bool = False,
    limit: int = Query(200, ge=1, le=500),
):
    """Orders, most urgent first; `to_book=true` lists those waiting for a booking."""
    return selectors.order_list(
        actor=request.auth, status=status or "", to_book=to_book, limit=limit
    )


@router.post("", response={201: OrderOut}, openapi_extra=perm("order.create", errors=(404,)))
def order_create(request, payload: OrderIn):
    """Order a procedure (issues accession number, requested procedure ID and Study UID)."""
    data = payload.dict()
    procedure = services.procedure_by_code(data.pop("procedure_code"))
    order = services.order_create(actor=request.auth, procedure_type=procedure, **data)
    return Status(201, order)


@router.get("/{order_id}", response=OrderOut, openapi_extra=perm("order.view"))
def order_get(request, order_id: int):
    return selectors.order_get(actor=request.auth, order_id=order_id)
