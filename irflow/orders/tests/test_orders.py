"""Orders: created with identifiers under the site's UID root, listed by scope, cancelled."""

from __future__ import annotations

import pytest

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.lib.errors import ValidationFailed
from irflow.orders.models import OrderStatus
from irflow.orders.services import MSG_UNKNOWN_PROCEDURE, procedure_by_code
from irflow.patients.models import CareRelation
from irflow.scheduling.models import BookingStatus
from irflow.scheduling.services import order_cancel
from irflow.testing.fixtures import login, make_booking, make_order, next_weekday_at

pytestmark = pytest.mark.django_db


def headers(user) -> dict:
    token = api_token_create(actor=SYSTEM, user_id=user.pk, name="t")[1]
    return {"headers": {"authorization": f"Bearer {token}"}, "content_type": "application/json"}


def test_orders_over_the_api(client, personas, patient, settings):
    settings.IRFLOW_UID_ROOT = "1.2.826.0.1.9999"
    created = client.post(
        "/api/orders",
        {"patient_id": patient.pk, "procedure_code": "PTA-FP", "laterality": "right"},
        **headers(personas["attending"]),
    )
    assert created.status_code == 201
    body = created.json()
    assert body["study_instance_uid"].startswith("1.2.826.0.1.9999.1.")
    assert len(body["accession_number"]) <= 16 and len(body["requested_procedure_id"]) <= 16
    assert (body["procedure_code"], body["laterality"], body["status"]) == (
        "PTA-FP",
        "right",
        "ordered",
    )
    unknown = client.post(
        "/api/orders",
        {"patient_id": patient.pk, "procedure_code": "NOPE"},
        **headers(personas["attending"]),
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == {
        "procedure_code": [MSG_UNKNOWN_PROCEDURE.format(code="NOPE")]
    }
    to_book = client.get("/api/orders?to_book=true", **headers(personas["scheduler"])).json()
    assert [o["id"] for o in to_book] == [body["id"]]
    # A referrer sees the orders of the patients in their care only.
    assert client.get("/api/orders", **headers(personas["referrer"])).json() == []
    CareRelation.objects.create(patient=patient, clinician=personas["referrer"])
    assert len(client.get("/api/orders", **headers(personas["referrer"])).json()) == 1


def test_cancelling_an_order_cancels_its_unstarted_booking(personas, patient, angio_room):
    attending = personas["attending"]
    order = make_order(attending, patient)
    booking = make_booking(attending, order, angio_room, next_weekday_at(9))
    with pytest.raises(ValidationFailed):
        order_cancel(actor=attending, order_id=order.pk, reason=" ")
    order = order_cancel(actor=personas["scheduler"], order_id=order.pk, reason="Patient moved")
    booking.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "Patient moved"
    assert (booking.status, booking.active) == (BookingStatus.CANCELLED, False)
    assert booking.cancel_note == "Order cancelled: Patient moved"


def test_the_orders_page_lists_what_waits_for_a_booking(client, personas, patient):
    order = make_order(personas["attending"], patient, "PORT", priority="urgent")
    login(client, personas["scheduler"])
    page = client.get("/orders/").content.decode()
    assert order.accession_number in page and f"/scheduling/book/{order.pk}/" in page
    assert procedure_by_code("PORT").name in page
