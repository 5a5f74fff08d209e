"""`/health`: what works and what does not, as JSON, cheaply (a handful of small queries and
one TCP connect, whose answer is kept for a few seconds).

    {"status": "ok" | "degraded" | "unavailable",
     "database": {"ok": true, "vendor": "postgresql"},
     "worker": {"ok": true, "alive": 1, "last_seen": "2026-…Z", "seconds_ago": 2.1},
     "listeners": {"dicom": {"ok": true, "address": "127.0.0.1:11112"}},
     "queue": {"ready": 0, "running": 0, "oldest_ready_s": null}}

200 while the database answers ("degraded" when the worker is silent or a listener is not
listening: pages and the API still work); 503 with `Retry-After` when the database does not
("unavailable"; worker and queue then unknown, null). docs/operations.md describes it.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.http import JsonResponse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from irflow.lib.outage import DATABASE_ERRORS
from irflow.runtime.models import WorkerHeartbeat

LISTENER_CACHE_S = 5.0
_listener_cache: dict[str, tuple[float, dict]] = {}
_listener_lock = threading.Lock()


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True, "vendor": connection.vendor}


def _worker() -> dict:
    now = timezone.now()
    gone_after = timedelta(seconds=settings.IRFLOW_WORKER_GONE_AFTER_S)
    last = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=now - gone_after).count()
    return {
        "ok": alive > 0,
        "alive": alive,
        "last_seen": last.isoformat() if last else None,
        "seconds_ago": round((now - last).total_seconds(), 1) if last else None,
    }


def _queue() -> dict:
    tasks = DBTaskResult.objects
    oldest = tasks.filter(status="READY").aggregate(oldest=Min("enqueued_at"))["oldest"]
    return {
        "ready": tasks.filter(status="READY").count(),
        "running": tasks.filter(status="RUNNING").count(),
        "oldest_ready_s": round((timezone.now() - oldest).total_seconds(), 1) if oldest else None,
    }


def _listening(host: str, port: int) -> bool:
    if host in {"0.0.0.0", ""}:  # noqa: S104 - bound to every address: ask loopback
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _listener(host: str, port: int) -> dict:
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    with _listener_lock:
        cached = _listener_cache.get(address)
        if cached and time.monotonic() - cached[0] < LISTENER_CACHE_S:
            return cached[1]
    answer = {"ok": _listening(host, port), "address": address}
    with _listener_lock:
        _listener_cache[address] = (time.monotonic(), answer)
    return answer


def _listeners() -> dict:
    found = {}
    if settings.IRFLOW_DICOM_ENABLED:
        found["dicom"] = _listener(settings.IRFLOW_DICOM_HOST, settings.IRFLOW_DICOM_PORT)
    if settings.IRFLOW_HL7_ENABLED:
        found["hl7"] = _listener(settings.IRFLOW_HL7_HOST, settings.IRFLOW_HL7_PORT)
    return found


def health_report() -> tuple[int, dict]:
    """(HTTP status, body) for /health."""
    listeners = _listeners()
    try:
        database = _database()
        worker = _worker()
        queue = _queue()
    except DATABASE_ERRORS as exc:
        connection.close()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        body = {
            "status": "unavailable",
            "database": {"ok": False, "vendor": connection.vendor, "error": first},
            "worker": None,
            "listeners": listeners,
            "queue": None,
        }
        return 503, body
    fine = worker["ok"] and all(listener["ok"] for listener in listeners.values())
    body = {
        "status": "ok" if fine else "degraded",
        "database": database,
        "worker": worker,
        "listeners": listeners,
        "queue": queue,
    }
    return 200, body


def health(request):
    """For load balancers, monitoring and `irflow up`: JSON, 200 while the database answers,
    503 (with Retry-After) when it does not."""
    status, body = health_report()
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    if status == 503:
        response["Retry-After"] = str(settings.IRFLOW_DB_RETRY_AFTER_S)
        response._has_been_logged = True  # type: ignore[attr-defined]  # no error per probe
    return response
