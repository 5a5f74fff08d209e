"""/health: database, worker, listeners and queue told apart, as JSON; 503 when the database
is away."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from irflow.runtime import health as health_module
from irflow.runtime.models import WorkerHeartbeat
from irflow.testing.outage import database_away
from irflow.testing.service import free_port

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = {"status", "database", "worker", "listeners", "queue"}


@pytest.fixture(autouse=True)
def _fresh_listener_answer(settings):
    settings.IRFLOW_HL7_ENABLED = False  # the HL7 listener: its own test below
    health_module._listener_cache.clear()
    yield
    health_module._listener_cache.clear()


@pytest.fixture
def listening(settings):
    """Something listening where the settings say the DICOM listener is."""
    server = socket.create_server(("127.0.0.1", 0))
    settings.IRFLOW_DICOM_HOST = "127.0.0.1"
    settings.IRFLOW_DICOM_PORT = server.getsockname()[1]
    yield server
    server.close()


def beat(worker_id: str, seconds_ago: float) -> None:
    when = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="h", pid=1, started_at=when, last_seen=when
    )


def test_all_well(listening):
    beat("w1", 1)
    response = Client().get("/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == KEYS
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["worker"]["ok"] is True and body["worker"]["alive"] == 1
    assert 0 <= body["worker"]["seconds_ago"] < 30
    port = listening.getsockname()[1]
    assert body["listeners"] == {"dicom": {"ok": True, "address": f"127.0.0.1:{port}"}}
    assert body["queue"] == {"ready": 0, "running": 0, "oldest_ready_s": None}
    assert response["Cache-Control"] == "no-store"


def test_a_silent_worker_and_a_closed_port_are_degraded_but_still_200(settings):
    settings.IRFLOW_DICOM_HOST = "127.0.0.1"
    settings.IRFLOW_DICOM_PORT = free_port()
    beat("w-old", 3600)
    response = Client().get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["worker"]["ok"] is False and body["worker"]["alive"] == 0
    assert body["worker"]["seconds_ago"] >= 3600
    assert body["listeners"]["dicom"]["ok"] is False


def test_queue_depth_counts_waiting_and_running_tasks(listening):
    from irflow.dose import storage
    from irflow.dose.tasks import received_record_queued

    beat("w1", 0)
    received_record_queued(stored=storage.store_durably(b"q" * 20), channel="dicom")
    body = Client().get("/health").json()
    assert body["queue"]["ready"] == 1 and body["queue"]["running"] == 0
    assert body["queue"]["oldest_ready_s"] >= 0


def test_no_listener_expected_when_dicom_is_off(settings):
    settings.IRFLOW_DICOM_ENABLED = False
    beat("w1", 0)
    body = Client().get("/health").json()
    assert body["listeners"] == {} and body["status"] == "ok"


def test_the_hl7_listener_is_expected_unless_off(settings, listening):
    beat("w1", 0)
    settings.IRFLOW_HL7_ENABLED = True
    settings.IRFLOW_HL7_HOST = "127.0.0.1"
    settings.IRFLOW_HL7_PORT = free_port()
    body = Client().get("/health").json()
    assert body["listeners"]["hl7"]["ok"] is False and body["status"] == "degraded"
    settings.IRFLOW_HL7_PORT = listening.getsockname()[1]
    health_module._listener_cache.clear()
    body = Client().get("/health").json()
    assert body["listeners"]["hl7"]["ok"] is True and body["status"] == "ok"


def test_database_away_is_503_json(listening):
    with database_away():
        response = Client(raise_request_exception=False).get("/health")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert set(body) == KEYS
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is False and body["database"]["error"]
    assert body["worker"] is None and body["queue"] is None
    assert body["listeners"]["dicom"]["ok"] is True  # the listener does not need it to listen
