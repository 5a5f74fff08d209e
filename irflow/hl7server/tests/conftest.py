"""The real HL7 listener, in-process on a free loopback port, over the test database.

Tests that talk to it use `transactional_db`: the listener's worker threads open their own
database connections and must see committed data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from irflow.hl7server import listener
from irflow.testing.mllp_sender import Sender


@dataclass
class Listener:
    host: str
    port: int

    def sender(self, **kwargs) -> Sender:
        return Sender(self.host, self.port, **kwargs)


def start_listener(**overrides) -> tuple[Listener, listener.Running]:
    config = listener.ListenerConfig.from_settings(host="127.0.0.1", port=0, **overrides)
    running = listener.start(config)
    return Listener("127.0.0.1", running.port), running


@pytest.fixture
def hl7_listener(transactional_db) -> Iterator[Listener]:
    """irflow's HL7 listener on a free port."""
    found, running = start_listener()
    try:
        yield found
    finally:
        running.stop()
