"""`irflow hl7`: the HL7 v2 listener (MLLP; ADT and orders in)."""

from __future__ import annotations

import asyncio
import signal

from django.core.management.base import BaseCommand, CommandError

from irflow.hl7server import listener


class Command(BaseCommand):
    help = "Run irflow's HL7 v2 listener (MLLP, default 127.0.0.1:2575)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument(
            "--quiet", action="store_true", help="No start-up line (irflow up prints its own)."
        )

    def handle(self, *, host, port, quiet, **options) -> None:
        config = listener.ListenerConfig.from_settings(host=host, port=port)
        if problem := listener.refusal(config):
            raise CommandError(problem)
        asyncio.run(self._run(config, quiet=quiet))

    async def _run(self, config: listener.ListenerConfig, *, quiet: bool) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)

        def started(server: listener.Server) -> None:
            if not quiet:
                self.stdout.write(listener.describe(config))
                self.stdout.flush()

        await listener.serve(config, stop, started=started)
