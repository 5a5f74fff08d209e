"""Reads of orders, filtered by the reader's scope and written to the access log."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from irflow.accounts.actors import Actor, person
from irflow.accounts.permissions import OWN, require
from irflow.audit.services import access_log_record
from irflow.lib.errors import NotFound
from irflow.orders.models import Order, OrderStatus, Priority

MSG_ORDER_NOT_FOUND = "No such order, or you may not see it."

PRIORITY_RANK = Case(
    When(priority=Priority.EMERGENT, then=Value(0)),
    When(priority=Priority.URGENT, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
BOOKABLE = (OrderStatus.ORDERED, OrderStatus.DISCONTINUED)


def orders_visible(*, actor: Actor, action: str = "order.view") -> QuerySet[Order]:
    """Orders `actor` may see: all, or those of patients in their care (referrers)."""
    scope = require(actor, action)
    qs = Order.objects.select_related("patient", "procedure_type").filter(patient__is_active=True)
    if scope is OWN:
        qs = qs.filter(patient__care_relations__clinician=person(actor))
    return qs


def order_get(*, actor: Actor, order_id: int, what: str = "order") -> Order:
    """One order, if `actor` may see it; the read is written to the access log."""
    order = orders_visible(actor=actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound(MSG_ORDER_NOT_FOUND)
    access_log_record(actor=actor, patient=order.patient, what=f"{what} {order.accession_number}")
    return order


def order_list(
    *, actor: Actor, status: str = "", to_book: bool = False, limit: int = 200
) -> list[Order]:
    """Orders, most urgent first; `to_book` keeps those waiting for a booking."""
    qs = orders_visible(actor=actor).prefetch_related("patient__identifiers")
    if to_book:
        qs = qs.filter(status__in=BOOKABLE)
    elif status:
        qs = qs.filter(status=status)
    orders = list(qs.order_by(PRIORITY_RANK, "created_at", "pk")[:limit])
    access_log_record(
        actor=actor,
        patient=None,
        what=f"order list ({len(orders)})",
        shown=[o.patient for o in orders],
    )
    return orders
