"""`irflow web`: the web application on gunicorn (a production WSGI server).

Worker processes and threads default from the cores this process may use (see
`web_defaults` and docs/operations.md, "Load and sizing"); `--workers`/`--threads` or
IRFLOW_WEB_WORKERS/IRFLOW_WEB_THREADS override them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from django.core.management.base import BaseCommand

# Sizing (docs/operations.md, "Load and sizing"): a process per core, since a Python process
# runs on one core at a time; a few threads each to use the time a request waits for the
# database; bounded, as each process holds ~100 MB and its own database connections.
MIN_WORKERS = 2
MAX_WORKERS = 8
WEB_THREADS_PER_WORKER = 4


def cores() -> int:
    """The CPU cores this process may run on (its affinity, e.g. a container's cpuset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def web_defaults(
    environ: Mapping[str, str] | None = None, *, cpu: int | None = None
) -> tuple[int, int]:
    """(workers, threads) for gunicorn: IRFLOW_WEB_WORKERS/THREADS if set, else one worker
    process per core (`cpu`, default `cores()`; at least 2, at most 8) and
    WEB_THREADS_PER_WORKER threads each."""
    env = os.environ if environ is None else environ
    workers = min(max(cpu or cores(), MIN_WORKERS), MAX_WORKERS)
    return (
        int(env.get("IRFLOW_WEB_WORKERS") or workers),
        int(env.get("IRFLOW_WEB_THREADS") or WEB_THREADS_PER_WORKER),
    )


class Command(BaseCommand):
    help = "Serve the web application and API with gunicorn."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("IRFLOW_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("IRFLOW_PORT", "8000")))
        workers, threads = web_defaults()
        parser.add_argument(
            "--workers", type=int, default=workers, help=f"Processes (default {workers})."
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=threads,
            help=f"Threads per process (default {threads}).",
        )
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="No line per request and no start-up lines: warnings and errors only.",
        )

    def handle(
        self, *, host: str, port: int, workers: int, threads: int, quiet: bool, **options
    ) -> None:
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "irflow.wsgi:application",
            "--bind",
            f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--graceful-timeout",
            "10",
            "--timeout",
            "60",
            # Longer than a proxy's or a client's idle connection time (nginx: 60 s), so that
            # the server never closes a kept-alive connection just as a request is sent on it
            # (the client sees a reset; a POST is not retried). Idle connections cost no thread.
            "--keep-alive",
            os.environ.get("IRFLOW_WEB_KEEPALIVE_S") or "75",
            "--limit-request-line",
            "8190",
            # One control socket per user would collide between several irflow instances.
            "--no-control-socket",
        ]
        if quiet:
            argv += ["--log-level", "warning"]
        else:
            argv += [
                "--access-logfile",
                "-",
                "--access-logformat",
                '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            ]
        # Replace this process so that signals reach gunicorn's master directly.
        os.execv(sys.executable, argv)  # noqa: S606 - fixed argv, no shell
