"""Messages applied at once by two listeners on one PostgreSQL: a new patient is registered
once, a placer order makes one order, and the messages for one patient apply one after the
other (the patient's row is locked while a message applies)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from irflow.hl7.parse import HL7Error, parse
from irflow.hl7server.apply import Applied, apply
from irflow.hl7server.models import InboundMessage
from irflow.hl7server.tests.test_apply import adt, order, pid
from irflow.orders.models import Order
from irflow.patients.models import Patient

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has one writer at a time: nothing runs at once to test",
    ),
]


def _store_and_apply(raw: str) -> Applied | HL7Error:
    data = raw.encode()
    parsed = parse(data)
    header = parsed.header
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                raw=data,
                sending_application=header.sending_application,
                control_id=header.control_id,
                message_type=header.message_type,
            )
            with transaction.atomic():
                return apply(message, parsed)
    except HL7Error as exc:
        return exc
    finally:
        connection.close()


def at_once(*messages: str) -> list[Applied | HL7Error]:
    barrier = threading.Barrier(len(messages))
    results: list[Applied | HL7Error | None] = [None] * len(messages)

    def run(i: int, raw: str) -> None:
        barrier.wait()
        results[i] = _store_and_apply(raw)

    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(messages)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def test_two_registrations_of_a_new_patient_at_once_make_one_patient():
    for n in range(3):
        results = at_once(adt("A04", pid(f"RACE{n}")), adt("A04", pid(f"RACE{n}", phone="0113")))
        assert all(isinstance(r, Applied) for r in results), results
        assert Patient.objects.filter(identifiers__value=f"RACE{n}").count() == 1
        # Whichever came first, the other applied onto that record: the phone is there.
        assert Patient.objects.get(identifiers__value=f"RACE{n}").phone == "0113"


def test_the_same_nw_twice_at_once_makes_one_order():
    for n in range(3):
        results = at_once(order(placer=f"R{n}"), order(placer=f"R{n}"))
        assert all(isinstance(r, Applied) for r in results), results
        assert sorted(r.status for r in results) == ["applied", "ignored"]  # type: ignore[union-attr]
        assert Order.objects.filter(placer_order_number=f"R{n}").count() == 1
