"""The task worker: its sweep fails the tasks of a worker that is gone and the dose reading is
queued again; it outlives a database outage and carries on when the database is back."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from irflow.dose import storage
from irflow.dose.models import ReceivedObject, ReceivedStatus
from irflow.dose.tasks import received_record_queued
from irflow.lib.workers import WORKER_GONE_PATH
from irflow.runtime.models import WorkerHeartbeat
from irflow.runtime.worker import ResilientWorker, sweep
from irflow.testing.outage import database_away

pytestmark = pytest.mark.django_db(transaction=True)

READ = "irflow.dose.tasks.received_process_task"


def beat(worker_id: str, seconds_ago: float) -> None:
    when = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": "h", "pid": 1, "started_at": when, "last_seen": when},
    )


def received_running(worker_id: str, *, started_s_ago: float, data: bytes) -> ReceivedObject:
    """An object whose reading task `worker_id` claimed `started_s_ago` seconds ago."""
    received = received_record_queued(stored=storage.store_durably(data), channel="dicom")
    DBTaskResult.objects.filter(pk=received.task_id).update(
        status="RUNNING",
        worker_ids=[worker_id],
        started_at=timezone.now() - timedelta(seconds=started_s_ago),
    )
    return received


def test_a_dead_workers_reading_is_failed_and_queued_again(settings):
    settings.IRFLOW_WORKER_GONE_AFTER_S = 30
    beat("dead", 120)
    received = received_running("dead", started_s_ago=125, data=b"a" * 30)

    assert sweep(sweeper="me") == (1, 1)

    old = DBTaskResult.objects.get(pk=received.task_id)
    assert old.status == "FAILED" and old.exception_class_path == WORKER_GONE_PATH
    assert "dead" in old.traceback
    received.refresh_from_db()
    new = DBTaskResult.objects.get(pk=received.task_id)
    assert new.status == "READY" and new.task_path == READ
    assert new.args_kwargs == {"args": [received.pk], "kwargs": {}}
    assert sweep(sweeper="me") == (0, 0)  # once


def test_a_live_workers_task_is_left_alone(settings):
    settings.IRFLOW_WORKER_GONE_AFTER_S = 30
    beat("alive", 2)
    received = received_running("alive", started_s_ago=600, data=b"b" * 30)
    assert sweep(sweeper="me") == (0, 0)
    assert DBTaskResult.objects.get(pk=received.task_id).status == "RUNNING"


def test_a_task_claimed_just_now_gets_its_grace_even_without_a_heartbeat(settings):
    settings.IRFLOW_WORKER_GONE_AFTER_S = 30
    received = received_running("new", started_s_ago=1, data=b"c" * 30)
    assert sweep(sweeper="me") == (0, 0)
    assert DBTaskResult.objects.get(pk=received.task_id).status == "RUNNING"


def test_the_sweeper_fails_its_own_task_cut_off_by_an_outage_but_not_the_one_it_runs():
    beat("me", 0)
    cut_off = received_running("me", started_s_ago=1, data=b"d" * 30)
    running = received_running("me", started_s_ago=0, data=b"e" * 30)
    assert sweep(sweeper="me", running=running.task_id) == (1, 1)
    assert DBTaskResult.objects.get(pk=running.task_id).status == "RUNNING"
    cut_off.refresh_from_db()
    assert DBTaskResult.objects.get(pk=cut_off.task_id).status == "READY"


def _worker() -> ResilientWorker:
    return ResilientWorker(
        queue_names=["*"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="in-test",
        excluded_queue_names=[],
    )


def _where(thread: threading.Thread) -> str:
    """What `thread` is doing now: its stack, for a failure's message."""
    frame = sys._current_frames().get(thread.ident or 0)
    return "".join(traceback.format_stack(frame)) if frame is not None else "not running"


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_worker_waits_out_a_database_outage_and_carries_on(settings, caplog):
    settings.IRFLOW_WORKER_RETRY_MAX_S = 1
    settings.IRFLOW_WORKER_HEARTBEAT_S = 1
    worker = _worker()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as exc:  # the test fails on it below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert _wait(lambda: WorkerHeartbeat.objects.filter(worker_id="in-test").exists(), 30)
        connection.close()
        with database_away():
            assert _wait(lambda: "the database is unavailable" in caplog.text, 30), (
                failures,
                thread.is_alive(),
                worker.current_task,
                caplog.text[-2000:],
                _where(thread),
            )
            time.sleep(3)  # several more attempts, each refused by the driver
            assert thread.is_alive(), failures
        received = received_record_queued(stored=storage.store_durably(b"f" * 30), channel="dicom")

        def read() -> bool:
            received.refresh_from_db()
            return received.status != ReceivedStatus.RECEIVED

        assert _wait(read, 60), "the worker did not read the object after the outage"
        assert _wait(lambda: "the database is back" in caplog.text, 30)
        assert thread.is_alive() and not failures
    finally:
        worker.running = False
        thread.join(timeout=30)
    assert not failures
