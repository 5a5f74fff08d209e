"""`irflow dicom`: the DICOM listener (Verification, and every registered service)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from irflow.dicomserver import server


class Command(BaseCommand):
    help = "Run irflow's DICOM listener (default AE title IRFLOW, port 11112)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--ae-title", default=None)
        parser.add_argument(
            "--quiet", action="store_true", help="No start-up line (irflow up prints its own)."
        )

    def handle(self, *, host, port, ae_title, quiet, **options) -> None:
        config = server.ListenerConfig.from_settings(host=host, port=port, ae_title=ae_title)
        if problem := server.refusal(config):
            raise CommandError(problem)
        running = server.start(config, block=False)
        if not quiet:
            self.stdout.write(server.describe(config))
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        server.stop(running)
