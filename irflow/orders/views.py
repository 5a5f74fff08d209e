"""Order pages: the list of orders (by default those waiting for a booking)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from irflow.accounts.permissions import can
from irflow.orders import selectors
from irflow.orders.models import OrderStatus


@login_required
def order_list(request):
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
    orders = selectors.order_list(actor=request.user, status=status, to_book=not status)
    return render(
        request,
        "orders/list.html",
        {
            "orders": orders,
            "status": status,
            "statuses": OrderStatus.choices,
            "can_book": can(request.user, "booking.manage"),
        },
    )
