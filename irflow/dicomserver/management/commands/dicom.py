"""`irflow dicom`: the DICOM listener (Verification, and every registered service)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from irflow.dicomserver import server


class Command(BaseCommand):
    help = "Run irflow's DICOM listener (default AE title IRFLOW, port 11112)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--ae-title", default=None)

    def handle(self, *, host, port, ae_title, **options) -> None:
        config = server.ListenerConfig.from_settings(host=host, port=port, ae_title=ae_title)
        running = server.start(config, block=False)
        self.stdout.write(f"DICOM listener {config.ae_title} on {config.host}:{config.port}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        server.stop(running)
