"""`irflow up` runs the HL7 listener: a sending system's messages over MLLP get their ACKs,
a repeat its original ACK, and /health knows the listener."""

from __future__ import annotations

import time

import pytest
import requests

from irflow.hl7.parse import parse
from irflow.testing.mllp_sender import Ack, Sender, adt_a04, orm_o01
from irflow.testing.service import running_service
from irflow.testing.tools import shared_data

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_irflow_up_receives_hl7(tmp_path):
    omi = shared_data("hl7", "dcm4che", "omi-o23-imaging-order.hl7").read_bytes()
    with running_service(tmp_path / "data", "--no-demo") as service:
        port = service.ports["hl7"]
        # The web answers first; the listener, started beside it, within moments.
        deadline = time.monotonic() + 30
        while True:
            health = requests.get(service.url + "/health", timeout=10).json()
            if health["listeners"]["hl7"]["ok"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert health["listeners"]["hl7"] == {"ok": True, "address": f"127.0.0.1:{port}"}
        # Sent again below as an engine resends: the same bytes (EVN-2 holds the time too).
        registration = adt_a04("UP-1", control_id="UP-ADT-1")
        with Sender("127.0.0.1", port) as sender:
            first = sender.send(registration)
            assert Ack.read(first).code == "AA"
            assert Ack.read(first).control_id == "UP-ADT-1"
            order = Ack.read(sender.send(orm_o01("UP-1", control_id="UP-ORM-1", placer="P1")))
            assert (order.code, order.control_id, order.message_type) == (
                "AA",
                "UP-ORM-1",
                "ACK^O01",
            )
            got = Ack.read(sender.send(omi))
            assert (got.code, got.control_id) == ("AA", parse(omi).header.control_id)
        with Sender("127.0.0.1", port) as again:
            assert again.send(registration) == first
    assert "started hl7 " in service.log()
