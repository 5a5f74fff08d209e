"""Idle, stalled and greedy peers cannot hold the listener's slots: connections that never
associate do not count, end at the ARTIM timeout, and a PDU header claiming gigabytes ends
its connection; accepted associations and open connections are capped per peer address."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from irflow.dicomserver import server
from irflow.dicomserver.synthetic import worklist_fill
from irflow.dicomserver.tests.conftest import findscu
from irflow.dicomserver.transport import MAX_PDU_BYTES
from irflow.dicomserver.worklist.filters import ON_WORKLIST
from irflow.scheduling.models import Booking
from irflow.testing.service import free_port

pytestmark = pytest.mark.e2e

# An A-ASSOCIATE-RQ PDU header claiming 4 GiB - 1 of body, and nothing after it.
HUGE_PDU_HEADER = struct.pack(">BBL", 0x01, 0x00, 0xFFFFFFFF)


@contextmanager
def idle_sockets(host: str, port: int, count: int, *, send: bytes = b"", source: str = ""):
    """`count` TCP connections to the listener that send `send` (or nothing) and then stay
    silent; closed at the end."""
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            if source:
                sock.bind((source, 0))
            sock.settimeout(30)
            sock.connect((host, port))
            if send:
                sock.sendall(send)
            sockets.append(sock)
        yield sockets


def closed_by_listener(sock: socket.socket) -> bool:
    """True once the listener has closed the connection (blocks up to the socket timeout)."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@contextmanager
def running_listener(**overrides) -> Iterator[server.ListenerConfig]:
    with running_servers(**overrides) as (config, _):
        yield config


@contextmanager
def running_servers(**overrides) -> Iterator[tuple[server.ListenerConfig, server.Running]]:
    config = server.ListenerConfig.from_settings(host="127.0.0.1", port=free_port(), **overrides)
    running = server.start(config)
    try:
        yield config, running
    finally:
        server.stop(running, grace_s=0.5)


def echo_ae(calling: str = "ANGIO1") -> AE:
    ae = AE(ae_title=calling)
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.network_timeout = 30
    return ae


def test_idle_sockets_and_huge_pdu_headers_do_not_block_the_worklist(listener, tmp_path):
    """The issue's "Done means": 20 idle sockets (and 10 more that sent a PDU header claiming
    4 GB) are held open on the DICOM port; a real findscu still gets its worklist in 5 s."""
    worklist_fill(count=60, first_day=date(2026, 3, 26), seed=9, stations=2, slots_per_day=6)
    expected = Booking.objects.filter(
        station_ae_title="STN01", status__in=ON_WORKLIST, active=True
    ).count()
    assert expected > 0
    with (
        idle_sockets(listener.host, listener.port, 20),
        idle_sockets(listener.host, listener.port, 10, send=HUGE_PDU_HEADER) as huge,
    ):
        process, responses = findscu(
            listener,
            "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=STN01",
            "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID",
            "PatientName",
            out=tmp_path / "answers",
            timeout=5,  # the bound: subprocess.TimeoutExpired fails the test
        )
        assert process.returncode == 0, process.stderr
        assert len(responses) == expected
        # The listener did not wait for the 4 GB: each of those connections is closed.
        assert all(closed_by_listener(sock) for sock in huge)


def test_a_connection_that_never_associates_is_closed_at_the_artim_timeout(transactional_db):
    with (
        running_listener(artim_timeout_s=1) as config,
        idle_sockets(config.host, config.port, 3) as idle,
    ):
        assert all(closed_by_listener(sock) for sock in idle)  # within the sockets' 30 s


def test_connections_closed_before_associating_leave_no_thread_behind(transactional_db):
    """pynetdicom's association thread would wait out the ARTIM timeout (here 60 s) for a
    request from a peer that has already gone; irflow tells it there is none."""
    with running_servers(artim_timeout_s=60) as (config, running):
        with idle_sockets(config.host, config.port, 15):
            deadline = time.monotonic() + 10
            while len(running.active_associations) < 15 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(running.active_associations) == 15
        deadline = time.monotonic() + 10  # an upper bound, far below the ARTIM timeout
        while running.active_associations and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running.active_associations == []


def test_a_peer_that_stalls_mid_pdu_is_cut_off(transactional_db):
    """A PDU header with a plausible length, then silence: the read times out."""
    with (
        running_listener(network_timeout_s=1) as config,
        idle_sockets(
            config.host, config.port, 2, send=struct.pack(">BBL", 0x01, 0x00, 200) + b"\0" * 20
        ) as stalled,
    ):
        assert all(closed_by_listener(sock) for sock in stalled)
    assert MAX_PDU_BYTES < 0xFFFFFFFF


def test_accepted_associations_are_capped_per_peer_address(transactional_db):
    with running_listener(max_associations=5, max_associations_per_peer=2) as config:
        ae = echo_ae()
        held = [ae.associate(config.host, config.port, ae_title=config.ae_title) for _ in "ab"]
        assert all(assoc.is_established for assoc in held)
        third = ae.associate(config.host, config.port, ae_title=config.ae_title)
        assert third.is_rejected
        rejection = third.acceptor.primitive
        assert (rejection.result, rejection.result_source, rejection.diagnostic) == (2, 3, 2)
        # Another address of the same machine is another peer: it still gets in.
        other = ae.associate(
            config.host, config.port, ae_title=config.ae_title, bind_address=("127.0.0.2", 0)
        )
        assert other.is_established
        other.release()
        # A released association gives its slot back at once, thread or no thread.
        held[0].release()
        again = ae.associate(config.host, config.port, ae_title=config.ae_title)
        assert again.is_established
        for assoc in (held[1], again):
            assoc.release()


def test_open_connections_are_capped_per_peer_address(transactional_db):
    with (
        running_listener(max_connections_per_peer=3) as config,
        idle_sockets(config.host, config.port, 3, source="127.0.0.2"),
        idle_sockets(config.host, config.port, 1, source="127.0.0.2") as fourth,
    ):
        assert closed_by_listener(fourth[0])
        assoc = echo_ae().associate(config.host, config.port, ae_title=config.ae_title)
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
