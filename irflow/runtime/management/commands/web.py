"""`irflow web`: the web application on gunicorn (a production WSGI server)."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web application and API with gunicorn."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("IRFLOW_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("IRFLOW_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("IRFLOW_WEB_WORKERS", "2"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("IRFLOW_WEB_THREADS", "4"))
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
